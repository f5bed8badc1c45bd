"""An identity provider we did not write: pysaml2's Server (Debian's python3-pysaml2).

argv: idp_entity_id idp_key_pem idp_cert_pem sp_metadata_file sha256|sha1 (pysaml2 defaults to sha1)
stdin: one JSON object per line, {"authnRequestUrl": the gateway's HTTP-Redirect URL, "email": ...}
stdout: one JSON object per line, {"samlResponse": base64, "relayState": ...} or {"error": ...}
"""
import base64
import json
import sys
from urllib.parse import parse_qs, urlparse

from saml2 import BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.saml import NAMEID_FORMAT_EMAILADDRESS, NameID
from saml2.server import Server

entity_id, key_file, cert_file, sp_metadata, algorithm = sys.argv[1:6]
ALGORITHMS = {
    "sha256": ("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", "http://www.w3.org/2001/04/xmlenc#sha256"),
    "sha1": ("http://www.w3.org/2000/09/xmldsig#rsa-sha1", "http://www.w3.org/2000/09/xmldsig#sha1"),
}
config = IdPConfig().load({
    "entityid": entity_id,
    "xmlsec_binary": "/usr/bin/xmlsec1",
    "key_file": key_file,
    "cert_file": cert_file,
    "signing_algorithm": ALGORITHMS[algorithm][0],
    "digest_algorithm": ALGORITHMS[algorithm][1],
    "metadata": {"local": [sp_metadata]},
    "service": {"idp": {
        "endpoints": {"single_sign_on_service": [(entity_id + "/sso", BINDING_HTTP_REDIRECT)]},
        "name_id_format": [NAMEID_FORMAT_EMAILADDRESS],
        "policy": {"default": {"lifetime": {"minutes": 5}, "sign_assertion": True, "sign_response": False}},
    }},
})
idp = Server(config=config)

for line in sys.stdin:
    if not line.strip():
        continue
    request = json.loads(line)
    try:
        query = parse_qs(urlparse(request["authnRequestUrl"]).query)
        parsed = idp.parse_authn_request(query["SAMLRequest"][0], BINDING_HTTP_REDIRECT)
        args = idp.response_args(parsed.message)
        email = request["email"]
        response = idp.create_authn_response(
            identity={"givenName": ["Ada"], "sn": ["Lovelace"], "mail": [email]},
            userid=email,
            name_id=NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=email),
            sign_assertion=True,
            sign_response=False,
            sign_alg=ALGORITHMS[algorithm][0],
            digest_alg=ALGORITHMS[algorithm][1],
            **args,
        )
        result = {"samlResponse": base64.b64encode(str(response).encode()).decode(), "relayState": query.get("RelayState", [None])[0]}
    except Exception as error:
        result = {"error": f"{type(error).__name__}: {error}"}
    print(json.dumps(result), flush=True)
