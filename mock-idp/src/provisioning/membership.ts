import type { Directory } from '../directory/directory.ts';
import type { IdpUser } from '../directory/user.ts';
import type { ProvisioningTarget } from './target.ts';

/** Group name -> IdP user ids: direct members, or with nested groups' members for flattening profiles. */
export type MembershipIndex = Map<string, Set<string>>;

export function membershipIndex(directory: Directory, flatten: boolean): MembershipIndex {
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
export function scopeTest(target: ProvisioningTarget, directory: Directory, members: MembershipIndex): (user: IdpUser | undefined) => boolean {
  if (target.config.scope === 'all') return (user) => user !== undefined;
  const assigned = new Set(target.config.assignments.users.map((u) => directory.findUser(u)?.id).filter(Boolean));
  for (const key of target.config.assignments.groups) {
    const group = directory.findGroup(key);
    for (const id of (group && members.get(group.name)) ?? []) assigned.add(id);
  }
  return (user) => user !== undefined && assigned.has(user.id);
}
