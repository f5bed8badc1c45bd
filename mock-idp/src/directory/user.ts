import { createHash } from 'node:crypto';
import { z } from 'zod';
import { plainText } from '@rehearsal/runtime';

/** IANA zone names this runtime knows, plus UTC, which Intl lists under Etc. */
const TIME_ZONES = new Set([...Intl.supportedValuesOf('timeZone'), 'UTC', 'Etc/UTC']);

export const timeZone = z.string().refine((v) => TIME_ZONES.has(v), { message: 'not an IANA time zone (for example Europe/Berlin)' });

export const languageTag = z.string().refine(
  (v) => {
    try {
      return Intl.getCanonicalLocales(v).length === 1;
    } catch {
      return false;
    }
  },
  { message: 'not a BCP 47 language tag (for example en-GB)' },
);

const text = plainText(256);

/** A user as a scenario file or the JSON API gives it. */
export const userInput = z
  .object({
    id: z.string().trim().min(1).max(128).optional(),
    email: z.email().max(254),
    userName: text.optional(),
    givenName: text.optional(),
    surname: text.optional(),
    displayName: text.optional(),
    department: text.optional(),
    jobTitle: text.optional(),
    organization: text.optional(),
    timezone: timeZone.optional(),
    preferredLanguage: languageTag.optional(),
    employeeId: text.optional(),
    /** The manager's email or userName. */
    manager: text.optional(),
    password: z.string().min(1).max(256).optional(),
    active: z.boolean().default(true),
    groups: z.array(text).default([]),
    /** A simulated second factor at the login page: the code the user must type. */
    mfa: z
      .object({ code: z.string().regex(/^\d{6}$/, 'six digits') })
      .strict()
      .optional(),
  })
  .strict();
export type UserInput = z.input<typeof userInput>;

/** The IdP user's profile fields, which SAML attributes and provisioning mappings both read. */
export const PROFILE_SOURCES = [
  'givenName',
  'surname',
  'displayName',
  'department',
  'jobTitle',
  'organization',
  'timezone',
  'preferredLanguage',
  'employeeId',
  'manager',
] as const;

export interface IdpUser {
  id: string;
  email: string;
  userName: string;
  givenName?: string;
  surname?: string;
  displayName: string;
  department?: string;
  jobTitle?: string;
  organization?: string;
  timezone?: string;
  preferredLanguage?: string;
  employeeId?: string;
  manager?: string;
  password?: string;
  active: boolean;
  /** Groups the user is a direct member of. */
  groups: string[];
  mfa?: { code: string };
  /** Directory revision of the last change to this user. */
  revision: number;
}

/** A stable id derived from a name (UUID version 5 layout), so reloading a scenario keeps ids. */
export function stableId(kind: string, name: string): string {
  const hash = createHash('sha1').update(`rehearsal:${kind}:${name.toLowerCase()}`).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Fills what a real directory would: userName defaults to the email, displayName to the names. */
export function toUser(input: z.output<typeof userInput>, revision: number): IdpUser {
  const email = input.email.toLowerCase();
  const named = [input.givenName, input.surname].filter(Boolean).join(' ');
  const { id, userName, displayName, groups, ...rest } = input;
  return {
    ...rest,
    id: id ?? stableId('user', email),
    email,
    userName: userName ?? email,
    displayName: displayName ?? (named || email),
    groups: [...new Set(groups)],
    revision,
  };
}

/** A user as the API shows it: never the password itself. */
export function publicUser(user: IdpUser, memberOf: string[]) {
  const { password, mfa, ...shown } = user;
  return { ...shown, hasPassword: password !== undefined, mfa: mfa !== undefined, memberOf };
}
