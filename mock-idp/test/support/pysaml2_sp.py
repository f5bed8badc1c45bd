"""A second, independent SAML SP (pysaml2, from Debian) that judges our responses.

argv: idp_metadata_file sp_entity_id acs_url [sp_key_pem sp_cert_pem]
stdin: one JSON object per line, {"samlResponse": base64, "inResponseTo": id or null}
stdout: one JSON object per line, {"ok": true, "nameId", "format", "attributes"} or
{"ok": false, "error": pysaml2's complaint}. One process judges many responses,
since starting Python and pysaml2 takes about a second.
"""
import json
import sys

from saml2 import BINDING_HTTP_POST
from saml2.client import Saml2Client
from saml2.config import SPConfig

metadata, entity_id, acs = sys.argv[1:4]
keys = sys.argv[4:6]
sp = {
    "entityid": entity_id,
    "xmlsec_binary": "/usr/bin/xmlsec1",
    "metadata": {"local": [metadata]},
    "service": {"sp": {
        "endpoints": {"assertion_consumer_service": [(acs, BINDING_HTTP_POST)]},
        "want_assertions_signed": True,
        "want_response_signed": False,
        "allow_unsolicited": True,
    }},
    # Claim URIs (NameFormat uri) that pysaml2 has no converter for are kept under their name, not dropped.
    "allow_unknown_attributes": True,
}
if keys:
    sp["key_file"], sp["cert_file"] = keys
    sp["encryption_keypairs"] = [{"key_file": keys[0], "cert_file": keys[1]}]
client = Saml2Client(config=SPConfig().load(sp))

for line in sys.stdin:
    if not line.strip():
        continue
    request = json.loads(line)
    outstanding = {request["inResponseTo"]: acs} if request.get("inResponseTo") else {}
    # Unsolicited only when the test says so: a response to a request must match it.
    client.allow_unsolicited = not outstanding
    try:
        response = client.parse_authn_request_response(request["samlResponse"], BINDING_HTTP_POST, outstanding=outstanding)
        # A response pysaml2 refuses softly (a wrong Destination) comes back without an assertion.
        if response is None or getattr(response, "assertion", None) is None:
            raise ValueError("rejected: no assertion accepted")
        result = {"ok": True, "nameId": response.name_id.text if response.name_id else None,
                  "format": response.name_id.format if response.name_id else None, "attributes": response.ava}
    except Exception as error:  # pysaml2 raises many types; the message is what matters
        result = {"ok": False, "error": f"{type(error).__name__}: {error}"}
    print(json.dumps(result), flush=True)
