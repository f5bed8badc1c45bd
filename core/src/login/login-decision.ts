import type { Account } from '../accounts/account.ts';
import { isTwoStepEnrolled } from '../accounts/account.ts';
import { isPasswordExpired, type PasswordStrength } from '../accounts/password.ts';
import { serviceProviderUrls } from '../directories/saml-connection.ts';
import type { SnapshotIndex } from '../orgs/org-snapshot.ts';
import { DEFAULT_IDLE_MINUTES, type Policy, type TwoStepMode } from '../policies/policy.ts';

/** How an email must log in, and why: what the gateway asks core before every login. */
export type LoginMethod = 'sso' | 'password' | 'sso-or-password';

export const LOGIN_REASONS = {
  'account-unknown': 'No account has this email: the normal sign-up and password path applies.',
  'account-deactivated': 'This account is deactivated: it cannot log in until an admin reactivates it.',
  'account-unmanaged': "This account's email is on no verified domain, so no organization's policy applies: it logs in with its password.",
  'policy-missing': 'This managed account is in no authentication policy; the password path applies.',
  'policy-sso-enforced': 'The authentication policy enforces SSO: the user is sent to the identity provider, with no password option.',
  'policy-sso-optional': 'The authentication policy offers SSO: the user may log in at the identity provider or with a password.',
  'policy-sso-optional-unavailable': 'The policy offers SSO, but its directory cannot serve this account yet; the password path applies.',
  'policy-password': 'The authentication policy does not use SSO: the user logs in with a password.',
  'sso-connection-missing': 'The policy enforces SSO but its identity provider directory has no SAML connection: the user is locked out.',
  'domain-not-linked-to-directory':
    "The policy enforces SSO but the account's email domain is not linked to the policy's identity provider directory: the user is locked out.",
  'no-identity-in-idp-directory': 'The policy enforces SSO but the identity provider has not provisioned this account: the user is locked out.',
} as const;
export type LoginReason = keyof typeof LOGIN_REASONS;

export interface IdpTarget {
  connectionId: string;
  directoryId: string;
  entityId: string;
  ssoUrl: string;
  spEntityId: string;
  acsUrl: string;
  signAuthnRequests: boolean;
  wantAssertionsSigned: boolean;
  allowIdpInitiated: boolean;
}

export interface LoginDecision {
  email: string;
  allowed: boolean;
  method: LoginMethod | null;
  reason: LoginReason;
  message: string;
  accountId: string | null;
  orgId: string | null;
  policy: { id: string; name: string; directoryId: string; sso: Policy['sso'] } | null;
  idp: IdpTarget | null;
  twoStep: { mode: TwoStepMode | null; required: boolean; enrolled: boolean; enrolmentRequired: boolean };
  password: { set: boolean; expired: boolean; minStrength: PasswordStrength | null };
  session: { idleMinutes: number; absoluteMinutes: number | null };
}

function decision(
  email: string,
  reason: LoginReason,
  method: LoginMethod | null,
  account: Account | undefined,
  extra: Partial<LoginDecision> = {},
): LoginDecision {
  return {
    email,
    allowed: method !== null,
    method,
    reason,
    message: LOGIN_REASONS[reason],
    accountId: account?.id ?? null,
    orgId: account?.managedBy ?? null,
    policy: null,
    idp: null,
    twoStep: { mode: null, required: false, enrolled: account ? isTwoStepEnrolled(account) : false, enrolmentRequired: false },
    password: { set: Boolean(account?.passwordHash), expired: false, minStrength: null },
    session: { idleMinutes: DEFAULT_IDLE_MINUTES, absoluteMinutes: null },
    ...extra,
  };
}

/**
 * The login decision. `org` is the snapshot of the managing organization and is
 * needed only when the account is managed.
 */
export function decideLogin(email: string, account: Account | undefined, org: SnapshotIndex | undefined, gatewayUrl: string, now: Date): LoginDecision {
  if (!account) return decision(email, 'account-unknown', 'password', undefined);
  if (!account.active) return decision(account.email, 'account-deactivated', null, account);
  if (!account.managedBy || !org) return decision(account.email, 'account-unmanaged', 'password', account);

  const policy = org.policyOf(account.id);
  if (!policy) return decision(account.email, 'policy-missing', 'password', account);

  const connection = org.connectionByDirectory.get(policy.directoryId);
  const domain = org.domainOf(account);
  const idp: IdpTarget | null = connection
    ? {
        connectionId: connection.id,
        directoryId: policy.directoryId,
        entityId: connection.idpEntityId,
        ssoUrl: connection.ssoUrl,
        ...serviceProviderUrls(gatewayUrl, connection.id),
        signAuthnRequests: connection.signAuthnRequests,
        wantAssertionsSigned: connection.wantAssertionsSigned,
        allowIdpInitiated: connection.allowIdpInitiated,
      }
    : null;
  const ssoBlocker: LoginReason | undefined = !connection
    ? 'sso-connection-missing'
    : domain?.directoryId !== policy.directoryId
      ? 'domain-not-linked-to-directory'
      : org.snapshot.provisionedDirectoryIds.has(policy.directoryId) && !org.snapshot.identities.get(account.id)?.has(policy.directoryId)
        ? 'no-identity-in-idp-directory'
        : undefined;

  let reason: LoginReason;
  let method: LoginMethod | null;
  if (policy.sso === 'enforced') {
    reason = ssoBlocker ?? 'policy-sso-enforced';
    method = ssoBlocker ? null : 'sso';
  } else if (policy.sso === 'optional') {
    reason = ssoBlocker ? 'policy-sso-optional-unavailable' : 'policy-sso-optional';
    method = ssoBlocker ? 'password' : 'sso-or-password';
  } else {
    reason = 'policy-password';
    method = 'password';
  }

  const usesPassword = method === 'password' || method === 'sso-or-password';
  const enrolled = isTwoStepEnrolled(account);
  const required = usesPassword && policy.twoStep === 'mandatory';
  return decision(account.email, reason, method, account, {
    policy: { id: policy.id, name: policy.name, directoryId: policy.directoryId, sso: policy.sso },
    idp: method === 'sso' || method === 'sso-or-password' ? idp : null,
    twoStep: { mode: policy.twoStep, required, enrolled, enrolmentRequired: required && !enrolled },
    password: {
      set: account.passwordHash !== null,
      expired: usesPassword && isPasswordExpired(account.passwordChangedAt, policy.passwordExpiryDays, now),
      minStrength: policy.passwordMinStrength,
    },
    session: { idleMinutes: policy.idleMinutes, absoluteMinutes: policy.sessionExpiryMinutes },
  });
}

/** What the user will meet at the next login, in one word. */
export type NextLogin = 'sso' | 'password' | 'sso-or-password' | 'password-setup' | 'password-change' | 'two-step-enrolment' | 'locked-out';

export function nextLogin(d: LoginDecision): NextLogin {
  if (!d.allowed || d.method === null) return 'locked-out';
  if (d.method === 'sso') return 'sso';
  if (d.method === 'password' && !d.password.set) return 'password-setup';
  if (d.password.expired) return 'password-change';
  if (d.twoStep.enrolmentRequired) return 'two-step-enrolment';
  return d.method;
}
