import { createHash, randomBytes } from 'node:crypto';
import { filter as matches, parse as parseScimFilter } from 'scim2-parse-filter';
import { nowIso, type CoreContext } from '../context.ts';
import type { Directory } from '../directories/directory.ts';
import type { StoreTx } from '../store/store.ts';
import { PRODUCTS, SYSTEM_GROUPS } from '../products/product.ts';
import { checkAtlassianFilter, parseFilter, type ResourceKind } from './filter.ts';
import { parseGroupResource, parseMembers, type ScimMemberRef } from './group-resource.ts';
import { applyPatch, normalizePatch, type PatchOperation } from './patch.ts';
import { parseAttributeList, project } from './projection.ts';
import { ScimError, scimBadRequest, scimConflict, scimNotFound } from './scim-error.ts';
import type { AuditChange, ScimGroupRecord, ScimListQuery, ScimMember, ScimUserRecord } from './scim-records.ts';
import { ATLASSIAN_SCHEMA, GROUP_SCHEMA, LIST_SCHEMA } from './scim-schema.ts';
import { accountProfileFrom, lastSentProfile, parseUserResource, storedUser, type ScimUserInput } from './user-resource.ts';
import { AccountSync } from './account-sync.ts';
import { ScimRateLimiter } from './scim-limits.ts';

/**
 * The SCIM 2.0 directory server: resources as RFC 7643/7644 describe them, and
 * their effect on the organization as the vendor applies it (linked or created
 * accounts, the directory's default policy, deactivation, Trello, group access),
 * every change recorded in the audit log.
 */
export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** A new bearer token for the directory; the previous one stops working. Shown once, stored hashed. */
export async function issueScimToken(tx: StoreTx, directoryId: string): Promise<string> {
  const token = `rhsc_${randomBytes(32).toString('base64url')}`;
  await tx.setScimToken(directoryId, hashToken(token));
  return token;
}

export const MAX_RESULTS = { rfc: 1000, atlassian: 100 } as const;
const MAX_START_INDEX = 2 ** 31 - 1;

/** Atlassian's local default access groups: a synced group may not take one of these names. */
export const DEFAULT_ACCESS_GROUPS: Record<string, string> = {
  'jira-software': 'jira-software-users',
  'jira-work-management': 'jira-work-management-users',
  'jsm-agent': 'jira-servicemanagement-users',
  'jsm-customer': 'jira-servicemanagement-customers',
  confluence: 'confluence-users',
  bitbucket: 'bitbucket-users',
};

export interface ScimResponse {
  body: Record<string, unknown>;
  etag?: string;
  status?: number;
  location?: string;
}

export interface ListParams {
  filter?: unknown;
  startIndex?: unknown;
  count?: unknown;
  sortBy?: unknown;
  sortOrder?: unknown;
  attributes?: unknown;
  excludedAttributes?: unknown;
}

const etagOf = (version: number) => `W/"${version}"`;

export class ScimService {
  private readonly sync: AccountSync;
  private readonly rate: ScimRateLimiter;

  constructor(private readonly ctx: CoreContext) {
    this.sync = new AccountSync(ctx);
    this.rate = new ScimRateLimiter(ctx.clock);
  }

  // ---- credentials ---------------------------------------------------------------

  /** The directory the token opens; another directory's token is as bad as none. */
  async authenticate(directoryId: string, header: string | undefined): Promise<Directory> {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (!match) throw new ScimError(401, undefined, 'Send the directory API token as Authorization: Bearer <token>.');
    const directory = await this.ctx.store.read((tx) => tx.findDirectoryByScimToken(hashToken(match[1]!)));
    if (!directory || directory.id !== directoryId) throw new ScimError(401, undefined, 'The bearer token is not valid for this directory.');
    // Counted once the caller is known, so a stranger cannot spend a directory's rate.
    this.rate.take(directory);
    return directory;
  }

  // ---- users ---------------------------------------------------------------------

  async createUser(dir: Directory, body: unknown, base: string): Promise<ScimResponse> {
    const input = parseUserResource(body);
    const profile = accountProfileFrom(input);
    return this.ctx.store.transaction(async (tx) => {
      if (await tx.findScimUserByUserName(dir.id, input.userName)) throw scimConflict(`A user with userName ${input.userName} already exists in this directory.`);
      await this.checkDirectorySize(tx, dir);
      const { account, changes, operation } = await this.sync.link(tx, dir, await tx.getAccountByEmail(profile.email), profile);
      const now = nowIso(this.ctx);
      const record: ScimUserRecord = { id: this.ctx.newId(), directoryId: dir.id, accountId: account.id, userName: input.userName, externalId: input.externalId, resource: storedUser(input), version: 1, created: now, lastModified: now };
      await tx.insertScimUser(record);
      await tx.addIdentity(dir.id, account.id, now);
      await this.audit(tx, dir, operation, 'User', record.id, account.id, changes);
      // A new user is in no group yet: no need to ask.
      return { status: 201, body: this.renderUser(record, [], base), etag: etagOf(record.version), location: `${base}/Users/${record.id}` };
    });
  }

  async getUser(dir: Directory, id: string, base: string, params: ListParams = {}): Promise<ScimResponse> {
    return this.ctx.store.read(async (tx) => {
      const record = await this.requireUser(tx, dir, id);
      const response = await this.userResponse(tx, record, base);
      return { ...response, body: project(response.body, parseAttributeList(params.attributes), parseAttributeList(params.excludedAttributes)) };
    });
  }

  async listUsers(dir: Directory, params: ListParams, base: string): Promise<ScimResponse> {
    const query = this.listQuery(dir, 'User', params);
    return this.ctx.store.read(async (tx) => {
      const { total, users } = await tx.listScimUsers(dir.id, query);
      const groups = await tx.listGroupsOfMembers(users.map((u) => u.id));
      const resources = users.map((u) => this.renderUser(u, groups.filter((g) => g.memberId === u.id), base));
      return { body: this.listBody(total, query, resources, params) };
    });
  }

  async replaceUser(dir: Directory, id: string, body: unknown, ifMatch: string | undefined, base: string): Promise<ScimResponse> {
    const input = parseUserResource(body);
    return this.ctx.store.transaction(async (tx) => {
      const record = await this.requireUser(tx, dir, id, ifMatch);
      return this.updateUser(tx, dir, record, input, 'replace-user', base);
    });
  }

  async patchUser(dir: Directory, id: string, body: unknown, ifMatch: string | undefined, base: string): Promise<ScimResponse> {
    const operations = normalizePatch('User', body);
    return this.ctx.store.transaction(async (tx) => {
      const record = await this.requireUser(tx, dir, id, ifMatch);
      // The patched resource must still be a valid user: validated exactly like a PUT body.
      const input = parseUserResource(applyPatch(record.resource, operations));
      return this.updateUser(tx, dir, record, input, 'patch-user', base);
    });
  }

  /**
   * Unlinks, deactivates and forgets: later calls on the id are 404, a new POST
   * gets a new id. An account the organization does not manage is unlinked but
   * left as it is.
   */
  async deleteUser(dir: Directory, id: string, ifMatch: string | undefined): Promise<void> {
    await this.ctx.store.transaction(async (tx) => {
      const record = await this.requireUser(tx, dir, id, ifMatch);
      await tx.removeMemberEverywhere(record.id);
      await tx.deleteScimUser(record.id);
      const changes: AuditChange[] = [];
      if (record.accountId) {
        const account = await tx.getAccount(record.accountId);
        await tx.removeIdentity(dir.id, record.accountId);
        if (account) changes.push(...(await this.sync.deprovision(tx, dir, account)));
      }
      changes.push({ attribute: 'scimLink', before: record.id, after: null });
      await this.audit(tx, dir, 'delete-user', 'User', record.id, record.accountId, changes);
    });
  }

  private async updateUser(tx: StoreTx, dir: Directory, record: ScimUserRecord, input: ScimUserInput, operation: string, base: string): Promise<ScimResponse> {
    if (input.userName.toLowerCase() !== record.userName.toLowerCase()) {
      const clash = await tx.findScimUserByUserName(dir.id, input.userName);
      if (clash && clash.id !== record.id) throw scimConflict(`A user with userName ${input.userName} already exists in this directory.`);
    }
    const before = lastSentProfile(record.resource);
    const after = accountProfileFrom(input);
    const now = nowIso(this.ctx);
    const updated: ScimUserRecord = { ...record, userName: input.userName, externalId: input.externalId, resource: storedUser(input), version: record.version + 1, lastModified: now };
    const account = record.accountId ? await tx.getAccount(record.accountId) : undefined;
    let changes: AuditChange[];
    if (!account && (!record.unlinkedAt || (await this.sync.emailStaysLinked(tx, dir, after.email)))) {
      // The account was deleted by an admin, or the record was unlinked and its email is back on a
      // verified domain: linked again, under the same rule as a POST.
      const linked = await this.sync.link(tx, dir, await tx.getAccountByEmail(after.email), after);
      updated.accountId = linked.account.id;
      updated.unlinkedAt = null;
      await tx.addIdentity(dir.id, linked.account.id, now);
      changes = linked.changes;
      operation = linked.operation;
    } else if (!account) {
      // Unlinked (its email left the verified domains): the SCIM record changes, no account does.
      changes = [{ attribute: 'scimLink', before: null, after: null, skipped: 'unlinked: the email is on no verified domain of this organization' }];
    } else if (after.email !== account.email && account.managedBy === dir.orgId && !(await this.sync.emailStaysLinked(tx, dir, after.email))) {
      // (product behaviour) An email change off the verified domains is accepted and unlinks the account from the
      // SCIM user, whose synced group memberships go; the account itself is left as it is.
      updated.accountId = null;
      updated.unlinkedAt = now;
      await tx.removeIdentity(dir.id, account.id);
      await tx.removeMemberEverywhere(record.id);
      changes = [
        { attribute: 'scimLink', before: account.id, after: null },
        { attribute: 'email', before: account.email, after: after.email, skipped: 'email-off-verified-domains: the account was unlinked from the SCIM user and keeps its email' },
      ];
      operation = 'unlink-user';
    } else {
      changes = await this.sync.update(tx, dir, account, before, after);
    }
    await tx.updateScimUser(updated);
    await this.audit(tx, dir, operation, 'User', record.id, updated.accountId ?? record.accountId, changes);
    return this.userResponse(tx, updated, base);
  }

  private async requireUser(tx: StoreTx, dir: Directory, id: string, ifMatch?: string) {
    const record = await tx.getScimUser(dir.id, id);
    if (!record) throw scimNotFound(`No user ${id} in this directory.`);
    checkIfMatch(ifMatch, record.version);
    return record;
  }

  private async userResponse(tx: StoreTx, record: ScimUserRecord, base: string): Promise<ScimResponse> {
    const groups = await tx.listGroupsOfMembers([record.id]);
    return { body: this.renderUser(record, groups, base), etag: etagOf(record.version), location: `${base}/Users/${record.id}` };
  }

  private renderUser(record: ScimUserRecord, groups: { groupId: string; displayName: string }[], base: string): Record<string, unknown> {
    return {
      ...record.resource,
      id: record.id,
      [ATLASSIAN_SCHEMA]: { atlassianAccountId: record.accountId },
      ...(groups.length ? { groups: groups.map((g) => ({ value: g.groupId, display: g.displayName, $ref: `${base}/Groups/${g.groupId}`, type: 'direct' })) } : {}),
      meta: { resourceType: 'User', created: record.created, lastModified: record.lastModified, location: `${base}/Users/${record.id}`, version: etagOf(record.version) },
    };
  }

  // ---- groups --------------------------------------------------------------------

  async createGroup(dir: Directory, body: unknown, base: string): Promise<ScimResponse> {
    const input = parseGroupResource(body);
    return this.ctx.store.transaction(async (tx) => {
      await this.checkGroupName(tx, dir, input.displayName);
      const now = nowIso(this.ctx);
      const record: ScimGroupRecord = { id: this.ctx.newId(), directoryId: dir.id, displayName: input.displayName, externalId: input.externalId, version: 1, created: now, lastModified: now };
      await tx.insertScimGroup(record);
      const members = await this.resolveMembers(tx, dir, input.members, record.id);
      await tx.addGroupMembers(record.id, members);
      await this.checkGroupSize(tx, dir, record);
      await this.audit(tx, dir, 'create-group', 'Group', record.id, null, [
        { attribute: 'displayName', before: null, after: record.displayName },
        { attribute: 'members', before: 0, after: members.length },
      ]);
      return { status: 201, ...(await this.groupResponse(tx, record, base, true)) };
    });
  }

  async getGroup(dir: Directory, id: string, base: string, params: ListParams = {}): Promise<ScimResponse> {
    const attributes = parseAttributeList(params.attributes);
    const excluded = parseAttributeList(params.excludedAttributes);
    return this.ctx.store.read(async (tx) => {
      const record = await this.requireGroup(tx, dir, id);
      const response = await this.groupResponse(tx, record, base, wantsMembers(attributes, excluded));
      return { ...response, body: project(response.body, attributes, excluded) };
    });
  }

  async listGroups(dir: Directory, params: ListParams, base: string): Promise<ScimResponse> {
    const query = this.listQuery(dir, 'Group', params);
    const withMembers = wantsMembers(parseAttributeList(params.attributes), parseAttributeList(params.excludedAttributes));
    return this.ctx.store.read(async (tx) => {
      const { total, groups } = await tx.listScimGroups(dir.id, query);
      const members = withMembers && groups.length ? await tx.listGroupMembers(groups.map((g) => g.id)) : [];
      const resources = groups.map((g) => this.renderGroup(g, withMembers ? members.filter((m) => m.groupId === g.id) : undefined, base));
      return { body: this.listBody(total, query, resources, params) };
    });
  }

  async replaceGroup(dir: Directory, id: string, body: unknown, ifMatch: string | undefined, base: string): Promise<ScimResponse> {
    const input = parseGroupResource(body);
    return this.ctx.store.transaction(async (tx) => {
      const record = await this.requireGroup(tx, dir, id, ifMatch);
      this.refuseRename(record, input.displayName);
      const wanted = await this.resolveMembers(tx, dir, input.members, record.id);
      const current = await tx.listGroupMembers([record.id]);
      const wantedIds = new Set(wanted.map((m) => m.memberId));
      const removed = current.filter((m) => !wantedIds.has(m.memberId)).map((m) => m.memberId);
      await tx.removeGroupMembers(record.id, removed);
      const added = await tx.addGroupMembers(record.id, wanted);
      if (added) await this.checkGroupSize(tx, dir, record);
      return this.saveGroup(tx, dir, record, { externalId: input.externalId }, 'replace-group', added, removed.length, base);
    });
  }

  /**
   * Group PATCH works on member rows directly rather than on a JSON document, so
   * adding 1,000 members to a group of 35,000 touches 1,000 rows. Every operation
   * is checked before any is written.
   */
  async patchGroup(dir: Directory, id: string, body: unknown, ifMatch: string | undefined, base: string): Promise<ScimResponse> {
    const operations = normalizePatch('Group', body);
    return this.ctx.store.transaction(async (tx) => {
      const record = await this.requireGroup(tx, dir, id, ifMatch);
      let externalId = record.externalId;
      const steps: (() => Promise<{ added: number; removed: number }>)[] = [];
      for (const op of operations) {
        const path = op.path!;
        if (path === 'displayName') {
          if (op.op === 'remove') throw new ScimError(400, 'mutability', 'displayName is required and cannot be removed.');
          if (typeof op.value !== 'string') throw scimBadRequest('invalidValue', 'displayName must be a string.');
          this.refuseRename(record, op.value);
        } else if (path === 'externalId') {
          if (op.op !== 'remove' && typeof op.value !== 'string') throw scimBadRequest('invalidValue', 'externalId must be a string.');
          externalId = op.op === 'remove' ? null : (op.value as string);
        } else if (path.startsWith('members')) {
          steps.push(await this.memberStep(tx, dir, record, op));
        } else {
          throw scimBadRequest('invalidPath', `"${path}" cannot be patched on a Group.`);
        }
      }
      let added = 0;
      let removed = 0;
      for (const step of steps) {
        const result = await step();
        added += result.added;
        removed += result.removed;
      }
      if (added) await this.checkGroupSize(tx, dir, record);
      return this.saveGroup(tx, dir, record, { externalId }, 'patch-group', added, removed, base);
    });
  }

  /** Checks one members operation now and returns the write to run once all are checked. */
  private async memberStep(tx: StoreTx, dir: Directory, group: ScimGroupRecord, op: PatchOperation) {
    const path = op.path!;
    if (path === 'members') {
      if (op.op === 'remove') {
        if (op.value === undefined) return async () => ({ added: 0, removed: await tx.removeGroupMembers(group.id, 'all') });
        const ids = parseMembers(op.value).map((m) => m.value);
        return async () => ({ added: 0, removed: await tx.removeGroupMembers(group.id, ids) });
      }
      const members = await this.resolveMembers(tx, dir, parseMembers(op.value), group.id);
      if (op.op === 'add') return async () => ({ added: await tx.addGroupMembers(group.id, members), removed: 0 });
      return async () => {
        const removed = await tx.removeGroupMembers(group.id, 'all');
        return { added: await tx.addGroupMembers(group.id, members), removed };
      };
    }
    const selector = /^members\[(.+)\]$/s.exec(path);
    if (!selector || op.op !== 'remove') throw scimBadRequest('invalidPath', `"${path}": only remove takes a member filter; add or replace "members" instead.`);
    let predicate: (m: { value: string; type: string }) => boolean;
    try {
      predicate = matches(parseScimFilter(selector[1]!));
    } catch (err) {
      throw scimBadRequest('invalidPath', `"${path}" has an invalid filter: ${(err as Error).message}`);
    }
    const current = await tx.listGroupMembers([group.id]);
    const ids = current.filter((m) => predicate({ value: m.memberId, type: m.type })).map((m) => m.memberId);
    if (!ids.length) throw new ScimError(400, 'noTarget', `No member matches ${path}.`);
    return async () => ({ added: 0, removed: await tx.removeGroupMembers(group.id, ids) });
  }

  async deleteGroup(dir: Directory, id: string, ifMatch: string | undefined): Promise<void> {
    await this.ctx.store.transaction(async (tx) => {
      const record = await this.requireGroup(tx, dir, id, ifMatch);
      const members = await tx.countGroupMembers(record.id);
      await tx.deleteScimGroup(record.id);
      // Access the group granted disappears with it: grants through groups are read live.
      await this.audit(tx, dir, 'delete-group', 'Group', record.id, null, [
        { attribute: 'displayName', before: record.displayName, after: null },
        { attribute: 'members', before: members, after: 0 },
      ]);
    });
  }

  private async saveGroup(tx: StoreTx, dir: Directory, record: ScimGroupRecord, patch: { externalId: string | null }, operation: string, added: number, removed: number, base: string) {
    const updated: ScimGroupRecord = { ...record, externalId: patch.externalId, version: record.version + 1, lastModified: nowIso(this.ctx) };
    await tx.updateScimGroup(updated);
    const changes: AuditChange[] = [];
    if (record.externalId !== updated.externalId) changes.push({ attribute: 'externalId', before: record.externalId, after: updated.externalId });
    if (added) changes.push({ attribute: 'members.added', before: null, after: added });
    if (removed) changes.push({ attribute: 'members.removed', before: removed, after: null });
    await this.audit(tx, dir, operation, 'Group', record.id, null, changes);
    // A PATCH answers without the member list: large groups would make every change expensive.
    return operation === 'patch-group' ? { body: this.renderGroup(updated, undefined, base), etag: etagOf(updated.version) } : this.groupResponse(tx, updated, base, true);
  }

  /** Renaming a synced group is refused, as the vendor does. */
  private refuseRename(record: ScimGroupRecord, displayName: string) {
    if (displayName.trim() !== record.displayName) {
      throw new ScimError(400, 'mutability', `Synced groups cannot be renamed ("${record.displayName}" -> "${displayName}"); create a new group instead.`);
    }
  }

  private async checkGroupName(tx: StoreTx, dir: Directory, displayName: string) {
    if (await tx.findScimGroupByName(dir.id, displayName)) throw scimConflict(`A group named "${displayName}" already exists in this directory.`);
    if ((SYSTEM_GROUPS as readonly string[]).includes(displayName.toLowerCase())) {
      throw scimBadRequest('invalidValue', `system-group-not-syncable: "${displayName}" is a system group of the product and cannot be synced; rename the group at the identity provider.`);
    }
    const enabled = new Set((await tx.listOrgProducts(dir.orgId)).map((p) => p.product));
    const product = PRODUCTS.find((p) => enabled.has(p as never) && DEFAULT_ACCESS_GROUPS[p]?.toLowerCase() === displayName.toLowerCase());
    if (product) throw scimConflict(`"${displayName}" is the default access group of ${product} and cannot be synced; rename the group at the identity provider.`);
  }

  /** Members must be users or groups of this directory; a group cannot contain itself. */
  private async resolveMembers(tx: StoreTx, dir: Directory, refs: ScimMemberRef[], groupId: string): Promise<ScimMember[]> {
    if (!refs.length) return [];
    const found = await tx.resolveDirectoryMembers(dir.id, refs.map((r) => r.value));
    const unknown = refs.filter((r) => !found.has(r.value)).map((r) => r.value);
    if (unknown.length) throw scimBadRequest('invalidValue', `members: ${unknown.length} id(s) are not users or groups of this directory: ${unknown.slice(0, 5).join(', ')}`);
    if (refs.some((r) => r.value === groupId)) throw scimBadRequest('invalidValue', 'members: a group cannot contain itself.');
    return [...new Map(refs.map((r) => [r.value, { memberId: r.value, type: found.get(r.value)! }])).values()];
  }

  // The product stops syncing new users past 150,000 a directory and 35,000 a
  // group; it does not say with which status. A 400 is a per-record refusal, so
  // an IdP skips that record and goes on, as the product keeps the rest in sync.
  // Writes run in a transaction: a refused one changes nothing.
  private async checkDirectorySize(tx: StoreTx, dir: Directory) {
    if (dir.scimFidelity !== 'atlassian') return;
    const max = this.ctx.scimLimits.usersPerDirectory;
    if ((await tx.countScimUsers(dir.id)) >= max) throw new ScimError(400, undefined, `directory-user-limit: this directory already syncs ${max.toLocaleString('en')} users, the most the product takes; new users are not synced.`);
  }

  private async checkGroupSize(tx: StoreTx, dir: Directory, group: ScimGroupRecord) {
    if (dir.scimFidelity !== 'atlassian') return;
    const max = this.ctx.scimLimits.membersPerGroup;
    const users = await tx.countGroupMembers(group.id, 'User');
    if (users > max) throw new ScimError(400, undefined, `group-member-limit: group ${group.displayName} would have ${users.toLocaleString('en')} users; the product syncs at most ${max.toLocaleString('en')} a group.`);
  }

  private async requireGroup(tx: StoreTx, dir: Directory, id: string, ifMatch?: string) {
    const record = await tx.getScimGroup(dir.id, id);
    if (!record) throw scimNotFound(`No group ${id} in this directory.`);
    checkIfMatch(ifMatch, record.version);
    return record;
  }

  private async groupResponse(tx: StoreTx, record: ScimGroupRecord, base: string, withMembers: boolean): Promise<ScimResponse> {
    const members = withMembers ? await tx.listGroupMembers([record.id]) : undefined;
    return { body: this.renderGroup(record, members, base), etag: etagOf(record.version), location: `${base}/Groups/${record.id}` };
  }

  private renderGroup(record: ScimGroupRecord, members: ScimMember[] | undefined, base: string): Record<string, unknown> {
    return {
      schemas: [GROUP_SCHEMA],
      id: record.id,
      displayName: record.displayName,
      ...(record.externalId ? { externalId: record.externalId } : {}),
      ...(members ? { members: members.map((m) => ({ value: m.memberId, type: m.type, $ref: `${base}/${m.type === 'User' ? 'Users' : 'Groups'}/${m.memberId}` })) } : {}),
      meta: { resourceType: 'Group', created: record.created, lastModified: record.lastModified, location: `${base}/Groups/${record.id}`, version: etagOf(record.version) },
    };
  }

  // ---- lists and audit -----------------------------------------------------------

  /** Reads list parameters with the RFC's clamping; the atlassian fidelity answers like the vendor. */
  private listQuery(dir: Directory, kind: ResourceKind, params: ListParams): ScimListQuery {
    const integer = (value: unknown, name: string): number | undefined => {
      if (value === undefined || value === '') return undefined;
      if (typeof value !== 'string' || !/^-?\d+$/.test(value.trim())) throw scimBadRequest('invalidValue', `${name} must be an integer.`);
      return Number(value);
    };
    const max = MAX_RESULTS[dir.scimFidelity];
    const startIndex = Math.max(1, integer(params.startIndex, 'startIndex') ?? 1);
    // RFC 7644 numbers are 32-bit; a larger offset cannot address a resource (and SQLite would refuse it).
    if (startIndex > MAX_START_INDEX) throw scimBadRequest('invalidValue', `startIndex must be at most ${MAX_START_INDEX}.`);
    const count = Math.min(max, Math.max(0, integer(params.count, 'count') ?? 100));
    let filter;
    if (params.filter !== undefined) {
      if (typeof params.filter !== 'string') throw scimBadRequest('invalidFilter', 'Give one filter.');
      filter = parseFilter(kind, params.filter);
      if (dir.scimFidelity === 'atlassian') checkAtlassianFilter(kind, filter);
    }
    let sortBy: string | undefined;
    let descending = false;
    if (dir.scimFidelity === 'rfc') {
      if (params.sortBy !== undefined) {
        if (typeof params.sortBy !== 'string') throw scimBadRequest('invalidValue', 'Give one sortBy.');
        // Reuse the filter's attribute check: sorting goes by the same names.
        const probe = parseFilter(kind, `${params.sortBy} pr`);
        sortBy = probe.op === 'pr' ? probe.attr : undefined;
      }
      if (params.sortOrder !== undefined) {
        if (params.sortOrder !== 'ascending' && params.sortOrder !== 'descending') throw scimBadRequest('invalidValue', 'sortOrder is ascending or descending.');
        descending = params.sortOrder === 'descending';
      }
    }
    return { filter, sortBy, descending, startIndex, count };
  }

  private listBody(total: number, query: ScimListQuery, resources: Record<string, unknown>[], params: ListParams) {
    const attributes = parseAttributeList(params.attributes);
    const excluded = parseAttributeList(params.excludedAttributes);
    return {
      schemas: [LIST_SCHEMA],
      totalResults: total,
      startIndex: query.startIndex,
      itemsPerPage: resources.length,
      Resources: resources.map((r) => project(r, attributes, excluded)),
    };
  }

  private async audit(tx: StoreTx, dir: Directory, operation: string, resourceType: 'User' | 'Group', resourceId: string, accountId: string | null, changes: AuditChange[]) {
    await tx.insertAuditEvent({ orgId: dir.orgId, directoryId: dir.id, at: nowIso(this.ctx), source: 'scim', operation, resourceType, resourceId, accountId, changes });
    this.ctx.logger.info('scim change', { directoryId: dir.id, operation, resourceId, changes: changes.length });
  }
}

function checkIfMatch(ifMatch: string | undefined, version: number) {
  if (ifMatch === undefined || ifMatch.trim() === '*') return;
  const wanted = ifMatch.split(',').map((t) => t.trim());
  if (!wanted.includes(etagOf(version)) && !wanted.includes(`"${version}"`)) {
    throw new ScimError(412, undefined, `The resource has changed: its version is ${etagOf(version)}, not ${ifMatch}.`);
  }
}

function wantsMembers(attributes: string[][] | undefined, excluded: string[][] | undefined): boolean {
  const names = (paths: string[][] | undefined) => (paths ?? []).map((p) => p[0]!.toLowerCase());
  if (attributes?.length) return names(attributes).includes('members');
  return !names(excluded).includes('members');
}
