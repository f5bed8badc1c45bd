import type { AttributeChange } from './profiles.ts';
import type { AttributeDiff } from './provisioning-log.ts';
import type { MappedValues, Mapping } from './mapping.ts';
import { readPath, sameValue, valuePaths, type ScimResource, type ScimValue } from './scim-path.ts';

/**
 * What a write does to each attribute of a user the target holds, pure: the
 * plan shows these diffs, and the cycle logs the changed ones with its write.
 */

export interface UserDiff {
  /** One per mapped attribute (on-create ones aside), unchanged ones included. */
  attributes: AttributeDiff[];
  /** What the write must change. */
  changes: AttributeChange[];
  /** What the target holds once the write lands: on-create attributes keep the target's value. */
  kept: MappedValues;
}

/**
 * The diff between the user the target holds (`current`) and the mapped IdP
 * user (`desired`). `lastSent` is what the IdP sent this target last time, when
 * it holds a record for this very target user: a current value that differs
 * from it was edited on the target since, and changing it is an `overwrite`.
 */
export function diffUser(
  mappings: readonly Mapping[],
  current: ScimResource,
  desired: MappedValues,
  lastSent: Record<string, ScimValue> | undefined,
): UserDiff {
  const attributes: AttributeDiff[] = [];
  const changes: AttributeChange[] = [];
  const kept: MappedValues = new Map();
  for (const mapping of mappings) {
    const path = mapping.target.text;
    const now = readPath(current, mapping.target);
    if (mapping.apply === 'on-create') {
      if (now !== undefined) kept.set(path, now);
      continue;
    }
    const want = desired.get(path);
    if (want !== undefined) kept.set(path, want);
    const last = lastSent?.[path];
    const diff: AttributeDiff = {
      path,
      ...(now !== undefined ? { current: now } : {}),
      ...(want !== undefined ? { desired: want } : {}),
      ...(last !== undefined ? { lastProvisioned: last } : {}),
      change: 'unchanged',
    };
    if (!sameValue(now, want)) {
      diff.change = want === undefined ? 'clear' : now === undefined ? 'add' : lastSent && !sameValue(now, last) ? 'overwrite' : 'update';
      changes.push({ path, value: want, present: now !== undefined });
    }
    attributes.push(diff);
  }
  return { attributes, changes, kept };
}

/** What a whole-user PUT clears: every value the target holds outside the mapped and read-only paths (lower-cased). */
export function clearedByReplace(current: ScimResource, untouched: ReadonlySet<string>): AttributeDiff[] {
  return valuePaths(current)
    .filter(({ path }) => !untouched.has(path.toLowerCase()))
    .map(({ path, value }) => ({ path, current: value, change: 'clear' as const }));
}

/** A new user: every mapped value is an `add`. */
export const createdAttributes = (desired: MappedValues): AttributeDiff[] => [...desired].map(([path, value]) => ({ path, desired: value, change: 'add' }));

/** The attributes a write changes, as the cycle's log records them. */
export const changedAttributes = (attributes: readonly AttributeDiff[]): AttributeDiff[] => attributes.filter((a) => a.change !== 'unchanged');
