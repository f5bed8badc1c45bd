import type { Account } from '../accounts/account.ts';
import { emailDomain } from '../accounts/account.ts';
import type { Directory } from '../directories/directory.ts';
import type { SamlConnection } from '../directories/saml-connection.ts';
import type { Domain } from '../domains/domain.ts';
import type { Policy } from '../policies/policy.ts';
import type { ProductGrant } from '../products/product.ts';
import type { TrelloAccount, WorkspacePlan } from '../trello/trello.ts';
import type { Organization } from './organization.ts';

/** An account's Trello standing: its Trello account, Enterprise license and workspaces. */
export interface TrelloStanding {
  account: TrelloAccount;
  licensed: boolean;
  workspaces: { id: string; plan: WorkspacePlan; enterpriseId: string | null }[];
}

/**
 * Everything the pure decisions (login, billing, rollout preview) need to know
 * about one organization, read in one go. Either the whole organization or a
 * subset of its accounts.
 */
export interface OrgSnapshot {
  org: Organization;
  adminIds: ReadonlySet<string>;
  domains: readonly Domain[];
  directories: readonly Directory[];
  connections: readonly SamlConnection[];
  policies: readonly Policy[];
  /** Accounts the org manages, administers, or grants a product to. */
  accounts: readonly Account[];
  /** accountId -> policyId */
  policyOf: ReadonlyMap<string, string>;
  /** accountId -> the IdP directories that provisioned it (SCIM). */
  identities: ReadonlyMap<string, ReadonlySet<string>>;
  /** IdP directories that have provisioned anyone: only there can "no identity" be known. */
  provisionedDirectoryIds: ReadonlySet<string>;
  grants: ReadonlyMap<string, readonly ProductGrant[]>;
  trello: ReadonlyMap<string, TrelloStanding>;
}

/** Lookups over a snapshot, built once per decision batch. */
export class SnapshotIndex {
  readonly policies: Map<string, Policy>;
  readonly directories: Map<string, Directory>;
  readonly connectionByDirectory: Map<string, SamlConnection>;
  readonly verifiedDomains: Map<string, Domain>;

  constructor(readonly snapshot: OrgSnapshot) {
    this.policies = new Map(snapshot.policies.map((p) => [p.id, p]));
    this.directories = new Map(snapshot.directories.map((d) => [d.id, d]));
    this.connectionByDirectory = new Map(snapshot.connections.map((c) => [c.directoryId, c]));
    this.verifiedDomains = new Map(snapshot.domains.filter((d) => d.status === 'verified').map((d) => [d.name, d]));
  }

  policyOf(accountId: string): Policy | undefined {
    const id = this.snapshot.policyOf.get(accountId);
    return id === undefined ? undefined : this.policies.get(id);
  }

  domainOf(account: Pick<Account, 'email'>): Domain | undefined {
    return this.verifiedDomains.get(emailDomain(account.email));
  }

  isSyncedFromIdp(account: Pick<Account, 'id' | 'origin'>): boolean {
    return account.origin === 'scim' || (this.snapshot.identities.get(account.id)?.size ?? 0) > 0;
  }
}

/** A copy of the snapshot with some policies' settings and some memberships replaced. */
export function withChanges(snapshot: OrgSnapshot, change: { policies?: ReadonlyMap<string, Policy>; moves?: ReadonlyMap<string, string> }): OrgSnapshot {
  return {
    ...snapshot,
    policies: snapshot.policies.map((p) => change.policies?.get(p.id) ?? p),
    policyOf: change.moves ? new Map([...snapshot.policyOf, ...change.moves]) : snapshot.policyOf,
  };
}
