import { X509Certificate } from 'node:crypto';
import { z } from 'zod';
import { parseDuration } from '@rehearsal/runtime';
import { PROFILE_SOURCES } from '../directory/user.ts';
import { ENCRYPTION_ALGORITHMS, type EncryptionAlgorithm, type EncryptionTarget } from '../saml/encryption.ts';

export const NAME_ID_FORMATS = {
  email: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  persistent: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
  transient: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient',
  unspecified: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
} as const;
export type NameIdFormat = keyof typeof NAME_ID_FORMATS;

/** User fields an attribute or the NameID can come from. */
export const USER_SOURCES = ['email', 'userName', 'id', ...PROFILE_SOURCES, 'groups', 'groupIds'] as const;
export type UserSource = (typeof USER_SOURCES)[number];

const CLAIMS = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims';
const URI_FORMAT = 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri';
const claim = (source: UserSource, name: string): AttributeMapping => ({ name, friendlyName: source, source, nameFormat: URI_FORMAT });
/**
 * What an SP gets unless its registration says otherwise: every user field a
 * mapping can read, each under a URI with its NameFormat. Entra ID's claim
 * URIs where it has one (given name, surname, email, name, display name,
 * groups), the same namespace for the others.
 */
export const DEFAULT_ATTRIBUTES: AttributeMapping[] = [
  claim('givenName', `${CLAIMS}/givenname`),
  claim('surname', `${CLAIMS}/surname`),
  claim('email', `${CLAIMS}/emailaddress`),
  claim('userName', `${CLAIMS}/name`),
  claim('displayName', 'http://schemas.microsoft.com/identity/claims/displayname'),
  claim('department', `${CLAIMS}/department`),
  claim('jobTitle', `${CLAIMS}/jobtitle`),
  claim('organization', `${CLAIMS}/organization`),
  claim('timezone', `${CLAIMS}/timezone`),
  claim('preferredLanguage', `${CLAIMS}/preferredlanguage`),
  claim('employeeId', `${CLAIMS}/employeeid`),
  claim('manager', `${CLAIMS}/manager`),
  claim('groups', 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups'),
];
const DEFAULT_SOURCES = DEFAULT_ATTRIBUTES.map((a) => a.source);

const url = z.url({ protocol: /^https?$/ });
/** A certificate given as PEM or as the bare base64 DER that metadata carries. */
const certificateOf = (v: string) =>
  new X509Certificate(v.includes('BEGIN CERTIFICATE') ? v : `-----BEGIN CERTIFICATE-----\n${v.replace(/\s+/g, '')}\n-----END CERTIFICATE-----`);
const pem = z.string().refine(
  (v) => {
    try {
      certificateOf(v);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'not an X.509 certificate (PEM or base64 DER)' },
);
const duration = z.string().refine((v) => (parseDuration(v) ?? 0) > 0, { message: 'not a duration (for example 5m or 1h)' });

export interface AttributeMapping {
  name: string;
  source: UserSource;
  friendlyName?: string;
  nameFormat?: string;
}

export const attributeMapping = z
  .object({
    name: z.string().min(1).max(1024),
    source: z.enum(USER_SOURCES),
    friendlyName: z.string().min(1).max(256).optional(),
    nameFormat: z.string().min(1).max(1024).optional(),
  })
  .strict();

export const serviceProviderInput = z
  .object({
    entityId: z.string().min(1).max(1024),
    /** Where responses may be posted; the first is the default. Nothing else is ever used. */
    acsUrls: z.array(url).min(1),
    sloUrl: url.optional(),
    /** The SP's signing certificate: signed AuthnRequests are verified against it. */
    certificate: pem.optional(),
    /** Refuse AuthnRequests that are not signed (needs `certificate`). */
    wantAuthnRequestsSigned: z.boolean().optional(),
    /** The NameID format sent when the AuthnRequest asks for none (or for unspecified). */
    nameIdFormat: z.enum(Object.keys(NAME_ID_FORMATS) as [NameIdFormat, ...NameIdFormat[]]).default('email'),
    /** The formats the SP's NameIDPolicy may ask for; another is answered InvalidNameIDPolicy. All four by default. */
    nameIdFormats: z
      .array(z.enum(Object.keys(NAME_ID_FORMATS) as [NameIdFormat, ...NameIdFormat[]]))
      .min(1)
      .optional(),
    /** A user field to send as the NameID. Without one: the email, a pairwise pseudonym for persistent, a random value for transient. */
    nameIdSource: z.enum(USER_SOURCES).optional(),
    /** What to send: attribute mappings, or user fields (`"email"`, `"groups"`) to narrow the default set to. */
    attributes: z.array(z.union([z.enum(USER_SOURCES), attributeMapping])).optional(),
    /** Send short names (givenName, email...) instead of the claim URIs. */
    attributeNames: z.enum(['claims', 'friendly']).default('claims'),
    signing: z.enum(['assertion', 'response', 'both']).default('assertion'),
    signatureAlgorithm: z.enum(['rsa-sha256', 'rsa-sha512']).default('rsa-sha256'),
    assertionLifetime: duration.default('5m'),
    allowIdpInitiated: z.boolean().default(true),
    /** Send the assertion as an EncryptedAssertion (needs `encryptionCertificate` or `certificate`). */
    encryptAssertions: z.boolean().default(false),
    /** The SP's encryption certificate when it differs from its signing one. */
    encryptionCertificate: pem.optional(),
    encryptionAlgorithm: z.enum(Object.keys(ENCRYPTION_ALGORITHMS) as [EncryptionAlgorithm, ...EncryptionAlgorithm[]]).default('aes256-gcm'),
  })
  .strict()
  .superRefine((sp, ctx) => {
    sp.attributes?.forEach((a, i) => {
      if (typeof a === 'string' && !DEFAULT_SOURCES.includes(a))
        ctx.addIssue({ code: 'custom', path: ['attributes', i], message: `${a} has no default attribute: give {name, source} for it` });
    });
    if (sp.wantAuthnRequestsSigned && !sp.certificate)
      ctx.addIssue({ code: 'custom', path: ['certificate'], message: 'required when wantAuthnRequestsSigned is true' });
    if (sp.encryptAssertions && !sp.certificate && !sp.encryptionCertificate)
      ctx.addIssue({ code: 'custom', path: ['encryptionCertificate'], message: 'required (or certificate) when encryptAssertions is true' });
  });
export type ServiceProviderInput = z.input<typeof serviceProviderInput>;

export interface ServiceProvider {
  entityId: string;
  acsUrls: string[];
  sloUrl?: string;
  certificate?: string;
  wantAuthnRequestsSigned: boolean;
  nameIdFormat: NameIdFormat;
  nameIdFormats: NameIdFormat[];
  nameIdSource?: UserSource;
  attributes: AttributeMapping[];
  signing: 'assertion' | 'response' | 'both';
  signatureAlgorithm: 'rsa-sha256' | 'rsa-sha512';
  assertionLifetimeMs: number;
  assertionLifetime: string;
  allowIdpInitiated: boolean;
  /** Where assertions are encrypted to, when the SP asks for encryption. */
  encryption?: EncryptionTarget;
  encryptionCertificate?: string;
  encryptionAlgorithm: EncryptionAlgorithm;
}

const toPem = (cert: string) => certificateOf(cert).toString();

export function toServiceProvider(input: z.output<typeof serviceProviderInput>): ServiceProvider {
  const chosen = input.attributes?.map((a) => (typeof a === 'string' ? DEFAULT_ATTRIBUTES.find((d) => d.source === a)! : a));
  const attributes = (chosen ?? DEFAULT_ATTRIBUTES).map((a) =>
    input.attributeNames === 'friendly' && a.friendlyName
      ? { source: a.source, name: a.friendlyName, nameFormat: 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic' }
      : a,
  );
  return {
    entityId: input.entityId,
    acsUrls: input.acsUrls,
    sloUrl: input.sloUrl,
    certificate: input.certificate && toPem(input.certificate),
    wantAuthnRequestsSigned: input.wantAuthnRequestsSigned ?? false,
    nameIdFormat: input.nameIdFormat,
    nameIdFormats: [...new Set([input.nameIdFormat, ...(input.nameIdFormats ?? (Object.keys(NAME_ID_FORMATS) as NameIdFormat[]))])],
    ...(input.nameIdSource ? { nameIdSource: input.nameIdSource } : {}),
    attributes,
    signing: input.signing,
    signatureAlgorithm: input.signatureAlgorithm,
    assertionLifetime: input.assertionLifetime,
    assertionLifetimeMs: parseDuration(input.assertionLifetime)!,
    allowIdpInitiated: input.allowIdpInitiated,
    encryptionCertificate: input.encryptionCertificate && toPem(input.encryptionCertificate),
    encryptionAlgorithm: input.encryptionAlgorithm,
    encryption: input.encryptAssertions
      ? { certificatePem: toPem((input.encryptionCertificate ?? input.certificate)!), algorithm: input.encryptionAlgorithm }
      : undefined,
  };
}

/**
 * A service provider as the API shows it: exactly the registration's fields,
 * so that what `GET /api/service-providers/{id}` answers can be PUT back
 * unchanged (attributes as they are sent, short names included).
 */
export function serviceProviderView(sp: ServiceProvider): ServiceProviderInput {
  return {
    entityId: sp.entityId,
    acsUrls: sp.acsUrls,
    ...(sp.sloUrl ? { sloUrl: sp.sloUrl } : {}),
    ...(sp.certificate ? { certificate: sp.certificate } : {}),
    wantAuthnRequestsSigned: sp.wantAuthnRequestsSigned,
    nameIdFormat: sp.nameIdFormat,
    nameIdFormats: sp.nameIdFormats,
    ...(sp.nameIdSource ? { nameIdSource: sp.nameIdSource } : {}),
    attributes: sp.attributes,
    signing: sp.signing,
    signatureAlgorithm: sp.signatureAlgorithm,
    assertionLifetime: sp.assertionLifetime,
    allowIdpInitiated: sp.allowIdpInitiated,
    encryptAssertions: sp.encryption !== undefined,
    ...(sp.encryptionCertificate ? { encryptionCertificate: sp.encryptionCertificate } : {}),
    encryptionAlgorithm: sp.encryptionAlgorithm,
  };
}
