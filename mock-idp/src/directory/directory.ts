import { z } from 'zod';
import { badRequest, conflict, notFound, parseInput, type ErrorDetail } from '@rehearsal/core/runtime';
import { ancestorsOf, groupInput, nestingCycle, type GroupInput, type IdpGroup } from './group.ts';
import { stableId, toUser, userInput, type IdpUser, type UserInput } from './user.ts';

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
}

const content = z.object({ users: z.array(z.unknown()).default([]), groups: z.array(z.unknown()).default([]) }).strict();

/**
 * The mock IdP's users and groups. Every change bumps a revision number, which
 * lets provisioning ask what changed since its last watermark. Users are looked
 * up by id, email or userName, case-insensitively.
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
  constructor(initial: DirectoryContent = {}, where = 'directory') {
    const parsed = parseInput(content, initial, where);
    this.initial = { users: parsed.users as UserInput[], groups: parsed.groups as GroupInput[] };
    this.load(where);
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
    const groups = this.initial.groups.map((g, i) => parseInput(groupInput, g, `${where}.groups[${i}]`));
    for (const g of groups) this.putGroup({ ...g, groups: [] }, `${where}.groups`);
    groups.forEach((g, i) => this.setNesting(this.groups.get(g.name.toLowerCase())!, g.groups, `${where}.groups[${i}].groups`));
    this.initial.users.forEach((u, i) => this.insertUser(parseInput(userInput, u, `${where}.users[${i}]`), `${where}.users[${i}]`));
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
    if (parsed.id !== undefined && parsed.id !== current.id) throw badRequest('id-immutable', 'A user id cannot change.', [{ path: 'body.id', message: `must be ${current.id}` }]);
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
    this.tombstones.push({ kind: 'user', id: user.id, name: user.email, revision: ++this.revisionCounter });
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
      throw badRequest('unknown-group', `No group ${unknown.join(', ')} in the IdP directory: create it first.`, unknown.map((g) => ({ path: `${where}.groups`, message: `unknown group ${g}` })));
    }
    user.groups = user.groups.map((g) => this.groups.get(g.toLowerCase())!.name);
    this.revisionCounter++;
    if (replacing) this.unindex(replacing);
    this.users.set(user.id, user);
    for (const key of [user.id, user.email, user.userName]) this.keys.set(key.toLowerCase(), user.id);
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
      throw err;
    }
  }

  /** PUT: the group's display name and nested groups. A group's name is its key and cannot change. */
  replaceGroup(key: string, input: unknown): IdpGroup {
    const current = this.getGroup(key);
    const parsed = parseInput(groupInput, input, 'body');
    if (parsed.name.toLowerCase() !== current.name.toLowerCase()) throw badRequest('name-immutable', 'A group name cannot change: create a new group.', [{ path: 'body.name', message: `must be ${current.name}` }]);
    const before = { ...current };
    current.displayName = parsed.displayName ?? parsed.name;
    try {
      return this.setNesting(current, parsed.groups, 'body.groups');
    } catch (err) {
      Object.assign(current, before);
      throw err;
    }
  }

  deleteGroup(key: string): void {
    const group = this.getGroup(key);
    this.groups.delete(group.name.toLowerCase());
    const revision = ++this.revisionCounter;
    for (const other of this.groups.values()) {
      if (other.groups.includes(group.name)) Object.assign(other, { groups: other.groups.filter((g) => g !== group.name), revision });
    }
    for (const user of this.users.values()) {
      if (user.groups.includes(group.name)) Object.assign(user, { groups: user.groups.filter((g) => g !== group.name), revision });
    }
    this.tombstones.push({ kind: 'group', id: group.id, name: group.name, revision });
  }

  /** Direct and inherited groups of a user (nested groups count, as in Entra's groups claim). */
  memberOf(user: IdpUser): string[] {
    return ancestorsOf(user.groups, (g) => this.parentsOf(g));
  }

  /** Users who belong to the group directly or through a nested group. */
  membersOf(group: IdpGroup): IdpUser[] {
    return this.listUsers().filter((u) => this.memberOf(u).includes(group.name));
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
    return this.listGroups().filter((g) => g.groups.includes(name)).map((g) => g.name);
  }

  private putGroup(input: z.output<typeof groupInput>, where: string): IdpGroup {
    const key = input.name.toLowerCase();
    if (this.groups.has(key)) throw conflict('group-exists', `A group named ${input.name} already exists.`, [{ path: `${where}.name`, message: 'already taken' }]);
    const id = input.id ?? stableId('group', input.name);
    if (this.findGroup(id)) throw conflict('group-exists', `A group with id ${id} already exists.`, [{ path: `${where}.id`, message: 'already taken' }]);
    const group: IdpGroup = { id, name: input.name, displayName: input.displayName ?? input.name, groups: [], revision: ++this.revisionCounter };
    this.groups.set(key, group);
    return group;
  }

  private setNesting(group: IdpGroup, children: string[], where: string): IdpGroup {
    const resolved: string[] = [];
    for (const child of new Set(children)) {
      const found = this.groups.get(child.toLowerCase());
      if (!found) throw badRequest('unknown-group', `No group ${child} to nest in ${group.name}.`, [{ path: where, message: `unknown group ${child}` }]);
      const cycle = nestingCycle(group.name, found.name, (g) => (g === group.name ? resolved : (this.groups.get(g.toLowerCase())?.groups ?? [])));
      if (cycle) throw badRequest('group-cycle', `Nesting ${found.name} in ${group.name} would make a cycle: ${cycle.join(' > ')}.`, [{ path: where, message: 'cycle' }]);
      resolved.push(found.name);
    }
    group.groups = resolved;
    group.revision = ++this.revisionCounter;
    return group;
  }
}
