import type { Account } from '../accounts/account.ts';
import type { SnapshotIndex } from '../orgs/org-snapshot.ts';
import { guardStanding } from '../orgs/organization.ts';

/** Access/Guard billing: once per unique managed user with product access, with the reason for each account. */
export const BILLING_REASONS = {
  'billable-product-access': 'An active managed account in a billable policy with access to a billable product: billed once, whatever the number of products.',
  'not-managed': 'The account is not managed by this organization, so its policies and billing do not apply.',
  'account-deactivated': 'Deactivated accounts are not billed.',
  'non-billable-policy': 'Members of a non-billable policy are not billed.',
  'covered-by-enterprise-plan': 'The account is covered by an Enterprise plan (Enterprise includes Access).',
  'jsm-customer-only': 'Jira Service Management portal customers are not billed.',
  'trello-no-workspace': 'A Trello user in no workspace is not billed.',
  'trello-awaiting-first-login': 'A Trello account created by SCIM is billed only from its first login.',
  'no-product-access': 'The account has access to no product.',
  'no-guard-subscription': 'The organization has no Atlassian Guard subscription: nothing is billed for it (with one, this account would be).',
} as const;
export type BillingReason = keyof typeof BILLING_REASONS;

export interface AccountBillability {
  accountId: string;
  email: string;
  billable: boolean;
  reason: BillingReason;
  message: string;
  /** The products that make the account billable (or that cover it). */
  products: string[];
}

const verdict = (account: Account, billable: boolean, reason: BillingReason, products: string[] = []): AccountBillability => ({
  accountId: account.id,
  email: account.email,
  billable,
  reason,
  message: BILLING_REASONS[reason],
  products,
});

export function accountBillability(org: SnapshotIndex, account: Account): AccountBillability {
  if (account.managedBy !== org.snapshot.org.id) return verdict(account, false, 'not-managed');
  if (!account.active) return verdict(account, false, 'account-deactivated');
  if (org.policyOf(account.id)?.billable === false) return verdict(account, false, 'non-billable-policy');

  const covered: string[] = [];
  const billable: string[] = [];
  // When nothing bills, the most telling reason wins: earlier in this list.
  const excuses: BillingReason[] = [];
  for (const grant of org.snapshot.grants.get(account.id) ?? []) {
    if (grant.product === 'jsm-customer') excuses.push('jsm-customer-only');
    else if (grant.plan === 'enterprise') covered.push(grant.product);
    else billable.push(grant.product);
  }
  const trello = org.snapshot.trello.get(account.id);
  if (trello?.account.active) {
    if (trello.licensed || trello.workspaces.some((w) => w.enterpriseId !== null)) covered.push('trello');
    else if (trello.account.origin === 'scim') {
      if (account.firstLoginAt) billable.push('trello');
      else excuses.unshift('trello-awaiting-first-login');
    } else if (trello.workspaces.length === 0) excuses.unshift('trello-no-workspace');
    else billable.push('trello');
  }
  if (covered.length) return verdict(account, false, 'covered-by-enterprise-plan', covered);
  if (billable.length) return verdict(account, true, 'billable-product-access', billable);
  return verdict(account, false, excuses[0] ?? 'no-product-access');
}

/** Historic Access price points (2018): $3 a user for the first 250, $2 up to 1,000, $1 above. */
export const PRICE_TIERS = [
  { upTo: 250, usdPerUser: 3 },
  { upTo: 1000, usdPerUser: 2 },
  { upTo: Infinity, usdPerUser: 1 },
] as const;

export function monthlyEstimateUsd(billableCount: number): number {
  let total = 0;
  let from = 0;
  for (const tier of PRICE_TIERS) {
    const users = Math.max(0, Math.min(billableCount, tier.upTo) - from);
    total += users * tier.usdPerUser;
    from = tier.upTo;
  }
  return total;
}

export interface BillingReport {
  orgId: string;
  /** How the organization has Atlassian Guard: without it, nothing is billed. */
  guard: ReturnType<typeof guardStanding>;
  billableCount: number;
  estimate: { currency: 'USD'; monthly: number; basis: string };
  /** Without Guard: what subscribing would bill. */
  ifSubscribed: { billableCount: number; monthly: number } | null;
  byReason: Partial<Record<BillingReason, number>>;
  accounts: AccountBillability[];
}

export function computeBilling(org: SnapshotIndex): BillingReport {
  const guard = guardStanding(org.snapshot.org);
  const wouldBe = org.snapshot.accounts.map((a) => accountBillability(org, a));
  const wouldBill = wouldBe.filter((a) => a.billable).length;
  // No Guard, no Guard bill: each account that would be billed says so.
  const accounts =
    guard === 'none'
      ? wouldBe.map((a) =>
          a.billable ? { ...a, billable: false, reason: 'no-guard-subscription' as const, message: BILLING_REASONS['no-guard-subscription'] } : a,
        )
      : wouldBe;
  const byReason: Partial<Record<BillingReason, number>> = {};
  for (const a of accounts) byReason[a.reason] = (byReason[a.reason] ?? 0) + 1;
  const billableCount = accounts.filter((a) => a.billable).length;
  return {
    orgId: org.snapshot.org.id,
    guard,
    ifSubscribed: guard === 'none' ? { billableCount: wouldBill, monthly: monthlyEstimateUsd(wouldBill) } : null,
    billableCount,
    estimate: {
      currency: 'USD',
      monthly: monthlyEstimateUsd(billableCount),
      basis: 'historic 2018 Access price points: $3/user for the first 250, $2 for 251-1,000, $1 above',
    },
    byReason,
    accounts,
  };
}
