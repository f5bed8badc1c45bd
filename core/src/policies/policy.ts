import type { CoreReason } from '../reasons.ts';
import type { PasswordStrength } from '../accounts/password.ts';
import type { Directory } from '../directories/directory.ts';

/** Authentication policies: how the members of a directory log in, and whether they are billed. */
export const SSO_MODES = ['enforced', 'optional', 'disabled'] as const;
export type SsoMode = (typeof SSO_MODES)[number];
export const TWO_STEP_MODES = ['optional', 'mandatory', 'idp'] as const;
export type TwoStepMode = (typeof TWO_STEP_MODES)[number];

export const IDLE_MINUTES_MIN = 15;
export const IDLE_MINUTES_MAX = 30 * 24 * 60;
export const DEFAULT_IDLE_MINUTES = IDLE_MINUTES_MAX;
export const SESSION_EXPIRY_MINUTES_MAX = 90 * 24 * 60;
export const PASSWORD_EXPIRY_DAYS_MAX = 365;
/** Members move by hand at most this many at a time, or by CSV up to the larger bound. */
export const MEMBER_BATCH_MAX = 20;
export const MEMBER_CSV_MAX = 10_000;

export interface PolicySettings {
  name: string;
  sso: SsoMode;
  twoStep: TwoStepMode;
  passwordMinStrength: PasswordStrength | null;
  passwordExpiryDays: number | null;
  idleMinutes: number;
  /** Hard cap on a session's length, even for active users; null for none. */
  sessionExpiryMinutes: number | null;
  billable: boolean;
}

export interface Policy extends PolicySettings {
  id: string;
  orgId: string;
  directoryId: string;
  isDefault: boolean;
  createdAt: string;
  updatedAt: string;
}

/** The rules a policy's settings and members follow, by code (their sentences and status are in reasons.ts). */
export type PolicyRule = Extract<
  CoreReason,
  | 'sso-requires-idp-directory'
  | 'two-step-idp-requires-sso'
  | 'two-step-with-enforced-sso'
  | 'non-billable-cannot-enforce-sso'
  | 'non-billable-cannot-enforce-two-step'
  | 'non-billable-default-outside-local'
  | 'password-expiry-out-of-range'
  | 'idle-timeout-out-of-range'
  | 'session-expiry-out-of-range'
  | 'account-not-managed'
  | 'synced-member-in-non-billable-policy'
>;

export interface PolicyViolation {
  code: PolicyRule;
  field: string;
  message: string;
}

/** Settings a new policy gets: SSO-enforced policies leave 2SV to the IdP. */
export function defaultPolicySettings(name: string, sso: SsoMode = 'disabled'): PolicySettings {
  return {
    name,
    sso,
    twoStep: sso === 'enforced' ? 'idp' : 'optional',
    passwordMinStrength: null,
    passwordExpiryDays: null,
    idleMinutes: DEFAULT_IDLE_MINUTES,
    sessionExpiryMinutes: null,
    billable: true,
  };
}

/** The combinations the product refuses, each with its own reason code. */
export function checkPolicy(policy: PolicySettings & { isDefault: boolean }, directory: Pick<Directory, 'kind'>): PolicyViolation[] {
  const problems: PolicyViolation[] = [];
  const add = (code: PolicyRule, field: string, message: string) => problems.push({ code, field, message });
  if (policy.sso !== 'disabled' && directory.kind !== 'idp') {
    add('sso-requires-idp-directory', 'sso', 'SSO can only be enforced or offered in a policy of an identity provider directory.');
  }
  if (policy.twoStep === 'idp' && policy.sso !== 'enforced') {
    add('two-step-idp-requires-sso', 'twoStep', 'Two-step verification can be left to the IdP only when SSO is enforced.');
  }
  if (policy.twoStep === 'mandatory' && policy.sso === 'enforced') {
    add('two-step-with-enforced-sso', 'twoStep', "With SSO enforced, two-step verification is the IdP's business: use twoStep 'idp'.");
  }
  if (!policy.billable) {
    if (policy.sso === 'enforced') add('non-billable-cannot-enforce-sso', 'sso', 'A non-billable policy cannot enforce SSO.');
    if (policy.twoStep === 'mandatory') {
      add('non-billable-cannot-enforce-two-step', 'twoStep', 'A non-billable policy cannot make two-step verification mandatory.');
    }
    if (policy.isDefault && directory.kind !== 'local') {
      add('non-billable-default-outside-local', 'billable', 'A non-billable policy can be the default only in the local directory.');
    }
  }
  if (!Number.isInteger(policy.idleMinutes) || policy.idleMinutes < IDLE_MINUTES_MIN || policy.idleMinutes > IDLE_MINUTES_MAX) {
    add(
      'idle-timeout-out-of-range',
      'idleMinutes',
      `The idle session duration must be from ${IDLE_MINUTES_MIN} minutes to 30 days (${IDLE_MINUTES_MAX} minutes).`,
    );
  }
  if (
    policy.sessionExpiryMinutes !== null &&
    (!Number.isInteger(policy.sessionExpiryMinutes) ||
      policy.sessionExpiryMinutes < IDLE_MINUTES_MIN ||
      policy.sessionExpiryMinutes > SESSION_EXPIRY_MINUTES_MAX)
  ) {
    add('session-expiry-out-of-range', 'sessionExpiryMinutes', `The session expiry must be from ${IDLE_MINUTES_MIN} minutes to 90 days.`);
  }
  if (
    policy.passwordExpiryDays !== null &&
    (!Number.isInteger(policy.passwordExpiryDays) || policy.passwordExpiryDays < 1 || policy.passwordExpiryDays > PASSWORD_EXPIRY_DAYS_MAX)
  ) {
    add('password-expiry-out-of-range', 'passwordExpiryDays', `Password expiry must be from 1 to ${PASSWORD_EXPIRY_DAYS_MAX} days.`);
  }
  return problems;
}

/** Why an account may not join a policy, or undefined when it may. */
export function memberRefusal(
  account: { email: string; managedBy: string | null },
  policy: Pick<Policy, 'orgId' | 'billable' | 'name'>,
  syncedFromIdp: boolean,
): PolicyViolation | undefined {
  if (account.managedBy !== policy.orgId) {
    return { code: 'account-not-managed', field: 'emails', message: `${account.email} is not a managed account of this organization.` };
  }
  if (!policy.billable && syncedFromIdp) {
    return {
      code: 'synced-member-in-non-billable-policy',
      field: 'emails',
      message: `${account.email} is synced from an identity provider and cannot join the non-billable policy "${policy.name}".`,
    };
  }
  return undefined;
}
