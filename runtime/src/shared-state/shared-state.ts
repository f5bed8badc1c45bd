import { Redis } from 'ioredis';
import { systemClock, type Clock } from '../clock.ts';
import { MemoryExpiringStore, type ExpiringStore } from './expiring-store.ts';
import { deleteNamespace, RedisExpiringStore } from './redis-expiring-store.ts';

/**
 * Where a service keeps the state of logins in progress and of sessions: its
 * own memory (one process), or Redis (`REDIS_URL`), which every replica of the
 * service shares so that any of them can finish what another started.
 */
export interface SharedState {
  /** `memory`, or the Redis URL without its password. */
  readonly where: string;
  /** The Redis connection, when the state lives there. */
  readonly redis: Redis | undefined;
  /** The key prefix of this service's state (`<namespace>:`). */
  readonly prefix: string;
  /** The clock expiries are read on: the service's own (the harness moves it). */
  readonly clock: Clock;
  /** An expiring store named `name`; in memory, at most `maxEntries` entries. */
  store<V>(name: string, maxEntries: number): ExpiringStore<V>;
  /** Forgets everything this service keeps here (the harness reset). */
  clear(): Promise<void>;
  close(): Promise<void>;
}

export function memoryState(clock: Clock, namespace: string): SharedState {
  const stores: ExpiringStore<unknown>[] = [];
  return {
    where: 'memory',
    redis: undefined,
    prefix: `${namespace}:`,
    clock,
    store<V>(_name: string, maxEntries: number) {
      const store = new MemoryExpiringStore<V>(clock, maxEntries);
      stores.push(store);
      return store;
    },
    async clear() {
      await Promise.all(stores.map((s) => s.clear()));
    },
    close: () => Promise.resolve(),
  };
}

/** Connects to Redis (waiting until it answers) and keeps this service's state under `<namespace>:`. */
export async function redisState(url: string, clock: Clock, namespace: string): Promise<SharedState> {
  // A command waits through a short outage, then fails (the request gets an error) rather than hanging.
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 3, connectTimeout: 5000, connectionName: namespace });
  // Without a listener, a lost connection would end the process; ioredis reconnects by itself.
  redis.on('error', () => undefined);
  await redis.connect();
  const prefix = `${namespace}:`;
  return {
    where: withoutPassword(url),
    redis,
    prefix,
    clock,
    store<V>(name: string) {
      return new RedisExpiringStore<V>(redis, clock, `${prefix}${name}:`);
    },
    clear: () => deleteNamespace(redis, prefix),
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/** Forgets every key of a namespace (`<namespace>:*`): an ephemeral stack's, when it closes. */
export async function dropNamespace(url: string, namespace: string): Promise<void> {
  const state = await redisState(url, systemClock, namespace);
  try {
    await state.clear();
  } finally {
    await state.close();
  }
}

/** A server URL as logs and banners show it: the password masked. */
export function withoutPassword(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

/** The state as configured: Redis when a URL is given, else memory. */
export function sharedState(url: string | undefined, clock: Clock, namespace: string): Promise<SharedState> {
  return url ? redisState(url, clock, namespace) : Promise.resolve(memoryState(clock, namespace));
}

/**
 * A secret every replica must hold alike (the cookie-signing secret, a signing
 * key): with Redis, the first replica's own value is kept there and every other
 * replica takes it; in memory, the local value. Kept outside the namespace the
 * harness reset clears, with no expiry.
 */
export async function shareSecret(state: SharedState, name: string, local: string): Promise<string> {
  if (!state.redis) return local;
  const key = `${state.prefix.slice(0, -1)}-keys:${name}`;
  await state.redis.set(key, local, 'NX');
  return (await state.redis.get(key)) ?? local;
}
