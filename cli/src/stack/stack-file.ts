import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AppliedScenario } from '../scenario/apply.ts';
import type { StackCredentials, StackUrls } from './stack.ts';

/**
 * What `rehearsal up` tells the other commands (and other tools) about the
 * running stack: `<data dir>/stack.json`, readable by its owner only since it
 * holds the admin keys. Removed when `up` stops.
 */
export interface StackFile {
  urls: StackUrls;
  credentials: StackCredentials;
  applied: AppliedScenario | null;
  scenario: string | null;
  mode: 'in-process' | 'processes';
  /** The `up` process; 0 when the services were started some other way. */
  pid: number;
  dataDir: string;
}

export const stackFilePath = (dataDir: string) => join(dataDir, 'stack.json');

export function writeStackFile(state: StackFile): void {
  writeFileSync(stackFilePath(state.dataDir), JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
}

export function removeStackFile(dataDir: string): void {
  rmSync(stackFilePath(dataDir), { force: true });
}

export class NoStack extends Error {}

/**
 * The running stack: from stack.json, or, for services started some other way
 * (containers, docker-compose), from REHEARSAL_CORE_URL, REHEARSAL_IDP_URL,
 * REHEARSAL_GATEWAY_URL and CORE_ADMIN_KEY (or the key files in the data directory).
 */
export function readStackFile(dataDir: string, env: NodeJS.ProcessEnv = process.env): StackFile {
  const path = stackFilePath(dataDir);
  if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as StackFile;
  if (env.REHEARSAL_CORE_URL) {
    const secret = (value: string | undefined, file: string) => value ?? (existsSync(join(dataDir, file)) ? readFileSync(join(dataDir, file), 'utf8').trim() : '');
    return {
      urls: { core: env.REHEARSAL_CORE_URL, idp: env.REHEARSAL_IDP_URL ?? 'http://localhost:7000', gateway: env.REHEARSAL_GATEWAY_URL ?? 'http://localhost:8000' },
      credentials: { coreAdminKey: secret(env.CORE_ADMIN_KEY, 'core-admin-key'), gatewayAdminKey: secret(env.GATEWAY_ADMIN_KEY, 'gateway-admin-key') },
      applied: null,
      scenario: null,
      mode: 'processes',
      pid: 0,
      dataDir,
    };
  }
  throw new NoStack(`No running stack: ${path} does not exist and REHEARSAL_CORE_URL is not set. Start one with \`rehearsal up\` (or pass the --data-dir it uses).`);
}
