import type { Clock } from '@rehearsal/core/runtime';

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
export class ExpiringKeys {
  private readonly entries = new Map<string, { value: string; expiresAt: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs = REQUEST_TTL_MS,
  ) {}

  private sweep(now: number) {
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
    while (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
  }

  /** Adds a key; false when it was there already (a replay). */
  add(key: string, value: string, expiresAt = this.clock.now().getTime() + this.ttlMs): boolean {
    const now = this.clock.now().getTime();
    if (this.has(key)) return false;
    this.sweep(now);
    this.entries.set(key, { value, expiresAt });
    return true;
  }

  has(key: string): boolean {
    const entry = this.entries.get(key);
    return entry !== undefined && entry.expiresAt > this.clock.now().getTime();
  }

  clear(): void {
    this.entries.clear();
  }

  // node-saml's CacheProvider
  async saveAsync(key: string, value: string) {
    this.add(key, value);
    return { value, createdAt: this.clock.now().getTime() };
  }
  async getAsync(key: string) {
    return this.has(key) ? this.entries.get(key)!.value : null;
  }
  async removeAsync(key: string | null) {
    if (key === null || !this.entries.delete(key)) return null;
    return key;
  }
}
