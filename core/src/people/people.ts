import { accountBillability, type BillingReason } from '../billing/billing.ts';
import { decideLogin, nextLogin, type LoginMethod, type NextLogin } from '../login/login-decision.ts';
import type { SnapshotIndex } from '../orgs/org-snapshot.ts';

/**
 * Every account an organization manages, one row each, with what an admin asks
 * of it before a rollout: where it sits (directory, policy), how it will log in
 * next and why (the login decision), and whether it is billed and why. Pure:
 * the console's People page and its filters read this.
 */
export interface Person {
  accountId: string;
  email: string;
  displayName: string | null;
  active: boolean;
  managed: boolean;
  admin: boolean;
  origin: string;
  directory: { id: string; name: string } | null;
  policy: { id: string; name: string } | null;
  twoStepEnrolled: boolean;
  lastLoginAt: string | null;
  billable: boolean;
  billingReason: BillingReason;
  products: string[];
  /** Core's login decision for this account now. */
  login: { method: LoginMethod | null; reason: string; message: string; next: NextLogin };
}

export interface PeopleQuery {
  /** Part of the email or display name, any case. */
  q?: string | undefined;
  policy?: string | undefined;
  directory?: string | undefined;
  billable?: boolean | undefined;
  /** A login reason code, or a billing reason code. */
  reason?: string | undefined;
  limit: number;
  offset: number;
}

export interface PeoplePage {
  total: number;
  /** Before the filters: the organization's size. */
  all: number;
  limit: number;
  offset: number;
  people: Person[];
  /** What the filters can choose from, with how many of all people each matches. */
  facets: {
    policies: { id: string; name: string; count: number }[];
    directories: { id: string; name: string; count: number }[];
    loginReasons: Record<string, number>;
    billingReasons: Record<string, number>;
  };
}

function describe(org: SnapshotIndex, account: SnapshotIndex['snapshot']['accounts'][number], gatewayUrl: string, now: Date): Person {
  const policy = org.policyOf(account.id);
  const directory = policy ? org.directories.get(policy.directoryId) : undefined;
  const decision = decideLogin(account.email, account, org, gatewayUrl, now);
  const billing = accountBillability(org, account);
  return {
    accountId: account.id,
    email: account.email,
    displayName: account.displayName || null,
    active: account.active,
    managed: account.managedBy === org.snapshot.org.id,
    admin: org.snapshot.adminIds.has(account.id),
    origin: account.origin,
    directory: directory ? { id: directory.id, name: directory.name } : null,
    policy: policy ? { id: policy.id, name: policy.name } : null,
    twoStepEnrolled: account.totpSecret !== null,
    lastLoginAt: account.lastLoginAt,
    billable: billing.billable,
    billingReason: billing.reason,
    products: billing.products,
    login: { method: decision.method, reason: decision.reason, message: decision.message, next: nextLogin(decision) },
  };
}

const tally = (counts: Record<string, number>, key: string) => void (counts[key] = (counts[key] ?? 0) + 1);

/** The organization's managed accounts, described, filtered, sorted by email and paged. */
export function listPeople(org: SnapshotIndex, query: PeopleQuery, gatewayUrl: string, now: Date): PeoplePage {
  const orgId = org.snapshot.org.id;
  const everyone = org.snapshot.accounts
    .filter((a) => a.managedBy === orgId)
    .map((a) => describe(org, a, gatewayUrl, now))
    .sort((a, b) => a.email.localeCompare(b.email));
  const needle = query.q?.trim().toLowerCase();
  const matching = everyone.filter(
    (p) =>
      (!needle || p.email.toLowerCase().includes(needle) || (p.displayName ?? '').toLowerCase().includes(needle)) &&
      (query.policy === undefined || p.policy?.id === query.policy) &&
      (query.directory === undefined || p.directory?.id === query.directory) &&
      (query.billable === undefined || p.billable === query.billable) &&
      (query.reason === undefined || p.login.reason === query.reason || p.billingReason === query.reason),
  );
  const loginReasons: Record<string, number> = {};
  const billingReasons: Record<string, number> = {};
  const byPolicy: Record<string, number> = {};
  const byDirectory: Record<string, number> = {};
  for (const p of everyone) {
    tally(loginReasons, p.login.reason);
    tally(billingReasons, p.billingReason);
    if (p.policy) tally(byPolicy, p.policy.id);
    if (p.directory) tally(byDirectory, p.directory.id);
  }
  return {
    total: matching.length,
    all: everyone.length,
    limit: query.limit,
    offset: query.offset,
    people: matching.slice(query.offset, query.offset + query.limit),
    facets: {
      policies: org.snapshot.policies.map((p) => ({ id: p.id, name: p.name, count: byPolicy[p.id] ?? 0 })),
      directories: org.snapshot.directories.map((d) => ({ id: d.id, name: d.name, count: byDirectory[d.id] ?? 0 })),
      loginReasons,
      billingReasons,
    },
  };
}
