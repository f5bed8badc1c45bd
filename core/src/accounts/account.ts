import { domainToASCII } from 'node:url';
import type { ProfileSources } from './profile-sources.ts';

/** An Atlassian-style account: global, and managed by an organization once its email domain is verified. */
export type AccountOrigin = 'signup' | 'scim' | 'invite';
export const ACCOUNT_ORIGINS = ['signup', 'scim', 'invite'] as const;

export interface AccountProfile {
  displayName: string;
  publicName: string | null;
  jobTitle: string | null;
  department: string | null;
  organization: string | null;
  /** IANA time zone, canonical form. */
  timezone: string | null;
  /** BCP 47 language tag, canonical form. */
  preferredLanguage: string | null;
}

/** The profile fields, in the order reports show them. */
export const PROFILE_FIELDS = [
  'displayName',
  'publicName',
  'jobTitle',
  'department',
  'organization',
  'timezone',
  'preferredLanguage',
] as const satisfies readonly (keyof AccountProfile)[];
export type ProfileField = (typeof PROFILE_FIELDS)[number];

export interface Account extends AccountProfile {
  id: string;
  email: string;
  active: boolean;
  /** The organization whose verified domain claims this account, if any. */
  managedBy: string | null;
  origin: AccountOrigin;
  passwordHash: string | null;
  passwordChangedAt: string | null;
  totpSecret: string | null;
  recoveryCodeHashes: string[];
  /** The TOTP time step of the last code accepted: a code is never accepted twice. */
  totpLastStep: number | null;
  firstLoginAt: string | null;
  lastLoginAt: string | null;
  /** Who last wrote each profile field, and when. */
  profileSources: ProfileSources;
  createdAt: string;
  updatedAt: string;
}

/** What the API shows of an account: never the password hash or the TOTP secret. */
export function publicAccount(account: Account) {
  const { passwordHash, totpSecret, recoveryCodeHashes, totpLastStep: _lastStep, ...rest } = account;
  return {
    ...rest,
    managed: account.managedBy !== null,
    hasPassword: passwordHash !== null,
    twoStepEnrolled: isTwoStepEnrolled(account),
    recoveryCodesLeft: recoveryCodeHashes.length,
  };
}

export const isTwoStepEnrolled = (account: Pick<Account, 'totpSecret'>) => account.totpSecret !== null;

export function emailDomain(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1).toLowerCase();
}

export function normalizeEmail(email: string): string {
  const at = email.lastIndexOf('@');
  return `${email.slice(0, at)}@${domainToASCII(email.slice(at + 1).toLowerCase()) || email.slice(at + 1).toLowerCase()}`;
}

/** Canonical IANA zone name, or undefined when the runtime's tz database does not know it. */
export function canonicalTimeZone(value: string): string | undefined {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(value)) return undefined;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: value }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/** Canonical BCP 47 tag, or undefined when the tag is not well-formed. */
export function canonicalLanguageTag(value: string): string | undefined {
  try {
    const [tag] = Intl.getCanonicalLocales(value);
    return tag;
  } catch {
    return undefined;
  }
}

/** The display name people see when none is given: the local part, as Atlassian does. */
export function defaultDisplayName(email: string): string {
  return email.slice(0, email.lastIndexOf('@'));
}
