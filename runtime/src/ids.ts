import { randomUUID } from 'node:crypto';

/**
 * A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then random bits. Ids made
 * later sort later, so rows keyed on them append to the end of a b-tree instead
 * of landing on random pages. The random part comes from node's randomUUID,
 * which draws entropy in bulk; ids made within one millisecond are unordered
 * among themselves, which RFC 9562 allows.
 */
export function timeOrderedId(now: number = Date.now()): string {
  const millis = now.toString(16).padStart(12, '0');
  // randomUUID(): xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx; keep everything after the version digit.
  return `${millis.slice(0, 8)}-${millis.slice(8)}-7${randomUUID().slice(15)}`;
}
