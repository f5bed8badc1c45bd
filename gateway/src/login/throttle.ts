import { randomBytes } from 'node:crypto';
import { deleteNamespace, luaScript, type Clock, type SharedState } from '@rehearsal/runtime';

type Redis = NonNullable<SharedState['redis']>;

/** One attempt that reached the check; it must end one way or the other. */
export interface Attempt {
  /** Wrong password or code: counts against the account for the window. */
  failed(): Promise<void>;
  /** Right: the account's count starts again. */
  succeeded(): Promise<void>;
  /** No answer (core unreachable): the attempt counts for nothing. */
  abandoned(): Promise<void>;
}

export type Reservation = { attempt: Attempt; retryAfterSeconds?: undefined } | { attempt?: undefined; retryAfterSeconds: number };

/** While attempts are in flight and the limit is reached by them, a client is asked to come back this soon. */
const IN_FLIGHT_RETRY_SECONDS = 1;

/**
 * Failed attempts per account (not per session: a new session must not reset
 * the count), in a sliding window on the injected clock. An attempt is
 * reserved before the check is made and counted while it is in flight, so
 * parallel guesses cannot slip past the limit while the first ones are still
 * being checked, whichever replica they reach.
 */
export interface Throttle {
  /** Reserves an attempt for `key`, or says how many seconds to wait. */
  reserve(key: string): Promise<Reservation>;
  clear(): Promise<void>;
}

const LIMIT = 5;
const WINDOW_MS = 15 * 60_000;

/** The throttle as configured: in Redis when the state is there (one count for every replica), else in memory. */
export const throttleFor = (state: SharedState): Throttle =>
  state.redis ? new RedisThrottle(state.redis, `${state.prefix}throttle:`, state.clock) : new MemoryThrottle(state.clock);

/** The throttle of one gateway process. */
export class MemoryThrottle implements Throttle {
  private readonly failures = new Map<string, number[]>();
  private readonly inFlight = new Map<string, number>();
  private lastSweep = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly clock: Clock,
    private readonly limit = LIMIT,
    private readonly windowMs = WINDOW_MS,
  ) {}

  reserve(key: string): Promise<Reservation> {
    return Promise.resolve(this.reserveNow(key));
  }

  private reserveNow(key: string): Reservation {
    const now = this.clock.now().getTime();
    this.sweep(now);
    const recent = this.recent(key, now);
    const pending = this.inFlight.get(key) ?? 0;
    if (recent.length >= this.limit) return { retryAfterSeconds: Math.max(1, Math.ceil((recent[recent.length - this.limit]! + this.windowMs - now) / 1000)) };
    if (recent.length + pending >= this.limit) return { retryAfterSeconds: IN_FLIGHT_RETRY_SECONDS };
    this.inFlight.set(key, pending + 1);
    let ended = false;
    const end = (outcome: 'failed' | 'succeeded' | 'abandoned') => {
      if (ended) return Promise.resolve();
      ended = true;
      const left = (this.inFlight.get(key) ?? 1) - 1;
      if (left > 0) this.inFlight.set(key, left);
      else this.inFlight.delete(key);
      if (outcome === 'failed') this.failures.set(key, [...this.recent(key, this.clock.now().getTime()), this.clock.now().getTime()]);
      if (outcome === 'succeeded') this.failures.delete(key);
      return Promise.resolve();
    };
    return { attempt: { failed: () => end('failed'), succeeded: () => end('succeeded'), abandoned: () => end('abandoned') } };
  }

  /** Accounts with failures in the window (for tests and the bench: memory stays bounded). */
  get size(): number {
    return this.failures.size;
  }

  clear(): Promise<void> {
    this.failures.clear();
    this.inFlight.clear();
    return Promise.resolve();
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

// KEYS: the account's failures (a sorted set of clock times) and its attempts in flight.
// ARGV: now, window, limit, how long (real ms) an attempt may stay in flight.
const RESERVE = luaScript(`
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[2]))
local recent = redis.call('ZCARD', KEYS[1])
local limit = tonumber(ARGV[3])
if recent >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], recent - limit, recent - limit, 'WITHSCORES')
  return {0, oldest[2]}
end
local pending = tonumber(redis.call('GET', KEYS[2]) or '0')
if recent + pending >= limit then return {1, '0'} end
redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return {2, '0'}`);
// ARGV: outcome, now, a unique member, how long (real ms) failures are kept.
const END = luaScript(`
if tonumber(redis.call('GET', KEYS[2]) or '0') > 1 then redis.call('DECR', KEYS[2]) else redis.call('DEL', KEYS[2]) end
if ARGV[1] == 'failed' then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
elseif ARGV[1] == 'succeeded' then
  redis.call('DEL', KEYS[1])
end
return 1`);

/** An attempt a gateway killed mid-check would otherwise hold its place for good; Redis lets it go after this long. */
const IN_FLIGHT_TTL_MS = 60_000;

/** The throttle in Redis: each reservation and each outcome is one atomic script, so replicas share one count. */
export class RedisThrottle implements Throttle {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly clock: Clock,
    private readonly limit = LIMIT,
    private readonly windowMs = WINDOW_MS,
  ) {}

  async reserve(key: string): Promise<Reservation> {
    const keys = [`${this.prefix}f:${key}`, `${this.prefix}i:${key}`];
    const now = this.clock.now().getTime();
    const [verdict, oldest] = (await RESERVE(this.redis, keys, [now, this.windowMs, this.limit, IN_FLIGHT_TTL_MS])) as [number, string];
    if (verdict === 0) return { retryAfterSeconds: Math.max(1, Math.ceil((Number(oldest) + this.windowMs - now) / 1000)) };
    if (verdict === 1) return { retryAfterSeconds: IN_FLIGHT_RETRY_SECONDS };
    let ended = false;
    const end = async (outcome: 'failed' | 'succeeded' | 'abandoned') => {
      if (ended) return;
      ended = true;
      const at = this.clock.now().getTime();
      await END(this.redis, keys, [outcome, at, `${at}:${randomBytes(6).toString('hex')}`, this.windowMs + 60 * 60_000]);
    };
    return { attempt: { failed: () => end('failed'), succeeded: () => end('succeeded'), abandoned: () => end('abandoned') } };
  }

  clear(): Promise<void> {
    return deleteNamespace(this.redis, this.prefix);
  }
}
