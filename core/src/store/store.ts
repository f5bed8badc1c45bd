import type { Account, AccountProfile } from '../accounts/account.ts';
import type { Directory, ScimSettings } from '../directories/directory.ts';
import type { SamlConnection } from '../directories/saml-connection.ts';
import type { Domain } from '../domains/domain.ts';
import type { OrgSnapshot } from '../orgs/org-snapshot.ts';
import type { Organization } from '../orgs/organization.ts';
import type { Policy } from '../policies/policy.ts';
import type { OrgProduct, SiteProduct } from '../products/product.ts';
import type { AuditEvent, ScimGroupRecord, ScimListQuery, ScimMember, ScimUserRecord } from '../scim/scim-records.ts';
import type { TrelloAccount, TrelloBoard, TrelloEnterprise, TrelloWorkspace } from '../trello/trello.ts';

/**
 * The store behind core. Every method is async and every write happens inside
 * `transaction`, so a PostgreSQL implementation can follow without touching the
 * domain layer or the services. Reads and writes take whole domain objects;
 * nothing outside this folder sees SQL.
 */
export interface Store {
  /** Runs `work` atomically: everything it wrote is committed, or nothing is. */
  transaction<T>(work: (tx: StoreTx) => Promise<T>): Promise<T>;
  /** Runs read-only `work` against a consistent view. */
  read<T>(work: (tx: StoreTx) => Promise<T>): Promise<T>;
  /**
   * Replaces a small shared record (a directory's SCIM rate bucket) by what
   * `update` makes of it, while no other core updates it: a row lock on
   * PostgreSQL, where cores share it; this process's memory on SQLite, which one
   * core owns. Outside the domain's transactions: it never waits for their lock.
   */
  updateCounter<T>(key: string, update: (current: T | undefined) => T): Promise<T>;
  /** Deletes every row (harness reset); the schema stays. */
  wipe(): Promise<void>;
  close(): Promise<void>;
}

export interface Page {
  limit: number;
  offset: number;
}

export type AccountPatch = Partial<
  AccountProfile &
    Pick<
      Account,
      | 'email'
      | 'active'
      | 'managedBy'
      | 'passwordHash'
      | 'passwordChangedAt'
      | 'totpSecret'
      | 'recoveryCodeHashes'
      | 'totpLastStep'
      | 'firstLoginAt'
      | 'lastLoginAt'
      | 'profileSources'
    >
>;

export interface StoreTx {
  // organizations
  insertOrg(org: Organization): Promise<void>;
  getOrg(id: string): Promise<Organization | undefined>;
  listOrgs(): Promise<Organization[]>;
  updateOrg(id: string, patch: Partial<Pick<Organization, 'name' | 'plan' | 'subscription'>>): Promise<void>;
  addOrgAdmin(orgId: string, accountId: string): Promise<void>;
  removeOrgAdmin(orgId: string, accountId: string): Promise<void>;
  listOrgAdminIds(orgId: string): Promise<string[]>;
  listAdminOrgIds(accountId: string): Promise<string[]>;

  // accounts
  insertAccount(account: Account): Promise<void>;
  getAccount(id: string): Promise<Account | undefined>;
  getAccountByEmail(email: string): Promise<Account | undefined>;
  getAccountsByEmail(emails: string[]): Promise<Account[]>;
  updateAccount(id: string, patch: AccountPatch, updatedAt: string): Promise<void>;
  deleteAccount(id: string): Promise<void>;
  /** Unmanaged accounts on a domain become managed by `orgId`; returns their ids. */
  claimAccountsOnDomain(domain: string, orgId: string, updatedAt: string): Promise<string[]>;
  /** Accounts on a domain managed by `orgId` stop being managed; returns their ids. */
  releaseAccountsOnDomain(domain: string, orgId: string, updatedAt: string): Promise<string[]>;
  listManagedAccounts(orgId: string, page: Page): Promise<{ total: number; accounts: Account[] }>;

  // domains
  insertDomain(domain: Domain): Promise<void>;
  getDomain(id: string): Promise<Domain | undefined>;
  listDomains(orgId: string): Promise<Domain[]>;
  findVerifiedDomain(name: string): Promise<Domain | undefined>;
  updateDomain(id: string, patch: Partial<Pick<Domain, 'status' | 'method' | 'verifiedAt' | 'directoryId' | 'token'>>): Promise<void>;
  deleteDomain(id: string): Promise<void>;

  // directories and SAML connections
  insertDirectory(directory: Directory): Promise<void>;
  getDirectory(id: string): Promise<Directory | undefined>;
  listDirectories(orgId: string): Promise<Directory[]>;
  upsertConnection(connection: SamlConnection): Promise<void>;
  getConnectionByDirectory(directoryId: string): Promise<SamlConnection | undefined>;
  getConnection(id: string): Promise<SamlConnection | undefined>;
  /** A login went through the connection: SSO has been seen to work. */
  recordConnectionLogin(id: string, at: string): Promise<void>;
  deleteConnection(directoryId: string): Promise<void>;
  /** Whether an IdP directory provisioned the account (SCIM). */
  accountHasIdentity(accountId: string): Promise<boolean>;
  addIdentity(directoryId: string, accountId: string, createdAt: string): Promise<void>;
  /** The organizations whose directories provisioned the account. */
  identityOrgIds(accountId: string): Promise<string[]>;

  // policies and membership
  insertPolicy(policy: Policy): Promise<void>;
  getPolicy(id: string): Promise<Policy | undefined>;
  listPolicies(orgId: string): Promise<Policy[]>;
  updatePolicy(id: string, patch: Partial<Omit<Policy, 'id' | 'orgId' | 'directoryId' | 'createdAt'>>): Promise<void>;
  deletePolicy(id: string): Promise<void>;
  getDefaultPolicy(directoryId: string): Promise<Policy | undefined>;
  /** Puts each account in the policy, moving it out of any other. */
  setMembership(accountIds: string[], policyId: string, addedAt: string): Promise<void>;
  removeMembership(accountIds: string[]): Promise<void>;
  getMembership(accountId: string): Promise<string | undefined>;
  listMembers(policyId: string, page: Page): Promise<{ total: number; accounts: Account[] }>;
  moveAllMembers(fromPolicyId: string, toPolicyId: string, addedAt: string): Promise<number>;

  // products
  setOrgProduct(product: OrgProduct): Promise<void>;
  deleteOrgProduct(orgId: string, product: SiteProduct): Promise<void>;
  listOrgProducts(orgId: string): Promise<OrgProduct[]>;
  grantAccess(orgId: string, product: SiteProduct, accountIds: string[], grantedAt: string): Promise<number>;
  revokeAccess(orgId: string, product: SiteProduct, accountIds: string[]): Promise<number>;
  listAccess(orgId: string, product: SiteProduct, page: Page): Promise<{ total: number; accounts: Account[] }>;
  /** The site products one account may use in an organization, directly or through a synced group. */
  listProductsOf(orgId: string, accountId: string): Promise<SiteProduct[]>;

  // Trello
  insertEnterprise(enterprise: TrelloEnterprise): Promise<void>;
  getEnterprise(id: string): Promise<TrelloEnterprise | undefined>;
  getEnterpriseByOrg(orgId: string): Promise<TrelloEnterprise | undefined>;
  updateEnterprise(id: string, patch: Partial<Pick<TrelloEnterprise, 'name' | 'orgId' | 'linkedAt'>>): Promise<void>;
  addEnterpriseAdmin(enterpriseId: string, accountId: string): Promise<void>;
  listEnterpriseAdminIds(enterpriseId: string): Promise<string[]>;
  insertTrelloAccount(account: TrelloAccount): Promise<void>;
  getTrelloAccount(accountId: string): Promise<TrelloAccount | undefined>;
  updateTrelloAccount(accountId: string, patch: Partial<Pick<TrelloAccount, 'active'>>): Promise<void>;
  insertWorkspace(workspace: TrelloWorkspace): Promise<void>;
  getWorkspace(id: string): Promise<TrelloWorkspace | undefined>;
  listWorkspaces(enterpriseId: string): Promise<TrelloWorkspace[]>;
  addWorkspaceMembers(workspaceId: string, accountIds: string[]): Promise<void>;
  removeWorkspaceMember(workspaceId: string, accountId: string): Promise<void>;
  listWorkspaceIdsOf(accountId: string): Promise<string[]>;
  insertBoard(board: TrelloBoard): Promise<void>;
  listBoards(workspaceIds: string[]): Promise<TrelloBoard[]>;
  addLicenses(enterpriseId: string, accountIds: string[]): Promise<void>;
  removeLicense(enterpriseId: string, accountId: string): Promise<void>;
  listLicensedIds(enterpriseId: string): Promise<string[]>;
  /** Trello accounts in the enterprise: licensed, in one of its workspaces, or managed by the linked org. */
  listEnterpriseMemberIds(enterpriseId: string): Promise<string[]>;

  // SCIM: directory tokens (stored as SHA-256 hashes), users, groups, product mappings, audit
  setScimToken(directoryId: string, tokenHash: string): Promise<void>;
  findDirectoryByScimToken(tokenHash: string): Promise<Directory | undefined>;
  setScimSettings(directoryId: string, settings: ScimSettings): Promise<void>;
  insertScimUser(user: ScimUserRecord): Promise<void>;
  /** Replaces the stored user (resource, indexed columns, emails). */
  updateScimUser(user: ScimUserRecord): Promise<void>;
  getScimUser(directoryId: string, id: string): Promise<ScimUserRecord | undefined>;
  findScimUserByUserName(directoryId: string, userName: string): Promise<ScimUserRecord | undefined>;
  findScimUserByAccount(directoryId: string, accountId: string): Promise<ScimUserRecord | undefined>;
  /** The directory's SCIM users that are linked to an account, with the account. */
  listLinkedScimUsers(directoryId: string): Promise<{ record: ScimUserRecord; account: Account }[]>;
  /** Every SCIM user linked to the account, in any directory. */
  listScimUsersOfAccount(accountId: string): Promise<ScimUserRecord[]>;
  deleteScimUser(id: string): Promise<void>;
  listScimUsers(directoryId: string, query: ScimListQuery): Promise<{ total: number; users: ScimUserRecord[] }>;
  countScimUsers(directoryId: string): Promise<number>;
  insertScimGroup(group: ScimGroupRecord): Promise<void>;
  updateScimGroup(group: ScimGroupRecord): Promise<void>;
  getScimGroup(directoryId: string, id: string): Promise<ScimGroupRecord | undefined>;
  findScimGroupByName(directoryId: string, displayName: string): Promise<ScimGroupRecord | undefined>;
  deleteScimGroup(id: string): Promise<void>;
  listScimGroups(directoryId: string, query: ScimListQuery): Promise<{ total: number; groups: ScimGroupRecord[] }>;
  listGroupMembers(groupIds: string[]): Promise<(ScimMember & { groupId: string })[]>;
  /** Direct members, or only those of one type. */
  countGroupMembers(groupId: string, type?: ScimMember['type']): Promise<number>;
  addGroupMembers(groupId: string, members: ScimMember[]): Promise<number>;
  removeGroupMembers(groupId: string, memberIds: string[] | 'all'): Promise<number>;
  removeMemberEverywhere(memberId: string): Promise<void>;
  /** Which of these ids are users or groups of the directory, with their type. */
  resolveDirectoryMembers(directoryId: string, ids: string[]): Promise<Map<string, ScimMember['type']>>;
  listGroupsOfMembers(memberIds: string[]): Promise<{ memberId: string; groupId: string; displayName: string }[]>;
  removeIdentity(directoryId: string, accountId: string): Promise<void>;
  setGroupProductMapping(orgId: string, groupName: string, product: SiteProduct): Promise<void>;
  deleteGroupProductMapping(orgId: string, groupName: string, product: SiteProduct): Promise<number>;
  listGroupProductMappings(orgId: string): Promise<{ groupName: string; product: SiteProduct }[]>;
  insertAuditEvent(event: AuditEvent): Promise<void>;
  /** The organization's events, and every event about an account it manages, whoever recorded it. */
  listAuditEvents(orgId: string, page: { limit: number; afterSeq: number }): Promise<AuditEvent[]>;

  // decisions
  loadOrgSnapshot(orgId: string, onlyAccountIds?: string[]): Promise<OrgSnapshot | undefined>;
}
