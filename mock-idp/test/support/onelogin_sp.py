"""A third, independent SAML SP: OneLogin's python3-saml (Debian's python3-onelogin-saml2), strict mode.

argv: idp_entity_id idp_cert_pem_file sp_entity_id acs_url
stdin/stdout: as pysaml2_sp.py, one JSON object per line each way.
"""
import json
import sys
from urllib.parse import urlparse

from onelogin.saml2.response import OneLogin_Saml2_Response
from onelogin.saml2.settings import OneLogin_Saml2_Settings

idp_entity_id, idp_cert_file, sp_entity_id, acs = sys.argv[1:5]
with open(idp_cert_file) as f:
    idp_cert = f.read()
settings = OneLogin_Saml2_Settings({
    "strict": True,
    "sp": {"entityId": sp_entity_id, "assertionConsumerService": {"url": acs}},
    "idp": {"entityId": idp_entity_id, "singleSignOnService": {"url": "http://localhost:7000/saml/sso"}, "x509cert": idp_cert},
    "security": {"wantAssertionsSigned": True, "wantNameId": True},
}, sp_validation_only=False)
url = urlparse(acs)
# The library rebuilds "the URL this request came to" from these, and checks Destination against it.
request_data = {"https": "on" if url.scheme == "https" else "off", "http_host": url.hostname, "script_name": url.path,
                "server_port": str(url.port or (443 if url.scheme == "https" else 80))}

for line in sys.stdin:
    if not line.strip():
        continue
    request = json.loads(line)
    try:
        response = OneLogin_Saml2_Response(settings, request["samlResponse"])
        if not response.is_valid(dict(request_data, post_data={"SAMLResponse": request["samlResponse"]}), request.get("inResponseTo"), raise_exceptions=True):
            raise ValueError(response.get_error())
        result = {"ok": True, "nameId": response.get_nameid(), "format": response.get_nameid_format(), "attributes": response.get_attributes()}
    except Exception as error:
        result = {"ok": False, "error": f"{type(error).__name__}: {error}"}
    print(json.dumps(result), flush=True)
