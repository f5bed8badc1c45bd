import type { Directory } from '../directory/directory.ts';
import { changedAttributes } from './attribute-diff.ts';
import { count, failed, progress, type GroupPlan, type UserPlan } from './cycle.ts';
import type { UserRecord } from './target.ts';
import { jsonOf } from './scim-client.ts';
import { reasonOf, type TargetSession } from './target-session.ts';

/** The writing half of a cycle: each planned write sent, its outcome recorded on the target's records and the cycle. */
export class Executor {
  constructor(private readonly deps: { directory: Directory }) {}

  async executeUser(session: TargetSession, plan: UserPlan): Promise<void> {
    const { target, cycle } = session;
    const record = target.users.get(plan.userId);
    if (!plan.request) {
      if (plan.forget) target.users.delete(plan.userId);
      else if (plan.targetId && (plan.operation === 'link' || record)) {
        target.users.set(plan.userId, {
          targetId: plan.targetId,
          values: plan.values,
          deprovisioned: record?.deprovisioned ?? false,
          ...(plan.deleteAfter ? { deleteAfter: plan.deleteAfter } : {}),
        });
      }
      if (plan.operation === 'link') progress(cycle, 'users.link');
      else count(cycle, 'users.none');
      return;
    }
    const answer = await session.send(plan.request, { user: plan.user, operation: plan.operation, diff: changedAttributes(plan.attributes) });
    if (plan.operation === 'delete' && ((answer.status >= 200 && answer.status < 300) || answer.status === 404)) {
      // Deleting a SCIM user takes it out of every group on the target: the IdP's group records follow.
      target.users.delete(plan.userId);
      for (const [groupId, group] of target.groups) {
        if (group.members.delete(plan.userId)) target.groups.set(groupId, group);
      }
      progress(cycle, 'users.delete');
    } else if (answer.status >= 200 && answer.status < 300) {
      const targetId = plan.operation === 'create' ? String(jsonOf(answer)?.id ?? '') : plan.targetId!;
      const next: UserRecord = {
        targetId,
        values: plan.values,
        deprovisioned: plan.operation === 'deprovision',
        ...(plan.deleteAfter ? { deleteAfter: plan.deleteAfter } : {}),
      };
      target.users.set(plan.userId, next);
      progress(cycle, `users.${plan.operation}`);
    } else {
      failed(cycle, { user: plan.user, status: answer.status, reason: reasonOf(answer) });
    }
  }

  async executeGroup(session: TargetSession, plan: GroupPlan): Promise<void> {
    const { target, cycle } = session;
    const { profile } = target;
    if (plan.operation === 'none') return;
    const about = { group: plan.group };
    if (plan.operation === 'delete') {
      const answer = await session.send({ method: 'DELETE', path: `/Groups/${plan.targetId}` }, { ...about, operation: 'delete' });
      if (answer.status < 300 || answer.status === 404) {
        target.groups.delete(plan.groupId);
        progress(cycle, 'groups.delete');
      } else failed(cycle, { ...about, status: answer.status, reason: reasonOf(answer) });
      return;
    }
    let targetId = plan.targetId;
    let record = target.groups.get(plan.groupId);
    const group = this.deps.directory.findGroup(plan.groupId)!;
    if (!targetId) {
      const answer = await session.send(profile.createGroup({ id: group.id, displayName: group.displayName }), { ...about, operation: 'create' });
      const created = jsonOf(answer)?.id;
      if (answer.status >= 300 || !created) return failed(cycle, { ...about, status: answer.status, reason: reasonOf(answer) });
      targetId = String(created);
    }
    record ??= { targetId, displayName: group.displayName, members: new Set() };
    record.targetId = targetId;
    target.groups.set(plan.groupId, record);
    if (plan.rename) {
      const answer = await session.send(profile.renameGroup(targetId, plan.rename), { ...about, operation: 'rename' });
      if (answer.status < 300) {
        record.displayName = plan.rename;
        target.groups.set(plan.groupId, record);
      } else failed(cycle, { ...about, status: answer.status, reason: reasonOf(answer) });
    }
    // Only members the target knows (provisioned users) can be sent.
    const idOf = (userId: string) => target.users.get(userId)?.targetId;
    const add = plan.add.filter((id) => idOf(id));
    const remove = plan.remove.filter((id) => idOf(id));
    if (add.length || remove.length) {
      const request = profile.changeMembers(
        targetId,
        add.map((id) => idOf(id)!),
        remove.map((id) => idOf(id)!),
      );
      const answer = await session.send(request, { ...about, operation: 'members' });
      if (answer.status >= 300) return failed(cycle, { ...about, status: answer.status, reason: reasonOf(answer) });
      for (const id of add) record.members.add(id);
      for (const id of remove) record.members.delete(id);
      target.groups.set(plan.groupId, record);
    }
    progress(cycle, `groups.${plan.operation}`);
  }
}
