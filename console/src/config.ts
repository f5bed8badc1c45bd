import { z } from 'zod';
import { env, parseEnv } from '@rehearsal/runtime';

const url = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).transform((u) => u.replace(/\/+$/, ''));

/** The console's configuration, from environment variables only (see main.ts). */
const consoleEnv = z.object({
  CONSOLE_PORT: env.port(7900),
  CONSOLE_HOST: env.text('127.0.0.1'),
  /** Where browsers reach the console (its one-time sign-in links start with it). */
  CONSOLE_PUBLIC_URL: url.optional(),
  CORE_URL: url.default('http://localhost:9000'),
  IDP_URL: url.default('http://localhost:7000'),
  GATEWAY_URL: url.default('http://localhost:8000'),
  /** The keys the console calls the services with; by default read from the data directory the services write them to. */
  CORE_ADMIN_KEY: env.key(),
  GATEWAY_ADMIN_KEY: env.key(),
  REHEARSAL_HARNESS_KEY: env.key(),
  REHEARSAL_DATA_DIR: env.text('.rehearsal'),
  LOG_LEVEL: env.logLevel(),
});

export type ConsoleConfig = z.output<typeof consoleEnv>;

export const readConsoleConfig = (source: NodeJS.ProcessEnv): ConsoleConfig => parseEnv(consoleEnv, source);
