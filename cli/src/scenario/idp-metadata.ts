import { X509Certificate } from 'node:crypto';
import * as samlify from 'samlify';

// samlify is CommonJS: under Node's own ESM loader its metadata readers are only on its default export.
const { IdPMetadata } = (samlify as unknown as { default?: typeof samlify }).default ?? samlify;

const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';

/** What a SAML connection needs from an IdP's metadata. */
export interface IdpEndpoints {
  entityId: string;
  ssoUrl: string;
  sloUrl?: string;
  /** The signing certificate (the first one: a staged one comes after it), as PEM. */
  certificatePem: string;
}

/** Reads IdP metadata with samlify, as an admin's tool would, rather than assuming the IdP's URLs. */
export function readIdpMetadata(xml: string): IdpEndpoints {
  const meta = IdPMetadata(xml);
  const first = (value: unknown) => (Array.isArray(value) ? value[0] : value) as string | undefined;
  // samlify answers a location, a map by binding, or a list of {binding, location}, depending on the getter.
  const location = (value: unknown): string | undefined => {
    if (typeof value === 'string') return value || undefined;
    if (Array.isArray(value)) return (value as { binding: string; location: string }[]).find((e) => e.binding === REDIRECT)?.location;
    return value && typeof value === 'object' ? (value as Record<string, string>)[REDIRECT] : undefined;
  };
  const certificate = first(meta.getX509Certificate('signing'));
  const ssoUrl = location(meta.getSingleSignOnService(REDIRECT));
  if (!certificate || !ssoUrl) throw new Error('the IdP metadata has no signing certificate or no HTTP-Redirect SingleSignOnService');
  const sloUrl = location(meta.getSingleLogoutService(REDIRECT));
  return {
    entityId: meta.getEntityID(),
    ssoUrl,
    ...(sloUrl ? { sloUrl } : {}),
    certificatePem: new X509Certificate(Buffer.from(certificate.replace(/\s+/g, ''), 'base64')).toString(),
  };
}
