import type { Clock, ExpiringStore } from '@rehearsal/runtime';

/** How long an AuthnRequest may wait for its answer. */
export const REQUEST_TTL_MS = 10 * 60_000;

/**
 * Expiring one-use keys on the injected clock: outstanding AuthnRequest IDs
 * (InResponseTo, consumed once) and assertion IDs seen (the replay cache, kept
 * until the assertion's NotOnOrAfter). They live in the shared state, so that
 * with several gateways one replica accepts the answer to a request another
 * sent, and an assertion replayed to any replica is refused. It implements
 * node-saml's CacheProvider so that the library's own InResponseTo check reads
 * the same store.
 */
export class ExpiringKeys {
  constructor(
    private readonly store: ExpiringStore<string>,
    private readonly clock: Clock,
    private readonly ttlMs = REQUEST_TTL_MS,
  ) {}

  /** Adds a key; false when it was there already (a replay), atomically across replicas. */
  add(key: string, value: string, expiresAt = this.clock.now().getTime() + this.ttlMs): Promise<boolean> {
    return this.store.add(key, value, expiresAt);
  }

  async has(key: string): Promise<boolean> {
    return (await this.store.get(key)) !== undefined;
  }

  /** Removes a live key; of several callers at once, one gets true. */
  delete(key: string): Promise<boolean> {
    return this.store.delete(key);
  }

  clear(): Promise<void> {
    return this.store.clear();
  }

  // node-saml's CacheProvider.
  async saveAsync(key: string, value: string): Promise<{ value: string; createdAt: number }> {
    await this.add(key, value);
    return { value, createdAt: this.clock.now().getTime() };
  }
  async getAsync(key: string): Promise<string | null> {
    return (await this.store.get(key)) ?? null;
  }
  async removeAsync(key: string | null): Promise<string | null> {
    return key === null || !(await this.delete(key)) ? null : key;
  }
}
