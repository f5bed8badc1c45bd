import { filter as matches, parse as parseScimFilter } from 'scim2-parse-filter';
import { nowIso } from '../context.ts';
import { PRODUCTS, SYSTEM_GROUPS } from '../products/product.ts';
import type { Directory } from '../directories/directory.ts';
import type { StoreTx } from '../store/store.ts';
import { parseGroupResource, parseMembers, type ScimMemberRef } from './group-resource.ts';
import { normalizePatch, type PatchOperation } from './patch.ts';
import { parseAttributeList, project } from './projection.ts';
import { ScimError, scimBadRequest, scimConflict, scimNotFound } from './scim-error.ts';
import type { AuditChange, ScimGroupRecord, ScimMember } from './scim-records.ts';
import { checkIfMatch, etagOf, ScimResources, wantsMembers, type ListParams, type ScimResponse } from './scim-resources.ts';
import { GROUP_SCHEMA } from './scim-schema.ts';

/** Atlassian's local default access groups: a synced group may not take one of these names. */
export const DEFAULT_ACCESS_GROUPS: Record<string, string> = {
  'jira-software': 'jira-software-users',
  'jira-work-management': 'jira-work-management-users',
  'jsm-agent': 'jira-servicemanagement-users',
  'jsm-customer': 'jira-servicemanagement-customers',
  confluence: 'confluence-users',
  bitbucket: 'bitbucket-users',
};

/** SCIM Groups: the resources, their members, and the product access they grant through mappings. */
export class ScimGroups extends ScimResources {
  async create(dir: Directory, body: unknown, base: string): Promise<ScimResponse> {
    const input = parseGroupResource(body);
    return this.ctx.store.transaction(async (tx) => {
      await this.checkGroupName(tx, dir, input.displayName);
      const now = nowIso(this.ctx);
      const record: ScimGroupRecord = {
        id: this.ctx.newId(),
        directoryId: dir.id,
        displayName: input.displayName,
        externalId: input.externalId,
        version: 1,
        created: now,
        lastModified: now,
      };
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

  async get(dir: Directory, id: string, base: string, params: ListParams = {}): Promise<ScimResponse> {
    const attributes = parseAttributeList(params.attributes);
    const excluded = parseAttributeList(params.excludedAttributes);
    return this.ctx.store.read(async (tx) => {
      const record = await this.requireGroup(tx, dir, id);
      const response = await this.groupResponse(tx, record, base, wantsMembers(attributes, excluded));
      return { ...response, body: project(response.body, attributes, excluded) };
    });
  }

  async list(dir: Directory, params: ListParams, base: string): Promise<ScimResponse> {
    const query = this.listQuery(dir, 'Group', params);
    const withMembers = wantsMembers(parseAttributeList(params.attributes), parseAttributeList(params.excludedAttributes));
    return this.ctx.store.read(async (tx) => {
      const { total, groups } = await tx.listScimGroups(dir.id, query);
      const members = withMembers && groups.length ? await tx.listGroupMembers(groups.map((g) => g.id)) : [];
      const resources = groups.map((g) => this.renderGroup(g, withMembers ? members.filter((m) => m.groupId === g.id) : undefined, base));
      return { body: this.listBody(total, query, resources, params) };
    });
  }

  async replace(dir: Directory, id: string, body: unknown, ifMatch: string | undefined, base: string): Promise<ScimResponse> {
    const input = parseGroupResource(body);
    return this.ctx.store.transaction(async (tx) => {
      const record = await this.requireGroup(tx, dir, id, ifMatch);
      const displayName = await this.renameTo(tx, dir, record, input.displayName);
      const wanted = await this.resolveMembers(tx, dir, input.members, record.id);
      const current = await tx.listGroupMembers([record.id]);
      const wantedIds = new Set(wanted.map((m) => m.memberId));
      const removed = current.filter((m) => !wantedIds.has(m.memberId)).map((m) => m.memberId);
      await tx.removeGroupMembers(record.id, removed);
      const added = await tx.addGroupMembers(record.id, wanted);
      if (added) await this.checkGroupSize(tx, dir, record);
      return this.saveGroup(tx, dir, record, { externalId: input.externalId, displayName }, 'replace-group', added, removed.length, base);
    });
  }

  /**
   * Group PATCH works on member rows directly rather than on a JSON document, so
   * adding 1,000 members to a group of 35,000 touches 1,000 rows. Every operation
   * is checked before any is written.
   */
  async patch(dir: Directory, id: string, body: unknown, ifMatch: string | undefined, base: string): Promise<ScimResponse> {
    const operations = normalizePatch('Group', body);
    return this.ctx.store.transaction(async (tx) => {
      const record = await this.requireGroup(tx, dir, id, ifMatch);
      let externalId = record.externalId;
      let displayName = record.displayName;
      const steps: (() => Promise<{ added: number; removed: number }>)[] = [];
      for (const op of operations) {
        const path = op.path!;
        if (path === 'displayName') {
          if (op.op === 'remove') throw new ScimError(400, 'mutability', 'displayName is required and cannot be removed.');
          if (typeof op.value !== 'string') throw scimBadRequest('invalidValue', 'displayName must be a string.');
          displayName = await this.renameTo(tx, dir, record, op.value);
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
      return this.saveGroup(tx, dir, record, { externalId, displayName }, 'patch-group', added, removed, base);
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

  async delete(dir: Directory, id: string, ifMatch: string | undefined): Promise<void> {
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

  private async saveGroup(
    tx: StoreTx,
    dir: Directory,
    record: ScimGroupRecord,
    patch: { externalId: string | null; displayName: string },
    operation: string,
    added: number,
    removed: number,
    base: string,
  ) {
    const updated: ScimGroupRecord = {
      ...record,
      externalId: patch.externalId,
      displayName: patch.displayName,
      version: record.version + 1,
      lastModified: nowIso(this.ctx),
    };
    await tx.updateScimGroup(updated);
    const changes: AuditChange[] = [];
    if (record.displayName !== updated.displayName) changes.push({ attribute: 'displayName', before: record.displayName, after: updated.displayName });
    if (record.externalId !== updated.externalId) changes.push({ attribute: 'externalId', before: record.externalId, after: updated.externalId });
    if (added) changes.push({ attribute: 'members.added', before: null, after: added });
    if (removed) changes.push({ attribute: 'members.removed', before: removed, after: null });
    await this.audit(tx, dir, operation, 'Group', record.id, null, changes);
    // A PATCH answers without the member list: large groups would make every change expensive.
    return operation === 'patch-group'
      ? { body: this.renderGroup(updated, undefined, base), etag: etagOf(updated.version) }
      : this.groupResponse(tx, updated, base, true);
  }

  /**
   * The name a PUT or PATCH leaves the group with. `atlassian` fidelity refuses
   * a rename, as the vendor does; `rfc` fidelity renames (displayName is
   * readWrite in RFC 7643 §4.2), to a name no other group of the directory has.
   */
  private async renameTo(tx: StoreTx, dir: Directory, record: ScimGroupRecord, wanted: string): Promise<string> {
    const displayName = wanted.trim();
    if (displayName === record.displayName) return displayName;
    if (dir.scimFidelity !== 'rfc')
      throw new ScimError(400, 'mutability', `Synced groups cannot be renamed ("${record.displayName}" -> "${wanted}"); create a new group instead.`);
    if (!displayName) throw scimBadRequest('invalidValue', 'displayName cannot be empty.');
    const holder = await tx.findScimGroupByName(dir.id, displayName);
    if (holder && holder.id !== record.id) throw scimConflict(`A group named "${displayName}" already exists in this directory.`);
    if (!holder) await this.checkGroupName(tx, dir, displayName);
    return displayName;
  }

  private async checkGroupName(tx: StoreTx, dir: Directory, displayName: string) {
    if (await tx.findScimGroupByName(dir.id, displayName)) throw scimConflict(`A group named "${displayName}" already exists in this directory.`);
    if ((SYSTEM_GROUPS as readonly string[]).includes(displayName.toLowerCase())) {
      throw scimBadRequest(
        'invalidValue',
        `system-group-not-syncable: "${displayName}" is a system group of the product and cannot be synced; rename the group at the identity provider.`,
      );
    }
    const enabled = new Set((await tx.listOrgProducts(dir.orgId)).map((p) => p.product));
    const product = PRODUCTS.find((p) => enabled.has(p as never) && DEFAULT_ACCESS_GROUPS[p]?.toLowerCase() === displayName.toLowerCase());
    if (product)
      throw scimConflict(`"${displayName}" is the default access group of ${product} and cannot be synced; rename the group at the identity provider.`);
  }

  /** Members must be users or groups of this directory; a group cannot contain itself. */
  private async resolveMembers(tx: StoreTx, dir: Directory, refs: ScimMemberRef[], groupId: string): Promise<ScimMember[]> {
    if (!refs.length) return [];
    const found = await tx.resolveDirectoryMembers(
      dir.id,
      refs.map((r) => r.value),
    );
    const unknown = refs.filter((r) => !found.has(r.value)).map((r) => r.value);
    if (unknown.length)
      throw scimBadRequest('invalidValue', `members: ${unknown.length} id(s) are not users or groups of this directory: ${unknown.slice(0, 5).join(', ')}`);
    if (refs.some((r) => r.value === groupId)) throw scimBadRequest('invalidValue', 'members: a group cannot contain itself.');
    return [...new Map(refs.map((r) => [r.value, { memberId: r.value, type: found.get(r.value)! }])).values()];
  }

  // The product stops syncing new users past 150,000 a directory and 35,000 a
  // group; it does not say with which status. A 400 is a per-record refusal, so
  // an IdP skips that record and goes on, as the product keeps the rest in sync.
  // Writes run in a transaction: a refused one changes nothing.
  private async checkGroupSize(tx: StoreTx, dir: Directory, group: ScimGroupRecord) {
    if (dir.scimFidelity !== 'atlassian') return;
    const max = this.ctx.scimLimits.membersPerGroup;
    const users = await tx.countGroupMembers(group.id, 'User');
    if (users > max)
      throw new ScimError(
        400,
        undefined,
        `group-member-limit: group ${group.displayName} would have ${users.toLocaleString('en')} users; the product syncs at most ${max.toLocaleString('en')} a group.`,
      );
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
      ...(members
        ? { members: members.map((m) => ({ value: m.memberId, type: m.type, $ref: `${base}/${m.type === 'User' ? 'Users' : 'Groups'}/${m.memberId}` })) }
        : {}),
      meta: {
        resourceType: 'Group',
        created: record.created,
        lastModified: record.lastModified,
        location: `${base}/Groups/${record.id}`,
        version: etagOf(record.version),
      },
    };
  }
}
