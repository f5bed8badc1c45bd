import { conflict, notFound, pool, RehearsalError, timeOrderedId, type Clock } from '@rehearsal/runtime';
import type { Directory } from '../directory/directory.ts';
import type { IdpGroup } from '../directory/group.ts';
import type { IdpUser } from '../directory/user.ts';
import { mapUser, userResource, type MappedValues } from './mapping.ts';
import { groupFilter, userFilter, type AttributeChange, type WireRequest } from './profiles.ts';
import type { AttributeDiff, ProvisioningLog } from './provisioning-log.ts';
import { isRetryable, ScimClient, type ScimAnswer, type Sleep } from './scim-client.ts';
import { readPath, sameValue, USER_SCHEMA, valuePaths, type ScimResource, type ScimValue } from './scim-path.ts';
import type { ProvisioningTarget, UserRecord } from './target.ts';

export type CycleKind = 'initial' | 'incremental' | 'on-demand';

export interface UserPlan {
  user: string;
  userId: string;
  /** `deprovision` sends active=false, `delete` a SCIM DELETE (see the target's `deprovision`). */
  operation: 'create' | 'update' | 'deprovision' | 'delete' | 'link' | 'none';
  targetId?: string;
  attributes: AttributeDiff[];
  /** The write the cycle sends; none for link and none. */
  request?: WireRequest;
  /** The mapped values the target holds once the write lands. */
  values: Record<string, ScimValue>;
  /** A soft-deleted user: when a later cycle sends its DELETE. */
  deleteAfter?: string;
  /** The target answered 404 for a user that should not exist: the IdP forgets its record. */
  forget?: boolean;
}

export interface GroupPlan {
  group: string;
  groupId: string;
  operation: 'create' | 'update' | 'delete' | 'none';
  targetId?: string;
  rename?: string;
  /** Emails of the members to add and remove. */
  addMembers: string[];
  removeMembers: string[];
  /** Internal: IdP user ids behind the emails. */
  add: string[];
  remove: string[];
}

export interface Plan {
  target: string;
  kind: CycleKind;
  watermark: number;
  users: UserPlan[];
  groups: GroupPlan[];
  summary: Record<string, number>;
}

export interface Cycle {
  id: string;
  target: string;
  kind: CycleKind;
  status: 'running' | 'succeeded' | 'quarantined' | 'failed';
  /** Reading the target to plan, then writing what the plan says. */
  phase: 'planning' | 'writing' | 'done';
  startedAt: string;
  finishedAt?: string;
  total: number;
  done: number;
  reads: number;
  writes: number;
  counts: Record<string, number>;
  failures: { user?: string; group?: string; status: number; reason: string }[];
  error?: string;
}

/** Consecutive requests that find the target unavailable (after retries) before it is quarantined. */
const UNAVAILABLE_BEFORE_QUARANTINE = 3;

class QuarantineSignal extends Error {}

interface Context {
  target: ProvisioningTarget;
  client: ScimClient;
  cycle?: Cycle;
  unavailableInARow: number;
  /** Set once the target is quarantined: requests still queued in the pool are not sent. */
  stopped?: string;
}

export interface EngineDependencies {
  directory: Directory;
  log: ProvisioningLog;
  clock: Clock;
  sleep: Sleep;
}

/**
 * Provisioning cycles: plan (reads only) then execute (writes), so that a dry
 * run shows exactly what the real cycle will do. Each vendor profile decides
 * the wire format; the engine decides what needs to change.
 */
export class ProvisioningEngine {
  private readonly cycles = new Map<string, Cycle[]>();

  constructor(private readonly deps: EngineDependencies) {}

  listCycles(target: string): Cycle[] {
    return this.cycles.get(target) ?? [];
  }

  getCycle(target: string, id: string): Cycle {
    const cycle = this.listCycles(target).find((c) => c.id === id);
    if (!cycle) throw notFound('cycle-not-found', `No cycle ${id} for target ${target}.`);
    return cycle;
  }

  forget(target: string): void {
    this.cycles.delete(target);
  }

  /** A dry run: reads the target, writes nothing, remembers nothing. */
  async plan(target: ProvisioningTarget, kind: CycleKind, userKey?: string): Promise<Plan> {
    if (userKey !== undefined) this.deps.directory.getUser(userKey);
    const ctx = this.context(target);
    try {
      return await this.makePlan(ctx, kind, userKey);
    } catch (err) {
      // A target that refuses the token is misconfigured (422); one that does not answer is a bad gateway (502).
      if (err instanceof QuarantineSignal) {
        const refused = /refused the token/.test(err.message);
        throw new RehearsalError(refused ? 'target-token-refused' : 'target-unavailable', `The plan could not read the target: ${err.message}.`, { status: refused ? 422 : 502 });
      }
      throw err;
    } finally {
      ctx.client.close();
    }
  }

  /** Starts a cycle; `finished` settles when it ends (it never rejects: the cycle records its failure). */
  start(target: ProvisioningTarget, kind: CycleKind, userKey?: string): { cycle: Cycle; finished: Promise<Cycle> } {
    if (target.quarantine) throw conflict('target-quarantined', `Target ${target.config.id} is in quarantine: ${target.quarantine.reason}. Fix the target, then DELETE its quarantine.`);
    if (target.running) throw conflict('cycle-running', `Cycle ${target.running} is still running on target ${target.config.id}.`);
    if (userKey !== undefined) this.deps.directory.getUser(userKey);
    const cycle: Cycle = {
      id: timeOrderedId(),
      target: target.config.id,
      kind,
      status: 'running',
      phase: 'planning',
      startedAt: this.deps.clock.now().toISOString(),
      total: 0,
      done: 0,
      reads: 0,
      writes: 0,
      counts: {},
      failures: [],
    };
    const history = this.cycles.get(target.config.id) ?? [];
    history.push(cycle);
    if (history.length > 50) history.shift();
    this.cycles.set(target.config.id, history);
    target.running = cycle.id;
    const finished = this.run(target, cycle, userKey).finally(() => {
      target.running = undefined;
      cycle.phase = 'done';
      cycle.finishedAt = this.deps.clock.now().toISOString();
    });
    return { cycle, finished };
  }

  private context(target: ProvisioningTarget, cycle?: Cycle): Context {
    const client = new ScimClient(target.config.baseUrl, target.config.token, { attempts: target.config.retry.attempts, delayMs: target.retryDelayMs }, this.deps.clock, this.deps.sleep, target.config.concurrency);
    return { target, client, cycle, unavailableInARow: 0 };
  }

  private async run(target: ProvisioningTarget, cycle: Cycle, userKey?: string): Promise<Cycle> {
    const ctx = this.context(target, cycle);
    try {
      const plan = await this.makePlan(ctx, cycle.kind, userKey);
      cycle.phase = 'writing';
      cycle.total = plan.users.filter((u) => u.request || u.operation === 'link').length + plan.groups.filter((g) => g.operation !== 'none').length;
      await pool(plan.users, target.config.concurrency, (p) => this.executeUser(ctx, p));
      for (const group of plan.groups) await this.executeGroup(ctx, group);
      if (cycle.kind !== 'on-demand') {
        target.watermark = plan.watermark;
        target.configChanged = false;
      }
      cycle.status = 'succeeded';
    } catch (err) {
      if (err instanceof QuarantineSignal) {
        target.quarantine = { reason: err.message, since: this.deps.clock.now().toISOString() };
        cycle.status = 'quarantined';
        cycle.error = err.message;
      } else {
        cycle.status = 'failed';
        cycle.error = (err as Error).message;
      }
    } finally {
      ctx.client.close();
    }
    return cycle;
  }

  // ---- planning ------------------------------------------------------------------

  private async makePlan(ctx: Context, kind: CycleKind, userKey?: string): Promise<Plan> {
    const { target } = ctx;
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
      const ids = new Set([...directory.listUsers().filter(inScope).map((u) => u.id), ...target.users.keys()]);
      candidates = [...ids].map((id) => ({ id, user: directory.findUser(id) }));
    } else {
      const changes = directory.changesSince(target.watermark);
      const now = this.deps.clock.now().getTime();
      // Soft-deleted users whose period has passed are due for their DELETE, changed or not.
      const due = [...target.users].filter(([, r]) => r.deleteAfter !== undefined && Date.parse(r.deleteAfter) <= now).map(([id]) => id);
      const ids = new Set([...changes.users.map((u) => u.id), ...changes.removed.filter((t) => t.kind === 'user').map((t) => t.id), ...due]);
      candidates = [...ids].filter((id) => target.users.has(id) || inScope(directory.findUser(id))).map((id) => ({ id, user: directory.findUser(id) }));
    }

    const users = (await pool(candidates, target.config.concurrency, (c) => this.planUser(ctx, c.id, c.user, c.user !== undefined && inScope(c.user)))).filter(
      (p): p is UserPlan => p !== undefined,
    );

    // Members after this cycle: users provisioned and active once the user plans land.
    const willBeMember = new Set<string>();
    for (const [id, record] of target.users) if (!record.deprovisioned) willBeMember.add(id);
    for (const p of users) {
      if (p.operation === 'deprovision' || p.operation === 'delete') willBeMember.delete(p.userId);
      else if (p.values.active !== false) willBeMember.add(p.userId);
    }
    const groups = userKey !== undefined ? this.planMembershipOf(ctx, directory.getUser(userKey), members, willBeMember) : await this.planGroups(ctx, members, willBeMember);

    // What the cycle would do: operations that change something on the target.
    const summary: Record<string, number> = {};
    for (const p of users.filter((u) => u.operation !== 'none')) summary[`users.${p.operation}`] = (summary[`users.${p.operation}`] ?? 0) + 1;
    for (const g of groups.filter((u) => u.operation !== 'none')) summary[`groups.${g.operation}`] = (summary[`groups.${g.operation}`] ?? 0) + 1;
    return { target: target.config.id, kind, watermark, users, groups, summary };
  }

  private async planUser(ctx: Context, id: string, user: IdpUser | undefined, inScope: boolean): Promise<UserPlan | undefined> {
    const { target } = ctx;
    const record = target.users.get(id);
    const shouldExist = user !== undefined && inScope && user.active;
    const email = user?.email ?? record?.values.userName?.toString() ?? id;

    if (!shouldExist) {
      // Out of scope, deactivated or deleted at the IdP: deprovision what was provisioned.
      if (!record && (!user || !inScope)) return undefined;
      const { deleteAfter, deleteNow } = this.deletion(target, id, user, record);
      const current = record ? await this.readUser(ctx, record.targetId, email) : await this.matchUser(ctx, user!);
      const values = record?.values ?? {};
      if (current && deleteNow) {
        return { user: email, userId: id, operation: 'delete', targetId: current.id, attributes: [], request: { method: 'DELETE', path: `/Users/${current.id}` }, values };
      }
      if (!current || readPath(current.resource, { text: 'active', attribute: 'active' }) === false) {
        return { user: email, userId: id, operation: 'none', targetId: current?.id, attributes: [], values, ...(deleteAfter ? { deleteAfter } : {}), ...(current === null ? { forget: true } : {}) };
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
    const current = (record && (await this.readUser(ctx, record.targetId, email))) || (await this.matchUser(ctx, user));
    if (!current) {
      const resource = userResource(target.mappings, desired);
      return {
        user: email,
        userId: id,
        operation: 'create',
        attributes: [...desired].map(([path, value]) => ({ path, desired: value, change: 'add' })),
        request: { method: 'POST', path: '/Users', body: resource },
        values: Object.fromEntries(desired),
      };
    }

    const attributes: AttributeDiff[] = [];
    const changes: AttributeChange[] = [];
    // What the target keeps: on-create attributes stay as they are once the user exists.
    const kept: MappedValues = new Map();
    for (const mapping of target.mappings) {
      const path = mapping.target.text;
      const now = readPath(current.resource, mapping.target);
      if (mapping.apply === 'on-create') {
        if (now !== undefined) kept.set(path, now);
        continue;
      }
      const want = desired.get(path);
      if (want !== undefined) kept.set(path, want);
      const last = record && record.targetId === current.id ? record.values[path] : undefined;
      const diff: AttributeDiff = { path, ...(now !== undefined ? { current: now } : {}), ...(want !== undefined ? { desired: want } : {}), ...(last !== undefined ? { lastProvisioned: last } : {}), change: 'unchanged' };
      if (!sameValue(now, want)) {
        diff.change = want === undefined ? 'clear' : now === undefined ? 'add' : record && !sameValue(now, last) ? 'overwrite' : 'update';
        changes.push({ path, value: want, present: now !== undefined });
      }
      attributes.push(diff);
    }
    const values = Object.fromEntries(kept);
    if (changes.length && target.profile.updateReplacesUser) {
      // The PUT carries the mapped attributes only: everything else the target holds is cleared.
      const untouched = new Set([...target.mappings.map((m) => m.target.text.toLowerCase()), ...(await this.readOnlyPaths(ctx))]);
      for (const { path, value } of valuePaths(current.resource)) {
        if (!untouched.has(path.toLowerCase())) attributes.push({ path, current: value, change: 'clear' });
      }
    }
    if (!changes.length) return { user: email, userId: id, operation: record?.targetId === current.id ? 'none' : 'link', targetId: current.id, attributes, values };
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
  private deletion(target: ProvisioningTarget, id: string, user: IdpUser | undefined, record: UserRecord | undefined): { deleteAfter?: string; deleteNow: boolean } {
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
  private async readOnlyPaths(ctx: Context): Promise<Set<string>> {
    const { target } = ctx;
    if (target.readOnlyPaths) return target.readOnlyPaths;
    const answer = await this.send(ctx, { method: 'GET', path: '/Schemas' }, { operation: 'schemas' });
    const paths = new Set<string>();
    type Attribute = { name: string; mutability?: string; subAttributes?: Attribute[] };
    for (const schema of (answer.status === 200 ? answer.body?.Resources : undefined) ?? []) {
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
  private async readUser(ctx: Context, targetId: string, about: string): Promise<{ id: string; resource: ScimResource } | null | undefined> {
    const answer = await this.send(ctx, { method: 'GET', path: `/Users/${targetId}` }, { user: about, operation: 'read' });
    if (answer.status === 404) return null;
    return answer.status === 200 && answer.body?.id ? { id: String(answer.body.id), resource: answer.body } : undefined;
  }

  /** The profile's matching queries in order; the first that finds a user wins. */
  private async matchUser(ctx: Context, user: IdpUser): Promise<{ id: string; resource: ScimResource } | undefined> {
    const { target } = ctx;
    const values = mapUser(target.mappings, user);
    const matching = target.mappings.find((m) => m.matching)!;
    const value = values.get(matching.target.text);
    if (value === undefined) return undefined;
    const externalId = values.get('externalId');
    for (const filter of target.profile.matchFilters({ path: matching.target.text, value: String(value) }, externalId === undefined ? undefined : String(externalId))) {
      const answer = await this.send(ctx, { method: 'GET', path: userFilter(filter) }, { user: user.email, operation: 'match' });
      const found = answer.status === 200 ? answer.body?.Resources?.[0] : undefined;
      if (found?.id) return { id: String(found.id), resource: found };
    }
    return undefined;
  }

  private async planGroups(ctx: Context, members: MembershipIndex, willBeMember: Set<string>): Promise<GroupPlan[]> {
    const { target } = ctx;
    const { directory } = this.deps;
    const wanted = target.config.scope === 'all' ? directory.listGroups() : target.config.assignments.groups.map((g) => directory.findGroup(g)).filter((g): g is IdpGroup => g !== undefined);
    const plans: GroupPlan[] = [];
    const wantedIds = new Set(wanted.map((g) => g.id));
    for (const group of wanted) {
      const desired = new Set([...(members.get(group.name) ?? [])].filter((id) => willBeMember.has(id)));
      const record = target.groups.get(group.id);
      let targetId = record?.targetId;
      if (!record) {
        const answer = await this.send(ctx, { method: 'GET', path: groupFilter(group.displayName) }, { group: group.name, operation: 'match' });
        targetId = answer.status === 200 && answer.body?.Resources?.[0]?.id ? String(answer.body.Resources[0].id) : undefined;
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
  private planMembershipOf(ctx: Context, user: IdpUser, members: MembershipIndex, willBeMember: Set<string>): GroupPlan[] {
    const plans: GroupPlan[] = [];
    for (const [groupId, record] of ctx.target.groups) {
      const group = this.deps.directory.findGroup(groupId);
      if (!group) continue;
      const should = willBeMember.has(user.id) && (members.get(group.name)?.has(user.id) ?? false);
      const is = record.members.has(user.id);
      if (should !== is) plans.push(this.groupPlan(group.name, group.id, 'update', record.targetId, should ? [user.id] : [], should ? [] : [user.id], undefined));
    }
    return plans;
  }

  private groupPlan(name: string, id: string, operation: GroupPlan['operation'], targetId: string | undefined, add: string[], remove: string[], rename: string | undefined): GroupPlan {
    const email = (userId: string) => this.deps.directory.findUser(userId)?.email ?? userId;
    return { group: name, groupId: id, operation, targetId, ...(rename ? { rename } : {}), add, remove, addMembers: add.map(email), removeMembers: remove.map(email) };
  }

  // ---- execution -----------------------------------------------------------------

  private async executeUser(ctx: Context, plan: UserPlan): Promise<void> {
    const { target, cycle } = ctx;
    const record = target.users.get(plan.userId);
    if (!plan.request) {
      if (plan.forget) target.users.delete(plan.userId);
      else if (plan.targetId && (plan.operation === 'link' || record)) {
        target.users.set(plan.userId, { targetId: plan.targetId, values: plan.values, deprovisioned: record?.deprovisioned ?? false, ...(plan.deleteAfter ? { deleteAfter: plan.deleteAfter } : {}) });
      }
      if (plan.operation === 'link') this.progress(cycle, 'users.link');
      else this.count(cycle, 'users.none');
      return;
    }
    const answer = await this.send(ctx, plan.request, { user: plan.user, operation: plan.operation, diff: plan.attributes.filter((a) => a.change !== 'unchanged') });
    if (plan.operation === 'delete' && ((answer.status >= 200 && answer.status < 300) || answer.status === 404)) {
      // Deleting a SCIM user takes it out of every group on the target: the IdP's group records follow.
      target.users.delete(plan.userId);
      for (const [groupId, group] of target.groups) {
        if (group.members.delete(plan.userId)) target.groups.set(groupId, group);
      }
      this.progress(cycle, 'users.delete');
    } else if (answer.status >= 200 && answer.status < 300) {
      const targetId = plan.operation === 'create' ? String(answer.body?.id ?? '') : plan.targetId!;
      const next: UserRecord = { targetId, values: plan.values, deprovisioned: plan.operation === 'deprovision', ...(plan.deleteAfter ? { deleteAfter: plan.deleteAfter } : {}) };
      target.users.set(plan.userId, next);
      this.progress(cycle, `users.${plan.operation}`);
    } else {
      this.failed(cycle, { user: plan.user, status: answer.status, reason: reasonOf(answer) });
    }
  }

  private async executeGroup(ctx: Context, plan: GroupPlan): Promise<void> {
    const { target, cycle } = ctx;
    const { profile } = target;
    if (plan.operation === 'none') return;
    const about = { group: plan.group };
    if (plan.operation === 'delete') {
      const answer = await this.send(ctx, { method: 'DELETE', path: `/Groups/${plan.targetId}` }, { ...about, operation: 'delete' });
      if (answer.status < 300 || answer.status === 404) {
        target.groups.delete(plan.groupId);
        this.progress(cycle, 'groups.delete');
      } else this.failed(cycle, { ...about, status: answer.status, reason: reasonOf(answer) });
      return;
    }
    let targetId = plan.targetId;
    let record = target.groups.get(plan.groupId);
    const group = this.deps.directory.findGroup(plan.groupId)!;
    if (!targetId) {
      const answer = await this.send(ctx, profile.createGroup({ id: group.id, displayName: group.displayName }), { ...about, operation: 'create' });
      if (answer.status >= 300 || !answer.body?.id) return this.failed(cycle, { ...about, status: answer.status, reason: reasonOf(answer) });
      targetId = String(answer.body.id);
    }
    record ??= { targetId, displayName: group.displayName, members: new Set() };
    record.targetId = targetId;
    target.groups.set(plan.groupId, record);
    if (plan.rename) {
      const answer = await this.send(ctx, profile.renameGroup(targetId, plan.rename), { ...about, operation: 'rename' });
      if (answer.status < 300) {
        record.displayName = plan.rename;
        target.groups.set(plan.groupId, record);
      } else this.failed(cycle, { ...about, status: answer.status, reason: reasonOf(answer) });
    }
    // Only members the target knows (provisioned users) can be sent.
    const idOf = (userId: string) => target.users.get(userId)?.targetId;
    const add = plan.add.filter((id) => idOf(id));
    const remove = plan.remove.filter((id) => idOf(id));
    if (add.length || remove.length) {
      const answer = await this.send(
        ctx,
        profile.changeMembers(
          targetId,
          add.map((id) => idOf(id)!),
          remove.map((id) => idOf(id)!),
        ),
        { ...about, operation: 'members' },
      );
      if (answer.status >= 300) return this.failed(cycle, { ...about, status: answer.status, reason: reasonOf(answer) });
      for (const id of add) record.members.add(id);
      for (const id of remove) record.members.delete(id);
      target.groups.set(plan.groupId, record);
    }
    this.progress(cycle, `groups.${plan.operation}`);
  }

  /**
   * Sends one request, logs every attempt, and decides what a failure means:
   * 401/403 and a target that stays unavailable quarantine it; any other 4xx is
   * a bad record the cycle skips.
   */
  private async send(ctx: Context, request: WireRequest, about: { user?: string; group?: string; operation: string; diff?: AttributeDiff[] }): Promise<ScimAnswer> {
    if (ctx.stopped) throw new QuarantineSignal(ctx.stopped);
    const answer = await ctx.client.send(request);
    const { cycle, target } = ctx;
    const write = request.method !== 'GET';
    if (cycle) {
      if (write) cycle.writes += 1;
      else cycle.reads += 1;
      answer.exchanges.forEach((exchange, i) => {
        const last = i === answer.exchanges.length - 1;
        const ok = exchange.status >= 200 && exchange.status < 300;
        const outcome = !last ? 'retried' : ok || ((request.method === 'GET' || request.method === 'DELETE') && exchange.status === 404) ? 'ok' : isRetryable(exchange.status) || exchange.status === 401 || exchange.status === 403 ? 'failed' : 'skipped';
        this.deps.log.add({
          ...exchange,
          target: target.config.id,
          cycle: cycle.id,
          ...(about.user ? { user: about.user.toLowerCase() } : {}),
          ...(about.group ? { group: about.group } : {}),
          operation: about.operation,
          outcome,
          ...(outcome === 'failed' || outcome === 'skipped' ? { reason: reasonOf({ status: exchange.status, body: exchange.responseBody }) } : {}),
          ...(about.diff && last ? { diff: about.diff } : {}),
        });
      });
    }
    const stop = (reason: string) => {
      ctx.stopped ??= reason;
      return new QuarantineSignal(ctx.stopped);
    };
    if (answer.status === 401 || answer.status === 403) throw stop(`the target refused the token (${answer.status} on ${request.method} ${request.path.split('?')[0]})`);
    if (isRetryable(answer.status)) {
      ctx.unavailableInARow += 1;
      if (ctx.unavailableInARow >= UNAVAILABLE_BEFORE_QUARANTINE) {
        throw stop(`the target kept failing: ${reasonOf(answer)} on ${ctx.unavailableInARow} requests in a row, each tried ${answer.exchanges.length} times`);
      }
    } else ctx.unavailableInARow = 0;
    return answer;
  }

  private count(cycle: Cycle | undefined, key: string) {
    if (cycle) cycle.counts[key] = (cycle.counts[key] ?? 0) + 1;
  }

  private progress(cycle: Cycle | undefined, key: string) {
    if (!cycle) return;
    cycle.done += 1;
    this.count(cycle, key);
  }

  private failed(cycle: Cycle | undefined, failure: Cycle['failures'][number]) {
    if (!cycle) return;
    cycle.done += 1;
    this.count(cycle, 'failed');
    if (cycle.failures.length < 1000) cycle.failures.push(failure);
  }
}

function reasonOf(answer: { status: number; body: any }): string {
  if (answer.status === 0) return `no answer: ${answer.body?.error ?? 'connection failed'}`;
  const detail = answer.body?.detail ?? answer.body?.error?.message ?? (typeof answer.body === 'string' ? answer.body : undefined);
  return `${answer.status}${answer.body?.scimType ? ` ${answer.body.scimType}` : ''}${detail ? `: ${String(detail).slice(0, 300)}` : ''}`;
}

/** Group name -> IdP user ids: direct members, or with nested groups' members for flattening profiles. */
type MembershipIndex = Map<string, Set<string>>;

function membershipIndex(directory: Directory, flatten: boolean): MembershipIndex {
  const direct: MembershipIndex = new Map(directory.listGroups().map((g) => [g.name, new Set<string>()]));
  for (const user of directory.listUsers()) for (const g of user.groups) direct.get(g)?.add(user.id);
  if (!flatten) return direct;
  const children = new Map(directory.listGroups().map((g) => [g.name, g.groups]));
  const flattened: MembershipIndex = new Map();
  for (const name of direct.keys()) {
    const all = new Set<string>();
    const seen = new Set<string>();
    const pending = [name];
    while (pending.length) {
      const next = pending.pop()!;
      if (seen.has(next)) continue;
      seen.add(next);
      for (const id of direct.get(next) ?? []) all.add(id);
      pending.push(...(children.get(next) ?? []));
    }
    flattened.set(name, all);
  }
  return flattened;
}

/** Whether a user is in the target's scope: everyone, or assigned directly or through an assigned group. */
function scopeTest(target: ProvisioningTarget, directory: Directory, members: MembershipIndex): (user: IdpUser | undefined) => boolean {
  if (target.config.scope === 'all') return (user) => user !== undefined;
  const assigned = new Set(target.config.assignments.users.map((u) => directory.findUser(u)?.id).filter(Boolean));
  for (const key of target.config.assignments.groups) {
    const group = directory.findGroup(key);
    for (const id of (group && members.get(group.name)) ?? []) assigned.add(id);
  }
  return (user) => user !== undefined && assigned.has(user.id);
}
