import * as samlify from 'samlify';
import { badRequest } from '../reasons.ts';
import type { ServiceProviderInput } from './service-provider.ts';
import { refuseDoctype } from '../saml/xml-safety.ts';

const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
const FORMATS: Record<string, ServiceProviderInput['nameIdFormat']> = {
  'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress': 'email',
  'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent': 'persistent',
  'urn:oasis:names:tc:SAML:2.0:nameid-format:transient': 'transient',
  'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified': 'unspecified',
};

// samlify is CommonJS: under Node's own ESM loader SPMetadata is only on its default export.
const { SPMetadata } = (samlify as unknown as { default?: typeof samlify }).default ?? samlify;

const list = <T>(value: T | T[] | undefined | null): T[] => (value == null ? [] : Array.isArray(value) ? value : [value]);

/** Reads an SP's SAML metadata (through samlify) into registration settings; `overrides` win. */
export function serviceProviderFromMetadata(xml: string, overrides: Partial<ServiceProviderInput> = {}): ServiceProviderInput {
  refuseDoctype(xml, 'metadata');
  let meta: ReturnType<typeof samlify.SPMetadata>;
  try {
    meta = SPMetadata(xml);
  } catch (err) {
    throw badRequest('invalid-metadata', `The SP metadata could not be read: ${(err as Error).message}.`);
  }
  const acs = list<{ binding: string; location: string; isDefault?: string; index?: string }>(
    (meta.getAssertionConsumerService as (binding?: string) => unknown).call(meta) as never,
  )
    .filter((s) => s.binding === POST)
    .sort((a, b) => Number(b.isDefault === 'true') - Number(a.isDefault === 'true') || Number(a.index ?? 0) - Number(b.index ?? 0))
    .map((s) => s.location);
  if (!acs.length) throw badRequest('invalid-metadata', 'The SP metadata has no AssertionConsumerService with the HTTP-POST binding.');
  const slo = list<{ binding: string; location: string }>((meta.getSingleLogoutService as (binding?: string) => unknown).call(meta) as never);
  const firstCert = (use: 'signing' | 'encryption') => {
    const found = list(meta.getX509Certificate(use) as string | string[] | null)[0];
    return found ? found.replace(/\s+/g, '') : undefined;
  };
  const format = list(meta.getNameIDFormat() as string | string[] | undefined)
    .map((f) => FORMATS[f])
    .find(Boolean);
  const signing = firstCert('signing');
  const encryption = firstCert('encryption');
  return {
    entityId: meta.getEntityID(),
    acsUrls: acs,
    ...(slo[0] ? { sloUrl: slo.find((s) => s.binding.endsWith('HTTP-Redirect'))?.location ?? slo[0].location } : {}),
    ...(signing ? { certificate: signing } : {}),
    // Metadata says which key to encrypt to, not whether to: encryptAssertions is an override.
    ...(encryption && encryption !== signing ? { encryptionCertificate: encryption } : {}),
    ...(meta.isAuthnRequestSigned() ? { wantAuthnRequestsSigned: true } : {}),
    ...(format ? { nameIdFormat: format } : {}),
    ...overrides,
  };
}
