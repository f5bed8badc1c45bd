import type { Clock } from '../clock.ts';

/**
 * Values that expire on the injected clock (never on the wall clock: the harness
 * moves time), shared by every replica when they live in Redis. `add` and
 * `take` are atomic, so that one-use keys (an AuthnRequest ID answered once, an
 * assertion ID seen once) stay one-use across replicas.
 */
export interface ExpiringStore<V> {
  get(key: string): Promise<V | undefined>;
  set(key: string, value: V, expiresAt: number): Promise<void>;
  /** Stores the value unless a live entry holds the key; false then (a replay). */
  add(key: string, value: V, expiresAt: number): Promise<boolean>;
  /** Removes a live entry and returns it: of several callers, one gets it. */
  take(key: string): Promise<V | undefined>;
  /** Whether a live entry was removed. */
  delete(key: string): Promise<boolean>;
  clear(): Promise<void>;
}

/**
 * In this process's memory, bounded in number. Expired entries are dropped from
 * the oldest on, stopping at the first live one, so adding stays cheap however
 * many are kept; one that expires out of order lingers until it reaches the
 * front, but is never returned.
 */
export class MemoryExpiringStore<V> implements ExpiringStore<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly maxEntries: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string): Promise<V | undefined> {
    return Promise.resolve(this.live(key));
  }

  set(key: string, value: V, expiresAt: number): Promise<void> {
    this.put(key, value, expiresAt);
    return Promise.resolve();
  }

  add(key: string, value: V, expiresAt: number): Promise<boolean> {
    if (this.live(key) !== undefined) return Promise.resolve(false);
    this.put(key, value, expiresAt);
    return Promise.resolve(true);
  }

  take(key: string): Promise<V | undefined> {
    const value = this.live(key);
    this.entries.delete(key);
    return Promise.resolve(value);
  }

  delete(key: string): Promise<boolean> {
    const live = this.live(key) !== undefined;
    this.entries.delete(key);
    return Promise.resolve(live);
  }

  clear(): Promise<void> {
    this.entries.clear();
    return Promise.resolve();
  }

  private live(key: string): V | undefined {
    const entry = this.entries.get(key);
    return entry !== undefined && entry.expiresAt > this.clock.now().getTime() ? entry.value : undefined;
  }

  private put(key: string, value: V, expiresAt: number): void {
    const now = this.clock.now().getTime();
    for (const [oldest, entry] of this.entries) {
      if (entry.expiresAt > now) break;
      this.entries.delete(oldest);
    }
    // Under a flood, the oldest give way.
    while (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt });
  }
}
