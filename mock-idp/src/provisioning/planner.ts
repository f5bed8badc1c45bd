import { pool, type Clock } from '@rehearsal/runtime';
import type { Directory } from '../directory/directory.ts';
import type { IdpGroup } from '../directory/group.ts';
import type { IdpUser } from '../directory/user.ts';
import { clearedByReplace, createdAttributes, diffUser } from './attribute-diff.ts';
import { summarize, type CycleKind, type GroupPlan, type Plan, type UserPlan } from './cycle.ts';
import { mapUser, userResource } from './mapping.ts';
import { membershipIndex, scopeTest, type MembershipIndex } from './membership.ts';
import { groupFilter, userFilter } from './profiles.ts';
import { readPath, USER_SCHEMA, type ScimResource } from './scim-path.ts';
import type { ProvisioningTarget, UserRecord } from './target.ts';
import { jsonOf } from './scim-client.ts';
import type { TargetSession } from './target-session.ts';

/**
 * Planning: what a cycle must write, from the IdP's directory and what the
 * target holds (reads only). A dry run shows this plan; a cycle writes it.
 */
export class Planner {
  constructor(private readonly deps: { directory: Directory; clock: Clock }) {}

  async makePlan(session: TargetSession, kind: CycleKind, userKey?: string): Promise<Plan> {
    const { target } = session;
    const { directory } = this.deps;
    const watermark = directory.revision;
    const members = membershipIndex(directory, target.profile.flattenNestedGroups);
    const inScope = scopeTest(target, directory, members);

    // Who to look at: everyone for an initial cycle or after a configuration change, else what changed.
    let candidates: { id: string; user?: IdpUser }[];
    if (userKey !== undefined) {
      const user = directory.getUser(userKey);
      candidates = [{ id: user.id, user }];
    } else if (kind === 'initial' || target.configChanged || target.watermark === undefined) {
      const ids = new Set([
        ...directory
          .listUsers()
          .filter(inScope)
          .map((u) => u.id),
        ...target.users.keys(),
      ]);
      candidates = [...ids].map((id) => ({ id, user: directory.findUser(id) }));
    } else {
      const changes = directory.changesSince(target.watermark);
      const now = this.deps.clock.now().getTime();
      // Soft-deleted users whose period has passed are due for their DELETE, changed or not.
      const due = [...target.users].filter(([, r]) => r.deleteAfter !== undefined && Date.parse(r.deleteAfter) <= now).map(([id]) => id);
      const ids = new Set([...changes.users.map((u) => u.id), ...changes.removed.filter((t) => t.kind === 'user').map((t) => t.id), ...due]);
      candidates = [...ids].filter((id) => target.users.has(id) || inScope(directory.findUser(id))).map((id) => ({ id, user: directory.findUser(id) }));
    }

    const users = (
      await pool(candidates, target.config.concurrency, (c) => this.planUser(session, c.id, c.user, c.user !== undefined && inScope(c.user)))
    ).filter((p): p is UserPlan => p !== undefined);

    // Members after this cycle: users provisioned and active once the user plans land.
    const willBeMember = new Set<string>();
    for (const [id, record] of target.users) if (!record.deprovisioned) willBeMember.add(id);
    for (const p of users) {
      if (p.operation === 'deprovision' || p.operation === 'delete') willBeMember.delete(p.userId);
      else if (p.values.active !== false) willBeMember.add(p.userId);
    }
    const groups =
      userKey !== undefined
        ? this.planMembershipOf(session, directory.getUser(userKey), members, willBeMember)
        : await this.planGroups(session, members, willBeMember);

    return { target: target.config.id, kind, watermark, users, groups, summary: summarize(users, groups) };
  }

  private async planUser(session: TargetSession, id: string, user: IdpUser | undefined, inScope: boolean): Promise<UserPlan | undefined> {
    const { target } = session;
    const record = target.users.get(id);
    const shouldExist = user !== undefined && inScope && user.active;
    const email = user?.email ?? record?.values.userName?.toString() ?? id;

    if (!shouldExist) {
      // Out of scope, deactivated or deleted at the IdP: deprovision what was provisioned.
      if (!record && (!user || !inScope)) return undefined;
      const { deleteAfter, deleteNow } = this.deletion(target, id, user, record);
      const current = record ? await this.readUser(session, record.targetId, email) : await this.matchUser(session, user!);
      const values = record?.values ?? {};
      if (current && deleteNow) {
        return {
          user: email,
          userId: id,
          operation: 'delete',
          targetId: current.id,
          attributes: [],
          request: { method: 'DELETE', path: `/Users/${current.id}` },
          values,
        };
      }
      if (!current || readPath(current.resource, { text: 'active', attribute: 'active' }) === false) {
        return {
          user: email,
          userId: id,
          operation: 'none',
          targetId: current?.id,
          attributes: [],
          values,
          ...(deleteAfter ? { deleteAfter } : {}),
          ...(current === null ? { forget: true } : {}),
        };
      }
      const disabled = { ...(record?.values ?? (user ? Object.fromEntries(mapUser(target.mappings, user)) : {})), active: false };
      const full = userResource(target.mappings, new Map(Object.entries(disabled)));
      return {
        user: email,
        userId: id,
        operation: 'deprovision',
        targetId: current.id,
        attributes: [{ path: 'active', current: true, desired: false, lastProvisioned: record?.values.active, change: 'update' }],
        request: target.profile.deactivateUser(current.id, full),
        values: disabled,
        ...(deleteAfter ? { deleteAfter } : {}),
      };
    }

    const desired = mapUser(target.mappings, user);
    const current = (record && (await this.readUser(session, record.targetId, email))) || (await this.matchUser(session, user));
    if (!current) {
      const resource = userResource(target.mappings, desired);
      return {
        user: email,
        userId: id,
        operation: 'create',
        attributes: createdAttributes(desired),
        request: { method: 'POST', path: '/Users', body: resource },
        values: Object.fromEntries(desired),
      };
    }

    const lastSent = record && record.targetId === current.id ? record.values : undefined;
    const { attributes, changes, kept } = diffUser(target.mappings, current.resource, desired, lastSent);
    const values = Object.fromEntries(kept);
    if (changes.length && target.profile.updateReplacesUser) {
      // The PUT carries the mapped attributes only: everything else the target holds is cleared.
      const untouched = new Set([...target.mappings.map((m) => m.target.text.toLowerCase()), ...(await this.readOnlyPaths(session))]);
      attributes.push(...clearedByReplace(current.resource, untouched));
    }
    if (!changes.length)
      return { user: email, userId: id, operation: record?.targetId === current.id ? 'none' : 'link', targetId: current.id, attributes, values };
    return {
      user: email,
      userId: id,
      operation: 'update',
      targetId: current.id,
      attributes,
      request: target.profile.updateUser(current.id, changes, userResource(target.mappings, kept)),
      values,
    };
  }

  /**
   * When a user who should not exist is deleted from the target. Under
   * `disable-then-delete` only a user deleted at the IdP is (its soft-delete
   * period runs from the deletion, on the IdP's clock); under `delete` any.
   */
  private deletion(
    target: ProvisioningTarget,
    id: string,
    user: IdpUser | undefined,
    record: UserRecord | undefined,
  ): { deleteAfter?: string; deleteNow: boolean } {
    if (target.deprovision === 'delete') return { deleteNow: true };
    if (target.deprovision === 'disable' || user) return { deleteNow: false };
    const now = this.deps.clock.now();
    const deletedAt = Date.parse(this.deps.directory.deletedAt(id) ?? now.toISOString());
    const deleteAfter = record?.deleteAfter ?? new Date(deletedAt + target.softDeletePeriodMs).toISOString();
    return { deleteAfter, deleteNow: Date.parse(deleteAfter) <= now.getTime() };
  }

  /**
   * The user attributes the target declares read-only in its `/Schemas`
   * (lower-cased paths), read once per target: a PUT cannot clear those.
   * None when the target publishes no schemas.
   */
  private async readOnlyPaths(session: TargetSession): Promise<Set<string>> {
    const { target } = session;
    if (target.readOnlyPaths) return target.readOnlyPaths;
    const answer = await session.send({ method: 'GET', path: '/Schemas' }, { operation: 'schemas' });
    const paths = new Set<string>();
    type Attribute = { name: string; mutability?: string; subAttributes?: Attribute[] };
    for (const schema of (answer.status === 200 ? jsonOf(answer)?.Resources : undefined) ?? []) {
      const prefix = schema.id === USER_SCHEMA ? '' : `${schema.id}:`;
      for (const a of (schema.attributes ?? []) as Attribute[]) {
        if (a.mutability === 'readOnly') paths.add(`${prefix}${a.name}`.toLowerCase());
        for (const sub of a.subAttributes ?? []) if (sub.mutability === 'readOnly') paths.add(`${prefix}${a.name}.${sub.name}`.toLowerCase());
      }
    }
    target.readOnlyPaths = paths;
    return paths;
  }

  /** The user the target holds; null when it answers 404 (it has no such user), undefined when the read failed. */
  private async readUser(session: TargetSession, targetId: string, about: string): Promise<{ id: string; resource: ScimResource } | null | undefined> {
    const answer = await session.send({ method: 'GET', path: `/Users/${targetId}` }, { user: about, operation: 'read' });
    if (answer.status === 404) return null;
    const body = jsonOf(answer);
    return answer.status === 200 && body?.id ? { id: String(body.id), resource: body } : undefined;
  }

  /** The profile's matching queries in order; the first that finds a user wins. */
  private async matchUser(session: TargetSession, user: IdpUser): Promise<{ id: string; resource: ScimResource } | undefined> {
    const { target } = session;
    const values = mapUser(target.mappings, user);
    const matching = target.mappings.find((m) => m.matching)!;
    const value = values.get(matching.target.text);
    if (value === undefined) return undefined;
    const externalId = values.get('externalId');
    for (const filter of target.profile.matchFilters(
      { path: matching.target.text, value: String(value) },
      externalId === undefined ? undefined : String(externalId),
    )) {
      const answer = await session.send({ method: 'GET', path: userFilter(filter) }, { user: user.email, operation: 'match' });
      const found = answer.status === 200 ? jsonOf(answer)?.Resources?.[0] : undefined;
      if (found?.id) return { id: String(found.id), resource: found };
    }
    return undefined;
  }

  private async planGroups(session: TargetSession, members: MembershipIndex, willBeMember: Set<string>): Promise<GroupPlan[]> {
    const { target } = session;
    const { directory } = this.deps;
    const wanted =
      target.config.scope === 'all'
        ? directory.listGroups()
        : target.config.assignments.groups.map((g) => directory.findGroup(g)).filter((g): g is IdpGroup => g !== undefined);
    const plans: GroupPlan[] = [];
    const wantedIds = new Set(wanted.map((g) => g.id));
    for (const group of wanted) {
      const desired = new Set([...(members.get(group.name) ?? [])].filter((id) => willBeMember.has(id)));
      const record = target.groups.get(group.id);
      let targetId = record?.targetId;
      if (!record) {
        const answer = await session.send({ method: 'GET', path: groupFilter(group.displayName) }, { group: group.name, operation: 'match' });
        const found = answer.status === 200 ? jsonOf(answer)?.Resources?.[0]?.id : undefined;
        targetId = found === undefined ? undefined : String(found);
      }
      const known = record?.members ?? new Set<string>();
      const add = [...desired].filter((id) => !known.has(id));
      const remove = [...known].filter((id) => !desired.has(id));
      const rename = record && record.displayName !== group.displayName ? group.displayName : undefined;
      const operation = !targetId ? 'create' : add.length || remove.length || rename || !record ? 'update' : 'none';
      plans.push(this.groupPlan(group.name, group.id, operation, targetId, add, remove, rename));
    }
    for (const [id, record] of target.groups) {
      if (!wantedIds.has(id)) plans.push(this.groupPlan(record.displayName, id, 'delete', record.targetId, [], [], undefined));
    }
    return plans;
  }

  /** On-demand provisioning of one user touches only that user's memberships of groups already provisioned. */
  private planMembershipOf(session: TargetSession, user: IdpUser, members: MembershipIndex, willBeMember: Set<string>): GroupPlan[] {
    const plans: GroupPlan[] = [];
    for (const [groupId, record] of session.target.groups) {
      const group = this.deps.directory.findGroup(groupId);
      if (!group) continue;
      const should = willBeMember.has(user.id) && (members.get(group.name)?.has(user.id) ?? false);
      const is = record.members.has(user.id);
      if (should !== is)
        plans.push(this.groupPlan(group.name, group.id, 'update', record.targetId, should ? [user.id] : [], should ? [] : [user.id], undefined));
    }
    return plans;
  }

  private groupPlan(
    name: string,
    id: string,
    operation: GroupPlan['operation'],
    targetId: string | undefined,
    add: string[],
    remove: string[],
    rename: string | undefined,
  ): GroupPlan {
    const email = (userId: string) => this.deps.directory.findUser(userId)?.email ?? userId;
    return {
      group: name,
      groupId: id,
      operation,
      targetId,
      ...(rename ? { rename } : {}),
      add,
      remove,
      addMembers: add.map(email),
      removeMembers: remove.map(email),
    };
  }
}
