import { element, textElement } from '@rehearsal/runtime/xml';

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const PROTOCOL = 'urn:oasis:names:tc:SAML:2.0:protocol';
const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
const EMAIL_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';

export interface SpMetadataInput {
  entityId: string;
  acsUrl: string;
  /** Where the IdP sends LogoutRequests and LogoutResponses, on either binding. */
  sloUrl: string;
  /** Base64 DER of the gateway's signing certificate: IdPs verify its AuthnRequests and logout messages with it. */
  signingCertificate: string;
  authnRequestsSigned: boolean;
  wantAssertionsSigned: boolean;
}

/**
 * The gateway's SP metadata for one connection, in the OASIS schema's order
 * (KeyDescriptor, SingleLogoutService, NameIDFormat, AssertionConsumerService).
 * Single logout is offered on both front-channel bindings, as the gateway
 * answers both; the signing certificate is always published, since logout
 * messages are signed whatever the connection says of AuthnRequests.
 */
export function spMetadata(input: SpMetadataInput): string {
  const descriptor = element(
    'SPSSODescriptor',
    {
      AuthnRequestsSigned: String(input.authnRequestsSigned),
      WantAssertionsSigned: String(input.wantAssertionsSigned),
      protocolSupportEnumeration: PROTOCOL,
    },
    element(
      'KeyDescriptor',
      { use: 'signing' },
      element('ds:KeyInfo', {}, element('ds:X509Data', {}, textElement('ds:X509Certificate', {}, input.signingCertificate))),
    ),
    element('SingleLogoutService', { Binding: REDIRECT, Location: input.sloUrl }),
    element('SingleLogoutService', { Binding: POST, Location: input.sloUrl }),
    textElement('NameIDFormat', {}, EMAIL_FORMAT),
    element('AssertionConsumerService', { Binding: POST, Location: input.acsUrl, index: '1', isDefault: 'true' }),
  );
  return `<?xml version="1.0" encoding="UTF-8"?>\n${element('EntityDescriptor', { xmlns: MD, 'xmlns:ds': DS, entityID: input.entityId }, descriptor)}`;
}
