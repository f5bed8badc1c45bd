import { z } from 'zod';
import { plainText } from '@rehearsal/runtime';

export const groupInput = z
  .object({
    id: z.string().trim().min(1).max(128).optional(),
    name: plainText(256),
    displayName: plainText(256).optional(),
    /** Groups nested inside this one: their members are (transitively) members of this group. */
    groups: z.array(z.string().trim().min(1)).default([]),
  })
  .strict();
export type GroupInput = z.input<typeof groupInput>;

export interface IdpGroup {
  id: string;
  name: string;
  displayName: string;
  groups: string[];
  revision: number;
}

/**
 * Group names containing `start`, directly or through nesting, `start` included.
 * `parentsOf` maps a group to the groups it is nested in.
 */
export function ancestorsOf(start: Iterable<string>, parentsOf: (group: string) => readonly string[]): string[] {
  const seen = new Set<string>();
  const pending = [...start];
  while (pending.length) {
    const group = pending.pop()!;
    if (seen.has(group)) continue;
    seen.add(group);
    pending.push(...parentsOf(group));
  }
  return [...seen];
}

/** The nesting path that would close a cycle if `parent` contained `child`, or undefined. */
export function nestingCycle(parent: string, child: string, childrenOf: (group: string) => readonly string[]): string[] | undefined {
  const walk = (group: string, path: string[]): string[] | undefined => {
    if (group === parent) return path;
    for (const next of childrenOf(group)) {
      if (next !== parent && path.includes(next)) continue;
      const found = walk(next, [...path, next]);
      if (found) return found;
    }
    return undefined;
  };
  return walk(child, [parent, child]);
}
