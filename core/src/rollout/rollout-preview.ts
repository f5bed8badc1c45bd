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

export interface AccountPreview {
  accountId: string;
  email: string;
  why: ('moved' | 'settings-changed')[];
  fromPolicyId: string | null;
  before: { method: LoginDecision['method']; reason: string; nextLogin: NextLogin };
  after: { method: LoginDecision['method']; reason: string; nextLogin: NextLogin };
  lockedOut: boolean;
  lockOutReasons: LockOutReason[];
  billing: { before: Pick<AccountBillability, 'billable' | 'reason'>; after: Pick<AccountBillability, 'billable' | 'reason'> };
}

export interface RolloutPreview {
  policyId: string;
  settingsBefore: PolicySettings;
  settingsAfter: PolicySettings;
  accounts: AccountPreview[];
  warnings: LockOutReason[];
  summary: { affected: number; lockedOut: number; byNextLogin: Partial<Record<NextLogin, number>> };
  billing: { before: number; after: number; delta: number; changes: { accountId: string; email: string; before: AccountBillability; after: AccountBillability }[] };
}

export const BREAK_GLASS_REASON = {
  code: 'last-admin-loses-password-path',
  message: 'After this change no organization admin could log in without the identity provider: keep a break-glass admin in a policy that does not enforce SSO.',
};

function settingsOf(policy: Policy): PolicySettings {
  const { name, sso, twoStep, passwordMinStrength, passwordExpiryDays, idleMinutes, sessionExpiryMinutes, billable } = policy;
  return { name, sso, twoStep, passwordMinStrength, passwordExpiryDays, idleMinutes, sessionExpiryMinutes, billable };
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

  // Break-glass: did some admin keep a non-SSO way in before, and none after?
  const admins = [...snapshot.adminIds].map((id) => accountsById.get(id)).filter((a): a is Account => a !== undefined);
  const adminsWithWayIn = (index: SnapshotIndex) => admins.filter((a) => hasNonSsoWayIn(decide(index, a))).length;
  const losesBreakGlass = admins.length > 0 && adminsWithWayIn(before) > 0 && adminsWithWayIn(after) === 0;
  const warnings = losesBreakGlass ? [BREAK_GLASS_REASON] : [];

  const accounts: AccountPreview[] = [];
  for (const [accountId, reasons] of why) {
    const account = accountsById.get(accountId);
    if (!account) continue;
    const dBefore = decide(before, account);
    const dAfter = decide(after, account);
    const lockOutReasons: LockOutReason[] = [];
    if (!dAfter.allowed) lockOutReasons.push({ code: dAfter.reason, message: dAfter.message });
    if (losesBreakGlass && snapshot.adminIds.has(accountId)) lockOutReasons.push(BREAK_GLASS_REASON);
    const bBefore = accountBillability(before, account);
    const bAfter = accountBillability(after, account);
    accounts.push({
      accountId,
      email: account.email,
      why: reasons,
      fromPolicyId: snapshot.policyOf.get(accountId) ?? null,
      before: { method: dBefore.method, reason: dBefore.reason, nextLogin: nextLogin(dBefore) },
      after: { method: dAfter.method, reason: dAfter.reason, nextLogin: nextLogin(dAfter) },
      lockedOut: lockOutReasons.length > 0,
      lockOutReasons,
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
    summary: { affected: accounts.length, lockedOut: accounts.filter((a) => a.lockedOut).length, byNextLogin },
    billing: {
      before: billingBefore.billableCount,
      after: billingAfter.billableCount,
      delta: billingAfter.billableCount - billingBefore.billableCount,
      changes: billingChanges,
    },
  };
}
