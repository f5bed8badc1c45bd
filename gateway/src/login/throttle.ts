import type { Clock } from '@rehearsal/runtime';

/** One attempt that reached the check; it must end one way or the other. */
export interface Attempt {
  /** Wrong password or code: counts against the account for the window. */
  failed(): void;
  /** Right: the account's count starts again. */
  succeeded(): void;
  /** No answer (core unreachable): the attempt counts for nothing. */
  abandoned(): void;
}

export type Reservation = { attempt: Attempt; retryAfterSeconds?: undefined } | { attempt?: undefined; retryAfterSeconds: number };

/** While attempts are in flight and the limit is reached by them, a client is asked to come back this soon. */
const IN_FLIGHT_RETRY_SECONDS = 1;

/**
 * Failed attempts per account (not per session: a new session must not reset
 * the count), in a sliding window on the injected clock. An attempt is
 * reserved before the check is made and counted while it is in flight, so
 * parallel guesses cannot slip past the limit while the first ones are still
 * being checked. In memory here; with several gateways this moves to the shared
 * store beside the sessions.
 */
export class Throttle {
  private readonly failures = new Map<string, number[]>();
  private readonly inFlight = new Map<string, number>();
  private lastSweep = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly clock: Clock,
    private readonly limit = 5,
    private readonly windowMs = 15 * 60_000,
  ) {}

  /** Reserves an attempt for `key`, or says how many seconds to wait. */
  reserve(key: string): Reservation {
    const now = this.clock.now().getTime();
    this.sweep(now);
    const recent = this.recent(key, now);
    const pending = this.inFlight.get(key) ?? 0;
    if (recent.length >= this.limit) return { retryAfterSeconds: Math.max(1, Math.ceil((recent[recent.length - this.limit]! + this.windowMs - now) / 1000)) };
    if (recent.length + pending >= this.limit) return { retryAfterSeconds: IN_FLIGHT_RETRY_SECONDS };
    this.inFlight.set(key, pending + 1);
    let ended = false;
    const end = (outcome: 'failed' | 'succeeded' | 'abandoned') => {
      if (ended) return;
      ended = true;
      const left = (this.inFlight.get(key) ?? 1) - 1;
      if (left > 0) this.inFlight.set(key, left);
      else this.inFlight.delete(key);
      if (outcome === 'failed') this.failures.set(key, [...this.recent(key, this.clock.now().getTime()), this.clock.now().getTime()]);
      if (outcome === 'succeeded') this.failures.delete(key);
    };
    return { attempt: { failed: () => end('failed'), succeeded: () => end('succeeded'), abandoned: () => end('abandoned') } };
  }

  /** Accounts with failures in the window (for tests and the bench: memory stays bounded). */
  get size(): number {
    return this.failures.size;
  }

  clear(): void {
    this.failures.clear();
    this.inFlight.clear();
  }

  private recent(key: string, now: number): number[] {
    const kept = (this.failures.get(key) ?? []).filter((t) => t > now - this.windowMs);
    if (kept.length) this.failures.set(key, kept);
    else this.failures.delete(key);
    return kept;
  }

  /** Once a window has passed on the clock, accounts whose failures are all older are forgotten. */
  private sweep(now: number): void {
    if (now < this.lastSweep + this.windowMs && now >= this.lastSweep) return;
    this.lastSweep = now;
    for (const [key, times] of this.failures) if (times[times.length - 1]! <= now - this.windowMs) this.failures.delete(key);
  }
}
