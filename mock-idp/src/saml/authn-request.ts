import { childElement, readRequestEnvelope } from './binding.ts';
import { SAML_PROTOCOL } from './response.ts';

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
  const { root, id, issuer, signed } = readRequestEnvelope(xml, 'AuthnRequest');
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
    signed,
    xml,
  };
}
