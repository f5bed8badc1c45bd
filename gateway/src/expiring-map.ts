import type { Clock } from '@rehearsal/runtime';

/**
 * Values that expire on the injected clock, bounded in number. Expired entries
 * are dropped from the oldest on, stopping at the first live one, so adding
 * stays cheap however many are kept; one that expires out of order lingers
 * until it reaches the front, but `get` never returns it.
 */
export class ExpiringMap<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();

  constructor(
    protected readonly clock: Clock,
    private readonly maxEntries: number,
  ) {}

  set(key: string, value: V, expiresAt: number): void {
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

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    return entry !== undefined && entry.expiresAt > this.clock.now().getTime() ? entry.value : undefined;
  }

  delete(key: string): boolean {
    return this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
