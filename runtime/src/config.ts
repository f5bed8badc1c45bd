import { z } from 'zod';
import { describeIssues } from './validation.ts';
import { LOG_LEVELS } from './logger.ts';

/**
 * Configuration comes from environment variables, parsed by a schema whose keys are
 * the variable names. Bad values fail at start with every problem named.
 */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function parseEnv<S extends z.ZodObject>(schema: S, env: NodeJS.ProcessEnv): z.output<S> {
  // An empty variable is an unset one (what `${DATABASE_URL:-}` gives in docker-compose.yml).
  const result = schema.safeParse(Object.fromEntries(Object.entries(env).filter(([, value]) => value !== '')));
  if (result.success) return result.data;
  throw new ConfigError(
    describeIssues(result.error.issues, '').map((d) => {
      const raw = d.path ? env[d.path] : undefined;
      // Keys and secrets are not echoed, even wrong ones: the message may end up in a shared CI log.
      const shown = raw === undefined ? '' : SECRET_NAME.test(d.path ?? '') ? ` (got ${raw.length} characters)` : ` (got ${JSON.stringify(raw)})`;
      return `${d.path}: ${d.message}${shown}`;
    }),
  );
}

const SECRET_NAME = /(KEY|SECRET|TOKEN|PASSWORD)$/;

const withoutTrailingSlash = (url: string) => url.replace(/\/+$/, '');

/** Reusable pieces for env schemas: they accept the string forms people type. */
export const env = {
  port: (fallback: number) =>
    z
      .string()
      .regex(/^\d+$/, 'expected a port number from 0 to 65535')
      .transform(Number)
      .pipe(z.number().int().min(0, 'expected a port number from 0 to 65535').max(65535, 'expected a port number from 0 to 65535'))
      .default(fallback),
  url: (fallback: string) =>
    z
      .url({ protocol: /^https?$/, error: 'expected an http(s) URL such as http://localhost:8000' })
      .transform(withoutTrailingSlash)
      // zod 4 hands out defaults as they are, without running the transform
      .default(withoutTrailingSlash(fallback)),
  text: (fallback: string) => z.string().min(1).default(fallback),
  optionalText: () => z.string().min(1).optional(),
  flag: (fallback: boolean) =>
    z
      .enum(['on', 'off', 'true', 'false', '1', '0', 'yes', 'no'], { error: 'expected on or off' })
      .transform((v) => ['on', 'true', '1', 'yes'].includes(v))
      .default(fallback),
  logLevel: () => z.enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  /** A key or secret given in the environment (otherwise generated into the data directory). */
  key: () => z.string().min(16, 'must be at least 16 characters').optional(),
  /** Comma-separated http(s) URLs (the other replicas of a service); none when unset. */
  urls: () =>
    z
      .string()
      .optional()
      .transform((v) =>
        v
          ? v
              .split(',')
              .map((u) => withoutTrailingSlash(u.trim()))
              .filter(Boolean)
          : [],
      )
      .pipe(z.array(z.url({ protocol: /^https?$/, error: 'expected comma-separated http(s) URLs' }))),
  /** The prefix of a stack's keys in Redis: several stacks can share one server. */
  redisNamespace: () =>
    z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'expected letters, digits, dots, dashes or underscores (at most 64)')
      .default('rehearsal'),
  milliseconds: (fallback: number) => z.string().regex(/^\d+$/, 'expected a whole number of milliseconds').transform(Number).default(fallback),
};
