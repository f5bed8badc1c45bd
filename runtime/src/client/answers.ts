/**
 * What the CLI reads from the services' answers: the fields it shows and
 * decides on, typed once. The services send more; `--json` passes it all on.
 */

/** One attribute of a planned user write. */
export interface AttributeDiff {
  path: string;
  current?: unknown;
  desired?: unknown;
  change: string;
}

/** The mock IdP's provisioning plan (`POST /api/provisioning/targets/:id/plan`). */
export interface ProvisioningPlan {
  summary: Record<string, number>;
  users: { user: string; operation: string; attributes: AttributeDiff[]; deleteAfter?: string }[];
  groups: { group: string; operation: string; addMembers: string[]; removeMembers: string[] }[];
}

/** A provisioning cycle as the mock IdP reports it while it runs and once it ended. */
export interface ProvisioningCycle {
  id: string;
  kind: string;
  status: 'running' | 'succeeded' | 'quarantined' | 'failed';
  phase: string;
  done: number;
  total: number;
  reads: number;
  writes: number;
  counts: Record<string, number>;
  failures: { user?: string; group?: string; status: number; reason: string }[];
  error?: string;
  summary?: unknown;
}

/** One account of core's billing report: billable or not, and why. */
export interface AccountBilling {
  accountId: string;
  email: string;
  billable: boolean;
  reason: string;
  message: string;
  products: string[];
}

/** Core's billing report (`GET /api/orgs/:id/billing`). */
export interface BillingReport {
  billableCount: number;
  estimate: { monthly: number; basis: string };
  ifSubscribed?: { billableCount: number; monthly: number } | null;
  byReason: Record<string, number>;
  accounts?: AccountBilling[];
}

/** Core's rollout preview (`POST /api/orgs/:id/policies/:id/preview`). */
export interface RolloutPreview {
  summary: { affected: number; lockedOut: number; alreadyInactive: number; alreadyLockedOut: number };
  billing: { before: number; after: number; delta: number; changes: { accountId: string; email: string; before: AccountBilling; after: AccountBilling }[] };
  accounts: AccountPreview[];
  warnings: { code: string; message: string }[];
  adminWarnings: { code: string; message: string; email: string }[];
  refused: { email: string; code: string; message: string }[];
}

/** The parts of core's rollout preview a person reads in the table. */
export interface AccountPreview {
  email: string;
  why: string[];
  before: { method: string | null; reason: string; nextLogin: string };
  after: { method: string | null; reason: string; nextLogin: string };
  category: 'locked-out' | 'already-inactive' | 'already-locked-out' | 'fine';
  lockOutReasons: { code: string; message: string }[];
  admin: boolean;
  billing: { before: { billable: boolean; reason: string }; after: { billable: boolean; reason: string } };
}

/** Any service's refusal body. */
export interface ErrorAnswer {
  error?: { code?: string; message?: string };
}

/** The gateway's answers on the login path (JSON), and the mock IdP's headless login. */
export interface GatewayStep extends ErrorAnswer {
  loggedIn?: boolean;
  step?: string;
  message?: string;
  secret?: string;
  otpauthUri?: string;
  recoveryCodes?: string[];
}
export interface IssuedResponse {
  samlResponse: string;
  relayState: string | null;
  acsUrl: string;
}
