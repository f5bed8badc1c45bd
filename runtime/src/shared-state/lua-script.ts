import type { Redis } from 'ioredis';

/**
 * A Lua script run atomically in Redis. It is sent whole every time (EVAL;
 * Redis keeps it compiled), never by its SHA-1 alone: EVALSHA's fallback on a
 * server that lost its script cache sends the script again later, so a write
 * made after it on the same connection could run first, and one replica's
 * writes would land out of order.
 */
export function luaScript(source: string) {
  return (redis: Redis, keys: string[], args: (string | number)[]): Promise<unknown> => redis.eval(source, keys.length, ...keys, ...args);
}
