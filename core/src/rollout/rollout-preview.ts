import type { Account } from '../accounts/account.ts';
import { accountBillability, computeBilling, type AccountBillability } from '../billing/billing.ts';
import { decideLogin, nextLogin, type LoginDecision, type NextLogin } from '../login/login-decision.ts';
import { SnapshotIndex, withChanges, type OrgSnapshot } from '../orgs/org-snapshot.ts';
import type { Policy, PolicySettings } from '../policies/policy.ts';

/**
 * The rollout preview: what would happen to every affected account if members were
 * moved into a policy and/or its settings changed. Pure: nothing is written.
 */
export interface RolloutChange {
  policyId: string;
  /** Accounts to move into the policy (already checked as movable). */
  addMemberIds: string[];
  settings?: Partial<PolicySettings>;
}

export interface LockOutReason {
  code: string;
  message: string;
}

/**
 * Where an affected account stands: `locked-out` (could log in before, cannot
 * after), `already-inactive` (deactivated: it could not log in before either),
 * `already-locked-out` (could not log in before, for another reason, and still
 * cannot), or `fine`.
 */
export type PreviewCategory = 'locked-out' | 'already-inactive' | 'already-locked-out' | 'fine';

export interface AccountPreview {
  accountId: string;
  email: string;
  why: ('moved' | 'settings-changed')[];
  fromPolicyId: string | null;
  before: { method: LoginDecision['method']; reason: string; nextLogin: NextLogin };
  after: { method: LoginDecision['method']; reason: string; nextLogin: NextLogin };
  category: PreviewCategory;
  /** Only when the change takes away a way in that worked: never for accounts that could not log in before. */
  lockedOut: boolean;
  lockOutReasons: LockOutReason[];
  /** An organization admin: a lock-out or an untested SSO path is louder for them (see adminWarnings). */
  admin: boolean;
  billing: { before: Pick<AccountBillability, 'billable' | 'reason'>; after: Pick<AccountBillability, 'billable' | 'reason'> };
}

/** An admin the change puts at risk: locked out, or sent to an SSO connection nobody has logged in through yet. */
export interface AdminWarning extends LockOutReason {
  accountId: string;
  email: string;
}

export interface RolloutPreview {
  policyId: string;
  settingsBefore: PolicySettings;
  settingsAfter: PolicySettings;
  accounts: AccountPreview[];
  warnings: LockOutReason[];
  adminWarnings: AdminWarning[];
  summary: {
    affected: number;
    lockedOut: number;
    alreadyInactive: number;
    alreadyLockedOut: number;
    admins: number;
    byNextLogin: Partial<Record<NextLogin, number>>;
  };
  billing: {
    before: number;
    after: number;
    delta: number;
    changes: { accountId: string; email: string; before: AccountBillability; after: AccountBillability }[];
  };
}

/** The last admin who could log in, in any way, could not after the change: nobody could undo it. */
export const LAST_ADMIN_REASON = {
  code: 'last-admin-locked-out',
  message: 'After this change no organization admin could log in at all: nobody could undo it. Keep at least one admin who can.',
};

export const BREAK_GLASS_REASON = {
  code: 'last-admin-loses-password-path',
  message:
    'After this change no organization admin could log in without the identity provider: keep a break-glass admin in a policy that does not enforce SSO.',
};

function settingsOf(policy: Policy): PolicySettings {
  const { name, sso, twoStep, passwordMinStrength, passwordExpiryDays, idleMinutes, sessionExpiryMinutes, billable } = policy;
  return { name, sso, twoStep, passwordMinStrength, passwordExpiryDays, idleMinutes, sessionExpiryMinutes, billable };
}

/** Whether anyone has logged in through the connection the decision sends the person to. */
function connectionWorks(index: SnapshotIndex, d: LoginDecision): boolean {
  const connection = d.idp ? index.connectionByDirectory.get(d.idp.directoryId) : undefined;
  return connection?.lastLoginAt != null;
}

/**
 * What keeps a rollout from being applied: a lock-out, a refused member, the
 * last admin (or the last break-glass admin) losing the way in. An admin sent
 * to an untested SSO connection is warned about loudly, not blocked.
 */
export function rolloutBlockers(preview: RolloutPreview, refused: { email: string; code: string; message: string }[]): LockOutReason[] {
  return [
    ...preview.accounts
      .filter((a) => a.category === 'locked-out')
      .map((a) => ({
        code: a.admin ? 'admin-locked-out' : 'rollout-locks-out',
        message: `${a.email} would be locked out (${a.lockOutReasons.map((r) => r.code).join(', ')}).`,
      })),
    ...refused.map((r) => ({ code: r.code, message: `${r.email} cannot move: ${r.message}` })),
    ...preview.warnings,
  ];
}

/** An admin keeps a way in that does not depend on the IdP. */
function hasNonSsoWayIn(d: LoginDecision): boolean {
  return d.allowed && d.method !== 'sso';
}

export function previewRollout(snapshot: OrgSnapshot, change: RolloutChange, gatewayUrl: string, now: Date): RolloutPreview {
  const before = new SnapshotIndex(snapshot);
  const policy = before.policies.get(change.policyId);
  if (!policy) throw new Error(`policy ${change.policyId} is not in the snapshot`);
  const changedPolicy: Policy = { ...policy, ...change.settings };
  const moves = new Map(change.addMemberIds.map((id) => [id, policy.id]));
  const after = new SnapshotIndex(withChanges(snapshot, { policies: new Map([[policy.id, changedPolicy]]), moves }));

  const settingsChanged = JSON.stringify(settingsOf(policy)) !== JSON.stringify(settingsOf(changedPolicy));
  const why = new Map<string, AccountPreview['why']>();
  for (const id of change.addMemberIds) if (snapshot.policyOf.get(id) !== policy.id) why.set(id, ['moved']);
  if (settingsChanged) {
    for (const [accountId, policyId] of snapshot.policyOf) {
      if (policyId === policy.id) why.set(accountId, [...(why.get(accountId) ?? []), 'settings-changed']);
    }
  }

  const accountsById = new Map(snapshot.accounts.map((a) => [a.id, a]));
  const decide = (index: SnapshotIndex, account: Account) => decideLogin(account.email, account, index, gatewayUrl, now);

  // Break-glass: did some admin keep a non-SSO way in before, and none after? And any way in at all?
  const admins = [...snapshot.adminIds].map((id) => accountsById.get(id)).filter((a): a is Account => a !== undefined);
  const adminsWithWayIn = (index: SnapshotIndex) => admins.filter((a) => hasNonSsoWayIn(decide(index, a))).length;
  const adminsWhoCanLogIn = (index: SnapshotIndex) => admins.filter((a) => decide(index, a).allowed).length;
  const losesBreakGlass = admins.length > 0 && adminsWithWayIn(before) > 0 && adminsWithWayIn(after) === 0;
  const losesLastAdmin = admins.length > 0 && adminsWhoCanLogIn(before) > 0 && adminsWhoCanLogIn(after) === 0;
  const warnings = [...(losesLastAdmin ? [LAST_ADMIN_REASON] : []), ...(losesBreakGlass ? [BREAK_GLASS_REASON] : [])];
  const adminWarnings: AdminWarning[] = [];

  const accounts: AccountPreview[] = [];
  for (const [accountId, reasons] of why) {
    const account = accountsById.get(accountId);
    if (!account) continue;
    const dBefore = decide(before, account);
    const dAfter = decide(after, account);
    const admin = snapshot.adminIds.has(accountId);
    // Locked out means: could log in before, cannot after. An account that could not log in before is not locked out by this change.
    const lockOutReasons: LockOutReason[] = [];
    if (dBefore.allowed && !dAfter.allowed) lockOutReasons.push({ code: dAfter.reason, message: dAfter.message });
    if (losesBreakGlass && admin) lockOutReasons.push(BREAK_GLASS_REASON);
    const category: PreviewCategory = lockOutReasons.length
      ? 'locked-out'
      : !account.active
        ? 'already-inactive'
        : !dBefore.allowed && !dAfter.allowed
          ? 'already-locked-out'
          : 'fine';
    if (admin && dBefore.allowed && !dAfter.allowed) {
      adminWarnings.push({
        accountId,
        email: account.email,
        code: 'admin-locked-out',
        message: `${account.email} administers the organization and would be locked out (${dAfter.reason}).`,
      });
    } else if (admin && dAfter.allowed && dAfter.method === 'sso' && dBefore.method !== 'sso' && !connectionWorks(after, dAfter)) {
      // The field advice: be extra careful with policies that move admins to SSO before anyone has logged in through it.
      adminWarnings.push({
        accountId,
        email: account.email,
        code: 'admin-moved-to-untested-sso',
        message: `${account.email} administers the organization and would have to log in through an SSO connection nobody has logged in through yet: test it first.`,
      });
    }
    const bBefore = accountBillability(before, account);
    const bAfter = accountBillability(after, account);
    accounts.push({
      accountId,
      email: account.email,
      why: reasons,
      fromPolicyId: snapshot.policyOf.get(accountId) ?? null,
      before: { method: dBefore.method, reason: dBefore.reason, nextLogin: nextLogin(dBefore) },
      after: { method: dAfter.method, reason: dAfter.reason, nextLogin: nextLogin(dAfter) },
      category,
      lockedOut: category === 'locked-out',
      lockOutReasons,
      admin,
      billing: { before: { billable: bBefore.billable, reason: bBefore.reason }, after: { billable: bAfter.billable, reason: bAfter.reason } },
    });
  }

  const billingBefore = computeBilling(before);
  const billingAfter = computeBilling(after);
  const afterById = new Map(billingAfter.accounts.map((a) => [a.accountId, a]));
  const billingChanges = billingBefore.accounts
    .map((b) => ({ accountId: b.accountId, email: b.email, before: b, after: afterById.get(b.accountId)! }))
    .filter((c) => c.before.billable !== c.after.billable);

  const byNextLogin: Partial<Record<NextLogin, number>> = {};
  for (const a of accounts) byNextLogin[a.after.nextLogin] = (byNextLogin[a.after.nextLogin] ?? 0) + 1;
  return {
    policyId: policy.id,
    settingsBefore: settingsOf(policy),
    settingsAfter: settingsOf(changedPolicy),
    accounts,
    warnings,
    adminWarnings,
    summary: {
      affected: accounts.length,
      lockedOut: accounts.filter((a) => a.category === 'locked-out').length,
      alreadyInactive: accounts.filter((a) => a.category === 'already-inactive').length,
      alreadyLockedOut: accounts.filter((a) => a.category === 'already-locked-out').length,
      admins: accounts.filter((a) => a.admin).length,
      byNextLogin,
    },
    billing: {
      before: billingBefore.billableCount,
      after: billingAfter.billableCount,
      delta: billingAfter.billableCount - billingBefore.billableCount,
      changes: billingChanges,
    },
  };
}
