import type { Redis } from 'ioredis';
import type { Clock } from '../clock.ts';
import type { ExpiringStore } from './expiring-store.ts';
import { luaScript } from './lua-script.ts';

/**
 * How long Redis keeps an entry past its expiry, in real time. Expiry itself is
 * read on the injected clock (the harness may move it by days, or freeze it);
 * Redis's own TTL only bounds memory, so it is generous.
 */
export const REDIS_GRACE_MS = 24 * 60 * 60_000;

// Each entry is a hash: the JSON value and its expiry on the injected clock.
const ADD = luaScript(`
local at = redis.call('HGET', KEYS[1], 'e')
if at and tonumber(at) > tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'e', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1`);
const TAKE = luaScript(`
local entry = redis.call('HMGET', KEYS[1], 'v', 'e')
redis.call('DEL', KEYS[1])
if entry[1] and tonumber(entry[2]) > tonumber(ARGV[1]) then return entry[1] end
return false`);

/** Deletes every key of a namespace, a batch at a time (SCAN, never KEYS). */
export async function deleteNamespace(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.unlink(...keys);
  } while (cursor !== '0');
}

/** An `ExpiringStore` in Redis under `prefix`: every replica sees the same entries. */
export class RedisExpiringStore<V> implements ExpiringStore<V> {
  constructor(
    private readonly redis: Redis,
    private readonly clock: Clock,
    private readonly prefix: string,
  ) {}

  async get(key: string): Promise<V | undefined> {
    const [value, expiresAt] = await this.redis.hmget(this.prefix + key, 'v', 'e');
    return typeof value === 'string' && Number(expiresAt) > this.now() ? (JSON.parse(value) as V) : undefined;
  }

  async set(key: string, value: V, expiresAt: number): Promise<void> {
    await this.redis
      .multi()
      .hset(this.prefix + key, 'v', JSON.stringify(value), 'e', String(expiresAt))
      .pexpire(this.prefix + key, this.ttl(expiresAt))
      .exec();
  }

  async add(key: string, value: V, expiresAt: number): Promise<boolean> {
    const added = await ADD(this.redis, [this.prefix + key], [JSON.stringify(value), expiresAt, this.now(), this.ttl(expiresAt)]);
    return added === 1;
  }

  async take(key: string): Promise<V | undefined> {
    const value = (await TAKE(this.redis, [this.prefix + key], [this.now()])) as string | null;
    return value === null ? undefined : (JSON.parse(value) as V);
  }

  async delete(key: string): Promise<boolean> {
    return (await this.take(key)) !== undefined;
  }

  clear(): Promise<void> {
    return deleteNamespace(this.redis, this.prefix);
  }

  private now(): number {
    return this.clock.now().getTime();
  }

  private ttl(expiresAt: number): number {
    return Math.max(1, Math.min(expiresAt - this.now(), 366 * 24 * 60 * 60_000)) + REDIS_GRACE_MS;
  }
}
