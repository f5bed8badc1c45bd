import type { WireRequest } from './profiles.ts';
import type { AttributeDiff } from './provisioning-log.ts';
import type { ScimValue } from './scim-path.ts';

/** What a provisioning cycle is, plans and records: the plan a dry run shows is the plan the cycle writes. */
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

/** Counts an outcome of the cycle (if any) under `key`. */
export function count(cycle: Cycle | undefined, key: string): void {
  if (cycle) cycle.counts[key] = (cycle.counts[key] ?? 0) + 1;
}

/** One planned write done: progress, counted under `key`. */
export function progress(cycle: Cycle | undefined, key: string): void {
  if (!cycle) return;
  cycle.done += 1;
  count(cycle, key);
}

/** One planned write failed: progress too, and the failure kept (the first thousand). */
export function failed(cycle: Cycle | undefined, failure: Cycle['failures'][number]): void {
  if (!cycle) return;
  cycle.done += 1;
  count(cycle, 'failed');
  if (cycle.failures.length < 1000) cycle.failures.push(failure);
}

/** What a plan would do: operations that change something on the target, counted. */
export function summarize(users: UserPlan[], groups: GroupPlan[]): Record<string, number> {
  const summary: Record<string, number> = {};
  for (const p of users.filter((u) => u.operation !== 'none')) summary[`users.${p.operation}`] = (summary[`users.${p.operation}`] ?? 0) + 1;
  for (const g of groups.filter((u) => u.operation !== 'none')) summary[`groups.${g.operation}`] = (summary[`groups.${g.operation}`] ?? 0) + 1;
  return summary;
}
