import { badRequest } from '@rehearsal/core/runtime';
import { childElement, DSIG, parseXml } from './binding.ts';
import { SAML_ASSERTION, SAML_PROTOCOL } from './response.ts';

/** What the IdP needs from an AuthnRequest. */
export interface AuthnRequest {
  id: string;
  issuer: string;
  destination?: string;
  acsUrl?: string;
  acsIndex?: number;
  forceAuthn: boolean;
  isPassive: boolean;
  nameIdFormat?: string;
  signed: boolean;
  xml: string;
}

/** Reads an AuthnRequest; signature checks are separate (they need the SP). */
export function readAuthnRequest(xml: string): AuthnRequest {
  const root = parseXml(xml, 'AuthnRequest');
  if (root.namespaceURI !== SAML_PROTOCOL || root.localName !== 'AuthnRequest') throw badRequest('not-an-authn-request', `Expected a samlp:AuthnRequest, got ${root.tagName}.`);
  const id = root.getAttribute('ID');
  if (!id) throw badRequest('invalid-authn-request', 'The AuthnRequest has no ID.');
  if (root.getAttribute('Version') !== '2.0') throw badRequest('invalid-authn-request', 'The AuthnRequest is not SAML 2.0 (Version="2.0").');
  const issuer = childElement(root, SAML_ASSERTION, 'Issuer')?.textContent?.trim();
  if (!issuer) throw badRequest('invalid-authn-request', 'The AuthnRequest has no Issuer: the IdP cannot tell which service provider sent it.');
  const policy = childElement(root, SAML_PROTOCOL, 'NameIDPolicy');
  const index = root.getAttribute('AssertionConsumerServiceIndex');
  return {
    id,
    issuer,
    destination: root.getAttribute('Destination') || undefined,
    acsUrl: root.getAttribute('AssertionConsumerServiceURL') || undefined,
    acsIndex: index ? Number(index) : undefined,
    forceAuthn: root.getAttribute('ForceAuthn') === 'true' || root.getAttribute('ForceAuthn') === '1',
    isPassive: root.getAttribute('IsPassive') === 'true' || root.getAttribute('IsPassive') === '1',
    nameIdFormat: policy?.getAttribute('Format') || undefined,
    signed: childElement(root, DSIG, 'Signature') !== undefined,
    xml,
  };
}

