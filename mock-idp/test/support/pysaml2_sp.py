"""A second, independent SAML SP (pysaml2, from Debian) that must accept our responses.

argv: idp_metadata_file sp_entity_id acs_url in_response_to|- ; the base64 SAMLResponse on stdin.
Prints the NameID and attributes as JSON, or exits 1 with pysaml2's complaint.
"""
import json
import sys

from saml2 import BINDING_HTTP_POST
from saml2.client import Saml2Client
from saml2.config import SPConfig

metadata, entity_id, acs, in_response_to = sys.argv[1:5]
config = SPConfig().load({
    "entityid": entity_id,
    "xmlsec_binary": "/usr/bin/xmlsec1",
    "metadata": {"local": [metadata]},
    "service": {"sp": {
        "endpoints": {"assertion_consumer_service": [(acs, BINDING_HTTP_POST)]},
        "want_assertions_signed": True,
        "want_response_signed": False,
        "allow_unsolicited": in_response_to == "-",
    }},
})
client = Saml2Client(config=config)
outstanding = {} if in_response_to == "-" else {in_response_to: acs}
try:
    response = client.parse_authn_request_response(sys.stdin.read().strip(), BINDING_HTTP_POST, outstanding=outstanding)
except Exception as error:  # pysaml2 raises many types; the message is what matters
    print(f"{type(error).__name__}: {error}", file=sys.stderr)
    sys.exit(1)
if response is None:
    print("rejected", file=sys.stderr)
    sys.exit(1)
print(json.dumps({"nameId": response.name_id.text, "format": response.name_id.format, "attributes": response.ava}))
