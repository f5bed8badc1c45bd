import { z } from 'zod';
import { parseInput, type ErrorDetail } from '@rehearsal/runtime';
import { badRequest, conflict, notFound } from '../reasons.ts';
import { ancestorsOf, groupInput, nestingCycle, type GroupInput, type IdpGroup } from './group.ts';
import { stableId, toUser, userInput, type IdpUser, type UserInput } from './user.ts';
import { MemoryState, touches, type StateChanges, type StatePort } from '../state/state-file.ts';

export interface DirectoryContent {
  users?: UserInput[];
  groups?: GroupInput[];
}

/** Something removed from the directory, kept so that a provisioning cycle can see it went. */
export interface Tombstone {
  kind: 'user' | 'group';
  id: string;
  name: string;
  revision: number;
  /** When it was deleted, on the IdP's clock: a soft-deleted user's period runs from here. */
  at?: string;
}

const USER_KEY = 'directory:user:';
const GROUP_KEY = 'directory:group:';
const TOMBSTONE_KEY = 'directory:tombstone:';
const REVISION_KEY = 'directory:revision';

const content = z.object({ users: z.array(z.unknown()).default([]), groups: z.array(z.unknown()).default([]) }).strict();

/**
 * The mock IdP's users and groups. Every change bumps a revision number, which
 * lets provisioning ask what changed since its last watermark. Users are looked
 * up by id, email or userName, case-insensitively. Every change is written to
 * the state port as it happens, and a directory found there is taken up again.
 */
export class Directory {
  private users = new Map<string, IdpUser>();
  /** Lower-cased id, email and userName -> user id: lookups and uniqueness checks stay O(1) at 10,000 users. */
  private keys = new Map<string, string>();
  private groups = new Map<string, IdpGroup>();
  private tombstones: Tombstone[] = [];
  private revisionCounter = 0;
  private readonly initial: { users: UserInput[]; groups: GroupInput[] };

  /** Throws a 400 naming the entry (`users[2].timezone`) when the content is invalid. */
  constructor(
    initial: DirectoryContent = {},
    where = 'directory',
    private readonly state: StatePort = new MemoryState(),
    private readonly now: () => Date = () => new Date(),
  ) {
    const parsed = parseInput(content, initial, where);
    this.initial = { users: parsed.users as UserInput[], groups: parsed.groups as GroupInput[] };
    if (state.get(REVISION_KEY) === undefined) this.load(where);
    else this.restore();
  }

  get revision(): number {
    return this.revisionCounter;
  }

  /** Back to the content the directory was created with. */
  reset(): void {
    this.load('directory');
  }

  private load(where: string) {
    this.users = new Map();
    this.keys = new Map();
    this.groups = new Map();
    this.tombstones = [];
    this.revisionCounter = 0;
    for (const [key] of this.state.entries('directory:')) this.state.remove(key);
    const groups = this.initial.groups.map((g, i) => parseInput(groupInput, g, `${where}.groups[${i}]`));
    for (const g of groups) this.putGroup({ ...g, groups: [] }, `${where}.groups`);
    groups.forEach((g, i) => this.setNesting(this.groups.get(g.name.toLowerCase())!, g.groups, `${where}.groups[${i}].groups`));
    this.initial.users.forEach((u, i) => this.insertUser(parseInput(userInput, u, `${where}.users[${i}]`), `${where}.users[${i}]`));
    this.saveRevision();
  }

  /** Takes up what another replica changed in the directory. */
  refresh(changes: StateChanges): void {
    if (touches(changes, 'directory:')) this.restore();
  }

  /** The directory as the state port last saw it. */
  private restore() {
    this.users = new Map();
    this.keys = new Map();
    this.groups = new Map();
    for (const [, value] of this.state.entries(GROUP_KEY)) {
      const group = value as IdpGroup;
      this.groups.set(group.name.toLowerCase(), group);
    }
    for (const [, value] of this.state.entries(USER_KEY)) {
      const user = value as IdpUser;
      this.users.set(user.id, user);
      for (const key of [user.id, user.email, user.userName]) this.keys.set(key.toLowerCase(), user.id);
    }
    this.tombstones = this.state.entries(TOMBSTONE_KEY).map(([, value]) => value as Tombstone);
    // A process killed between saving a change and its revision: the revision is at least the newest change's.
    const revisions = [...this.users.values(), ...this.groups.values(), ...this.tombstones].map((x) => x.revision);
    this.revisionCounter = Math.max(Number(this.state.get(REVISION_KEY)) || 0, ...revisions);
  }

  private saveUser(user: IdpUser) {
    this.state.put(USER_KEY + user.id, user);
  }
  private saveGroup(group: IdpGroup) {
    this.state.put(GROUP_KEY + group.id, group);
  }
  private saveTombstone(tombstone: Tombstone) {
    this.tombstones.push(tombstone);
    this.state.put(`${TOMBSTONE_KEY}${tombstone.revision}:${tombstone.kind}:${tombstone.id}`, tombstone);
  }
  private saveRevision() {
    this.state.put(REVISION_KEY, this.revisionCounter);
  }

  // ---- users -----------------------------------------------------------------

  listUsers(): IdpUser[] {
    return [...this.users.values()];
  }

  findUser(key: string): IdpUser | undefined {
    const byId = this.users.get(key);
    if (byId) return byId;
    const id = this.keys.get(key.toLowerCase());
    return id === undefined ? undefined : this.users.get(id);
  }

  getUser(key: string): IdpUser {
    const user = this.findUser(key);
    if (!user) throw notFound('user-not-found', `No user ${key} in the IdP directory.`);
    return user;
  }

  createUser(input: unknown): IdpUser {
    return this.insertUser(parseInput(userInput, input, 'body'), 'body');
  }

  /** PUT: the whole user; fields left out are cleared. The id stays. */
  replaceUser(key: string, input: unknown): IdpUser {
    const current = this.getUser(key);
    const parsed = parseInput(userInput, input, 'body');
    if (parsed.id !== undefined && parsed.id !== current.id)
      throw badRequest('id-immutable', 'A user id cannot change.', [{ path: 'body.id', message: `must be ${current.id}` }]);
    return this.insertUser({ ...parsed, id: current.id }, 'body', current);
  }

  /** PATCH: only the fields given change; `null` clears an optional field. */
  updateUser(key: string, changes: unknown): IdpUser {
    const current = this.getUser(key);
    const patch = parseInput(z.record(z.string(), z.unknown()), changes, 'body');
    const { revision: _r, ...base } = current;
    const merged: Record<string, unknown> = { ...base };
    for (const [field, value] of Object.entries(patch)) {
      if (value === null) delete merged[field];
      else merged[field] = value;
    }
    // A derived displayName follows name changes unless it was set explicitly.
    if (!('displayName' in patch) && current.displayName === [current.givenName, current.surname].filter(Boolean).join(' ')) delete merged.displayName;
    return this.replaceUser(key, merged);
  }

  deleteUser(key: string): void {
    const user = this.getUser(key);
    this.users.delete(user.id);
    this.unindex(user);
    this.state.remove(USER_KEY + user.id);
    this.saveTombstone({ kind: 'user', id: user.id, name: user.email, revision: ++this.revisionCounter, at: this.now().toISOString() });
    this.saveRevision();
  }

  private insertUser(input: z.output<typeof userInput>, where: string, replacing?: IdpUser): IdpUser {
    const user = toUser(input, this.revisionCounter + 1);
    const details: ErrorDetail[] = [];
    const holder = (key: string) => {
      const id = this.keys.get(key.toLowerCase());
      return id === undefined || id === replacing?.id ? undefined : this.users.get(id);
    };
    const sameId = holder(user.id);
    if (sameId) details.push({ path: `${where}.id`, message: `${user.id} is taken by ${sameId.email}` });
    if (holder(user.email)) details.push({ path: `${where}.email`, message: `${user.email} is taken` });
    const sameUserName = holder(user.userName);
    if (sameUserName) details.push({ path: `${where}.userName`, message: `${user.userName} is taken by ${sameUserName.email}` });
    if (details.length) throw conflict('user-exists', `${details[0]!.path}: ${details[0]!.message}.`, details);
    const unknown = user.groups.filter((g) => !this.groups.has(g.toLowerCase()));
    if (unknown.length) {
      throw badRequest(
        'unknown-group',
        `No group ${unknown.join(', ')} in the IdP directory: create it first.`,
        unknown.map((g) => ({ path: `${where}.groups`, message: `unknown group ${g}` })),
      );
    }
    user.groups = user.groups.map((g) => this.groups.get(g.toLowerCase())!.name);
    this.revisionCounter++;
    if (replacing) this.unindex(replacing);
    this.users.set(user.id, user);
    for (const key of [user.id, user.email, user.userName]) this.keys.set(key.toLowerCase(), user.id);
    this.saveUser(user);
    this.saveRevision();
    return user;
  }

  private unindex(user: IdpUser): void {
    for (const key of [user.id, user.email, user.userName]) if (this.keys.get(key.toLowerCase()) === user.id) this.keys.delete(key.toLowerCase());
  }

  // ---- groups ----------------------------------------------------------------

  listGroups(): IdpGroup[] {
    return [...this.groups.values()];
  }

  findGroup(key: string): IdpGroup | undefined {
    const wanted = key.toLowerCase();
    return this.groups.get(wanted) ?? [...this.groups.values()].find((g) => g.id.toLowerCase() === wanted);
  }

  getGroup(key: string): IdpGroup {
    const group = this.findGroup(key);
    if (!group) throw notFound('group-not-found', `No group ${key} in the IdP directory.`);
    return group;
  }

  createGroup(input: unknown): IdpGroup {
    const parsed = parseInput(groupInput, input, 'body');
    const group = this.putGroup({ ...parsed, groups: [] }, 'body');
    try {
      return this.setNesting(group, parsed.groups, 'body.groups');
    } catch (err) {
      this.groups.delete(group.name.toLowerCase());
      this.state.remove(GROUP_KEY + group.id);
      throw err;
    }
  }

  /** PUT: the group's display name and nested groups. A group's name is its key and cannot change. */
  replaceGroup(key: string, input: unknown): IdpGroup {
    const current = this.getGroup(key);
    const parsed = parseInput(groupInput, input, 'body');
    if (parsed.name.toLowerCase() !== current.name.toLowerCase())
      throw badRequest('name-immutable', 'A group name cannot change: create a new group.', [{ path: 'body.name', message: `must be ${current.name}` }]);
    const before = { ...current };
    current.displayName = parsed.displayName ?? parsed.name;
    try {
      return this.setNesting(current, parsed.groups, 'body.groups');
    } catch (err) {
      Object.assign(current, before);
      this.saveGroup(current);
      throw err;
    }
  }

  deleteGroup(key: string): void {
    const group = this.getGroup(key);
    this.groups.delete(group.name.toLowerCase());
    this.state.remove(GROUP_KEY + group.id);
    const revision = ++this.revisionCounter;
    for (const other of this.groups.values()) {
      if (!other.groups.includes(group.name)) continue;
      Object.assign(other, { groups: other.groups.filter((g) => g !== group.name), revision });
      this.saveGroup(other);
    }
    for (const user of this.users.values()) {
      if (!user.groups.includes(group.name)) continue;
      Object.assign(user, { groups: user.groups.filter((g) => g !== group.name), revision });
      this.saveUser(user);
    }
    this.saveTombstone({ kind: 'group', id: group.id, name: group.name, revision });
    this.saveRevision();
  }

  /** Direct and inherited groups of a user (nested groups count, as in Entra's groups claim). */
  memberOf(user: IdpUser): string[] {
    return ancestorsOf(user.groups, (g) => this.parentsOf(g));
  }

  /** Users who belong to the group directly or through a nested group. */
  membersOf(group: IdpGroup): IdpUser[] {
    return this.listUsers().filter((u) => this.memberOf(u).includes(group.name));
  }

  /** When the user with this id was last deleted; undefined if it never was (or is back). */
  deletedAt(userId: string): string | undefined {
    if (this.users.has(userId)) return undefined;
    return this.tombstones.findLast((t) => t.kind === 'user' && t.id === userId)?.at;
  }

  /** What changed after `revision`: users and groups to (re)send and what was removed. */
  changesSince(revision: number) {
    return {
      users: this.listUsers().filter((u) => u.revision > revision),
      groups: this.listGroups().filter((g) => g.revision > revision),
      removed: this.tombstones.filter((t) => t.revision > revision),
    };
  }

  private parentsOf(name: string): string[] {
    return this.listGroups()
      .filter((g) => g.groups.includes(name))
      .map((g) => g.name);
  }

  private putGroup(input: z.output<typeof groupInput>, where: string): IdpGroup {
    const key = input.name.toLowerCase();
    if (this.groups.has(key))
      throw conflict('group-exists', `A group named ${input.name} already exists.`, [{ path: `${where}.name`, message: 'already taken' }]);
    const id = input.id ?? stableId('group', input.name);
    if (this.findGroup(id)) throw conflict('group-exists', `A group with id ${id} already exists.`, [{ path: `${where}.id`, message: 'already taken' }]);
    const group: IdpGroup = { id, name: input.name, displayName: input.displayName ?? input.name, groups: [], revision: ++this.revisionCounter };
    this.groups.set(key, group);
    this.saveGroup(group);
    this.saveRevision();
    return group;
  }

  private setNesting(group: IdpGroup, children: string[], where: string): IdpGroup {
    const resolved: string[] = [];
    for (const child of new Set(children)) {
      const found = this.groups.get(child.toLowerCase());
      if (!found) throw badRequest('unknown-group', `No group ${child} to nest in ${group.name}.`, [{ path: where, message: `unknown group ${child}` }]);
      const cycle = nestingCycle(group.name, found.name, (g) => (g === group.name ? resolved : (this.groups.get(g.toLowerCase())?.groups ?? [])));
      if (cycle)
        throw badRequest('group-cycle', `Nesting ${found.name} in ${group.name} would make a cycle: ${cycle.join(' > ')}.`, [
          { path: where, message: 'cycle' },
        ]);
      resolved.push(found.name);
    }
    group.groups = resolved;
    group.revision = ++this.revisionCounter;
    this.saveGroup(group);
    this.saveRevision();
    return group;
  }
}
