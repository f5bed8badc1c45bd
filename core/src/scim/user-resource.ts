import { z } from 'zod';
import {
  canonicalLanguageTag,
  canonicalTimeZone,
  defaultDisplayName,
  normalizeEmail,
  PROFILE_FIELDS,
  type Account,
  type ProfileField,
} from '../accounts/account.ts';
import type { SourcedField } from '../accounts/profile-sources.ts';
import { describeIssues, withoutControlCharacters } from '@rehearsal/runtime';
import { scimBadRequest } from './scim-error.ts';
import { ATLASSIAN_SCHEMA, ENTERPRISE_ATTRIBUTES, ENTERPRISE_SCHEMA, USER_ATTRIBUTES, USER_SCHEMA, type AttributeDefinition } from './scim-schema.ts';

/**
 * A SCIM User as a client sends it, normalized: attribute names are matched
 * case-insensitively (RFC 7643 §2.1), read-only and unknown attributes are dropped,
 * "True"/"False" strings are read as booleans (Entra sends them), and values the
 * organization model needs (time zone, language, emails) are validated.
 */
const loose = <T extends z.ZodType>(schema: T) => schema.nullish().transform((v) => v ?? null);
const text = loose(withoutControlCharacters(z.string().max(1024)));
const bool = z
  .union([z.boolean(), z.enum(['true', 'false', 'True', 'False', 'TRUE', 'FALSE'])])
  .transform((v) => (typeof v === 'boolean' ? v : v.toLowerCase() === 'true'));

const typedValue = z.object({
  value: z.string().max(1024),
  display: text.optional(),
  type: text.optional(),
  primary: bool.optional(),
});
const email = typedValue.extend({ value: z.email({ error: 'expected an email address' }).max(254) });
/** `rfc` fidelity: RFC 7643 §4.1.2 says an email value SHOULD be a valid address, so one that is not is stored as sent. */
const laxEmail = typedValue.extend({ value: z.string().max(254) });

const userSchema = z.object({
  userName: withoutControlCharacters(z.string().trim().min(1, 'userName is required').max(254)),
  externalId: text,
  name: loose(
    z.object({
      formatted: text.optional(),
      familyName: text.optional(),
      givenName: text.optional(),
      middleName: text.optional(),
      honorificPrefix: text.optional(),
      honorificSuffix: text.optional(),
    }),
  ),
  displayName: text,
  nickName: text,
  profileUrl: text,
  title: text,
  userType: text,
  preferredLanguage: loose(
    z
      .string()
      .refine((v) => canonicalLanguageTag(v) !== undefined, 'expected a BCP 47 language tag such as en-US')
      .transform((v) => canonicalLanguageTag(v)!),
  ),
  locale: text,
  timezone: loose(
    z
      .string()
      .refine((v) => canonicalTimeZone(v) !== undefined, 'expected an IANA time zone such as Europe/Berlin')
      .transform((v) => canonicalTimeZone(v)!),
  ),
  active: bool.nullish().transform((v) => v ?? true),
  emails: loose(z.array(email).max(20)).transform((v) => v ?? []),
  phoneNumbers: loose(z.array(typedValue).max(20)).transform((v) => v ?? []),
  addresses: loose(z.array(z.record(z.string(), z.unknown())).max(20)).transform((v) => v ?? []),
  roles: loose(z.array(typedValue).max(100)).transform((v) => v ?? []),
  enterprise: loose(
    z.object({
      employeeNumber: text.optional(),
      costCenter: text.optional(),
      organization: text.optional(),
      division: text.optional(),
      department: text.optional(),
      manager: loose(
        z.union([z.object({ value: text.optional(), $ref: text.optional(), displayName: text.optional() }), z.string().transform((value) => ({ value }))]),
      ).optional(),
    }),
  ),
});
const laxUserSchema = userSchema.extend({ emails: loose(z.array(laxEmail).max(20)).transform((v) => v ?? []) });

export type ScimUserInput = z.output<typeof userSchema>;

/** Matches keys case-insensitively against attribute definitions; unknown keys are dropped. */
function canonicalKeys(value: unknown, definitions: AttributeDefinition[]): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const def = definitions.find((d) => d.name.toLowerCase() === key.toLowerCase());
    if (!def || def.mutability === 'readOnly') continue;
    out[def.name] = def.subAttributes ? (Array.isArray(v) ? v.map((item) => canonicalKeys(item, def.subAttributes!)) : canonicalKeys(v, def.subAttributes)) : v;
  }
  return out;
}

export type ScimFidelity = 'rfc' | 'atlassian';

export function parseUserResource(body: unknown, fidelity: ScimFidelity = 'atlassian'): ScimUserInput {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw scimBadRequest('invalidSyntax', 'A User resource must be a JSON object.');
  const source = body as Record<string, unknown>;
  const enterpriseKey = Object.keys(source).find((k) => k.toLowerCase() === ENTERPRISE_SCHEMA.toLowerCase());
  const core = canonicalKeys(source, [...USER_ATTRIBUTES, { name: 'externalId', type: 'string' }]) as Record<string, unknown>;
  const candidate = { ...core, enterprise: enterpriseKey ? canonicalKeys(source[enterpriseKey], ENTERPRISE_ATTRIBUTES) : null };
  const result = (fidelity === 'rfc' ? laxUserSchema : userSchema).safeParse(candidate);
  if (!result.success) {
    const [first] = describeIssues(result.error.issues, '');
    const path = first?.path?.replace(/^enterprise/, ENTERPRISE_SCHEMA);
    throw scimBadRequest('invalidValue', `${path || 'User'}: ${first?.message ?? 'invalid value'}`);
  }
  const user = result.data;
  if (user.emails.filter((e) => e.primary).length > 1) throw scimBadRequest('invalidValue', 'emails: at most one email can be primary.');
  return user;
}

const EMAIL = z.email();

/**
 * The work email the account is keyed on: the primary one, else the work one,
 * else the first, else userName; among the valid addresses only (`rfc`
 * fidelity stores invalid ones as sent, and an account needs an address).
 */
export function primaryEmail(user: ScimUserInput): string {
  const emails = user.emails.filter((e) => EMAIL.safeParse(e.value).success);
  const chosen = emails.find((e) => e.primary) ?? emails.find((e) => e.type?.toLowerCase() === 'work') ?? emails[0];
  const candidate = chosen?.value ?? user.userName;
  if (!EMAIL.safeParse(candidate).success) {
    throw scimBadRequest('invalidValue', 'A primary email is required: send emails[] with a primary or work address, or an email as userName.');
  }
  return normalizeEmail(candidate);
}

/** The attribute mapping: which account profile field each SCIM attribute feeds. */
export function accountProfileFrom(user: ScimUserInput) {
  const email = primaryEmail(user);
  const fromNames = [user.name?.givenName, user.name?.familyName].filter(Boolean).join(' ');
  return {
    email,
    // (3p) "If displayName is empty it is built from given + family name; when given/family names are sent they win."
    displayName: fromNames || user.displayName?.trim() || user.name?.formatted || defaultDisplayName(email),
    publicName: user.nickName,
    jobTitle: user.title,
    department: user.enterprise?.department ?? null,
    organization: user.enterprise?.organization ?? null,
    timezone: user.timezone,
    preferredLanguage: user.preferredLanguage,
    active: user.active,
  };
}
export type ScimAccountProfile = ReturnType<typeof accountProfileFrom>;

/** The profile a stored SCIM user maps to (what the IdP sent last); undefined if it no longer reads. */
export function lastSentProfile(resource: Record<string, unknown>): ScimAccountProfile | undefined {
  try {
    // Stored resources were checked when written, under their directory's fidelity: read back leniently.
    return accountProfileFrom(parseUserResource(resource, 'rfc'));
  } catch {
    return undefined;
  }
}

/**
 * The fields an IdP manages on an account: those its SCIM user carries a value
 * for (the display name always: it is built from the names when absent). The
 * rest stay the account's own, editable in the product, never cleared by a sync.
 */
export function carriedFields(profile: ScimAccountProfile | undefined): ProfileField[] {
  if (!profile) return [];
  return PROFILE_FIELDS.filter((f) => f === 'displayName' || (profile[f] !== null && profile[f] !== undefined));
}

/** The email and `fields` on which the account holds something else than the profile: `before` the account's, `after` the profile's. */
export function profileDiff(
  account: Account,
  profile: ScimAccountProfile,
  fields: readonly ProfileField[],
): { attribute: SourcedField; before: unknown; after: unknown }[] {
  return (['email', ...fields] as SourcedField[])
    .filter((f) => (account[f] ?? null) !== (profile[f] ?? null))
    .map((attribute) => ({ attribute, before: account[attribute] ?? null, after: profile[attribute] ?? null }));
}

/** The stored form: the resource as the client gave it, normalized, without id and meta. */
export function storedUser(user: ScimUserInput): Record<string, unknown> {
  const { enterprise, ...core } = user;
  const compact = (o: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0)));
  const resource: Record<string, unknown> = { schemas: [USER_SCHEMA, ...(enterprise ? [ENTERPRISE_SCHEMA] : []), ATLASSIAN_SCHEMA], ...compact(core) };
  if (core.name) resource.name = compact(core.name);
  if (enterprise) resource[ENTERPRISE_SCHEMA] = compact(enterprise);
  return resource;
}
