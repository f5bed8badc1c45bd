import { z } from 'zod';
import { env, parseEnv } from '@rehearsal/runtime';

/** Core's configuration, from environment variables only (see main.ts). */
const coreEnv = z.object({
  CORE_PORT: env.port(9000),
  CORE_HOST: env.text('127.0.0.1'),
  CORE_PUBLIC_URL: z
    .url({ protocol: /^https?$/, error: 'expected an http(s) URL' })
    .transform((u) => u.replace(/\/+$/, ''))
    .optional(),
  REHEARSAL_DATA_DIR: env.text('.rehearsal'),
  CORE_DB: env.optionalText(),
  /** PostgreSQL instead of the SQLite file (`postgres://user@host:port/db`): several cores can share it. */
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'expected a postgres:// URL' }).optional(),
  /** The PostgreSQL schema core's tables live in: one database can hold several stacks. */
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'expected a lower-case SQL name such as public or staging')
    .default('public'),
  CORE_ADMIN_KEY: env.key(),
  /** Encrypts TOTP secrets at rest; by default generated into the data directory. */
  CORE_SECRETS_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
  /** Where the gateway publishes the keys of its identity tokens; default `<GATEWAY_URL>/.well-known/jwks.json`. */
  CORE_GATEWAY_JWKS_URL: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional(),
  CORE_GATEWAY_KEY: env.key(),
  GATEWAY_URL: env.url('http://localhost:8000'),
  CORE_DNS_SERVERS: z
    .string()
    .optional()
    .transform((v) =>
      v
        ? v
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : [],
    ),
  CORE_VERIFY_TIMEOUT_MS: env.milliseconds(5000),
  CORE_DOMAIN_FILE_URL: z
    .string()
    .regex(/^https?:\/\/.*\{domain\}/, 'expected an http(s) URL template containing {domain}')
    .default('https://{domain}/atlassian-domain-verification.html'),
  REHEARSAL_HARNESS: env.flag(true),
  REHEARSAL_HARNESS_KEY: env.key(),
  /** The other replicas of core (their own URLs): harness calls (clock, reset, DNS) reach each of them too. */
  REHEARSAL_SIBLINGS: env.urls(),
  LOG_LEVEL: env.logLevel(),
});

export type CoreConfig = z.output<typeof coreEnv>;

export const readCoreConfig = (source: NodeJS.ProcessEnv): CoreConfig => parseEnv(coreEnv, source);
