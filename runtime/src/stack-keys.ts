import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { secretFrom } from './local.ts';

/**
 * Every key the stack shares, in one place: the environment variable that
 * sets it and the file in the data directory that holds it otherwise. The
 * services and the CLI read each key through `stackKey`, so in every mode (in
 * process, processes, containers sharing /data) they agree on one value:
 * the environment's when set, else the file's, generated once by whoever
 * needs it first.
 */
export const STACK_KEYS = {
  /** Core's admin API (Bearer). */
  coreAdmin: { env: 'CORE_ADMIN_KEY', file: 'core-admin-key' },
  /** The gateway's key for core's login API. */
  coreGateway: { env: 'CORE_GATEWAY_KEY', file: 'core-gateway-key' },
  /** The gateway's own admin calls (revoking sessions). */
  gatewayAdmin: { env: 'GATEWAY_ADMIN_KEY', file: 'gateway-admin-key' },
  /** The `/_rehearsal` harness of every service (and the mock IdP's reset). */
  harness: { env: 'REHEARSAL_HARNESS_KEY', file: 'harness-key' },
} as const;

export type StackKeyName = keyof typeof STACK_KEYS;

export function stackKey(name: StackKeyName, env: NodeJS.ProcessEnv, dataDir: string): { value: string; source: string } {
  const { env: variable, file } = STACK_KEYS[name];
  return secretFrom(env[variable], join(dataDir, file), () => randomBytes(24).toString('base64url'));
}

/** A key as a client finds it (the environment, else the data directory's file), without creating one; undefined when neither has it. */
export function existingStackKey(name: StackKeyName, env: NodeJS.ProcessEnv, dataDir: string): string | undefined {
  const { env: variable, file } = STACK_KEYS[name];
  if (env[variable]) return env[variable];
  const path = join(dataDir, file);
  return existsSync(path) ? readFileSync(path, 'utf8').trim() || undefined : undefined;
}
