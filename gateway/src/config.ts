import { z } from 'zod';
import { env, parseEnv } from '@rehearsal/runtime';

/** The gateway's configuration, from environment variables only (see main.ts). */
const gatewayEnv = z.object({
  GATEWAY_PORT: env.port(8000),
  GATEWAY_HOST: env.text('127.0.0.1'),
  /** Where browsers reach the gateway; must match core's GATEWAY_URL (the SP entity IDs and ACS URLs admins see). */
  GATEWAY_PUBLIC_URL: z
    .url({ protocol: /^https?$/, error: 'expected an http(s) URL' })
    .transform((u) => u.replace(/\/+$/, ''))
    .optional(),
  CORE_URL: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).default('http://localhost:9000'),
  /** Core's key for the gateway; by default read from the data directory core writes it to. */
  CORE_GATEWAY_KEY: env.key(),
  GATEWAY_ADMIN_KEY: env.key(),
  GATEWAY_COOKIE_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  REHEARSAL_DATA_DIR: env.text('.rehearsal'),
  /** Redis for sessions, logins in progress, the replay cache and throttles (`redis://host:port`): several gateways can share it. */
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'expected a redis:// URL' }).optional(),
  /** The prefix of this stack's keys in Redis (`<namespace>:gateway:`). */
  REDIS_NAMESPACE: env.redisNamespace(),
  REHEARSAL_HARNESS: env.flag(true),
  REHEARSAL_HARNESS_KEY: env.key(),
  /** The other replicas of the gateway (their own URLs): harness calls (clock, reset) reach each of them too. */
  REHEARSAL_SIBLINGS: env.urls(),
  LOG_LEVEL: env.logLevel(),
});

export type GatewayConfig = z.output<typeof gatewayEnv>;

export const readGatewayConfig = (source: NodeJS.ProcessEnv): GatewayConfig => parseEnv(gatewayEnv, source);
