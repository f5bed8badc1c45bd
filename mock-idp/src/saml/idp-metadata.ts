import { element, textElement } from '@rehearsal/runtime/xml';
import { NAME_ID_FORMATS } from '../service-providers/service-provider.ts';

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const PROTOCOL = 'urn:oasis:names:tc:SAML:2.0:protocol';
export const BINDINGS = { redirect: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect', post: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST' };

export interface IdpMetadataInput {
  entityId: string;
  publicUrl: string;
  /** Base64 DER of each certificate to publish for signing: the current one, then a staged one during a rollover. */
  signingCertificates: string[];
}

/**
 * The IdP's metadata, its children in the order the OASIS metadata schema
 * requires (KeyDescriptor, SingleLogoutService, NameIDFormat, then
 * SingleSignOnService): strict importers refuse any other order, and the
 * schema test validates this document with xmllint.
 */
export function idpMetadata(input: IdpMetadataInput): string {
  const endpoint = (name: string, path: string) =>
    [BINDINGS.redirect, BINDINGS.post].map((binding) => element(`md:${name}`, { Binding: binding, Location: `${input.publicUrl}${path}` })).join('');
  const keys = input.signingCertificates.map((certificate) =>
    element('md:KeyDescriptor', { use: 'signing' }, element('ds:KeyInfo', {}, element('ds:X509Data', {}, textElement('ds:X509Certificate', {}, certificate)))),
  );
  const descriptor = element(
    'md:IDPSSODescriptor',
    { WantAuthnRequestsSigned: 'false', protocolSupportEnumeration: PROTOCOL },
    ...keys,
    endpoint('SingleLogoutService', '/saml/slo'),
    ...Object.values(NAME_ID_FORMATS).map((format) => textElement('md:NameIDFormat', {}, format)),
    endpoint('SingleSignOnService', '/saml/sso'),
  );
  return `<?xml version="1.0" encoding="UTF-8"?>\n${element('md:EntityDescriptor', { 'xmlns:md': MD, 'xmlns:ds': DS, entityID: input.entityId }, descriptor)}`;
}
