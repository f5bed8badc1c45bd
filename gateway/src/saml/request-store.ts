import type { Clock } from '@rehearsal/runtime';
import { ExpiringMap } from '../expiring-map.ts';

/** How long an AuthnRequest may wait for its answer. */
export const REQUEST_TTL_MS = 10 * 60_000;
/** Bounds memory under a flood of login attempts. */
const MAX_ENTRIES = 100_000;

/**
 * Expiring one-use keys on the injected clock: outstanding AuthnRequest IDs
 * (InResponseTo, consumed once) and assertion IDs seen (the replay cache, kept
 * until the assertion's NotOnOrAfter). It implements node-saml's CacheProvider
 * so that the library's own InResponseTo check reads the same store.
 */
export class ExpiringKeys extends ExpiringMap<string> {
  constructor(
    clock: Clock,
    private readonly ttlMs = REQUEST_TTL_MS,
  ) {
    super(clock, MAX_ENTRIES);
  }

  /** Adds a key; false when it was there already (a replay). */
  add(key: string, value: string, expiresAt = this.clock.now().getTime() + this.ttlMs): boolean {
    if (this.has(key)) return false;
    this.set(key, value, expiresAt);
    return true;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  // node-saml's CacheProvider: asynchronous by contract, immediate here.
  saveAsync(key: string, value: string): Promise<{ value: string; createdAt: number }> {
    this.add(key, value);
    return Promise.resolve({ value, createdAt: this.clock.now().getTime() });
  }
  getAsync(key: string): Promise<string | null> {
    return Promise.resolve(this.get(key) ?? null);
  }
  removeAsync(key: string | null): Promise<string | null> {
    return Promise.resolve(key === null || !this.delete(key) ? null : key);
  }
}
