import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { existingStackKey, type StackKeyName } from '@rehearsal/runtime';
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
  /** Each service's process (processes mode), so that a test or an operator can find it. */
  pids?: Record<string, number>;
  dataDir: string;
}

export const stackFilePath = (dataDir: string) => join(dataDir, 'stack.json');

export function writeStackFile(state: StackFile): void {
  writeFileSync(stackFilePath(state.dataDir), JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
}

/** Removes the stack file; with `ownerPid`, only when that process wrote it (another `up` may have taken over). */
export function removeStackFile(dataDir: string, ownerPid?: number): void {
  const path = stackFilePath(dataDir);
  if (ownerPid !== undefined) {
    try {
      if ((JSON.parse(readFileSync(path, 'utf8')) as StackFile).pid !== ownerPid) return;
    } catch {
      return; // gone already, or not ours to judge
    }
  }
  rmSync(path, { force: true });
}

export class NoStack extends Error {}

/**
 * The running stack: from stack.json, or, for services started some other way
 * (containers, docker-compose), from REHEARSAL_CORE_URL, REHEARSAL_IDP_URL,
 * REHEARSAL_GATEWAY_URL, REHEARSAL_CONSOLE_URL, and CORE_ADMIN_KEY and REHEARSAL_HARNESS_KEY (or the key files in the data directory).
 */
export function readStackFile(dataDir: string, env: NodeJS.ProcessEnv = process.env): StackFile {
  const path = stackFilePath(dataDir);
  if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as StackFile;
  if (env.REHEARSAL_CORE_URL) {
    const key = (name: StackKeyName) => existingStackKey(name, env, dataDir) ?? '';
    return {
      urls: {
        core: env.REHEARSAL_CORE_URL,
        idp: env.REHEARSAL_IDP_URL ?? 'http://localhost:7000',
        gateway: env.REHEARSAL_GATEWAY_URL ?? 'http://localhost:8000',
        console: env.REHEARSAL_CONSOLE_URL ?? 'http://localhost:7900',
      },
      credentials: { coreAdminKey: key('coreAdmin'), gatewayAdminKey: key('gatewayAdmin'), harnessKey: key('harness') },
      applied: null,
      scenario: null,
      mode: 'processes',
      pid: 0,
      dataDir,
    };
  }
  throw new NoStack(
    `No running stack: ${path} does not exist and REHEARSAL_CORE_URL is not set. Start one with \`rehearsal up\` (or pass the --data-dir it uses).`,
  );
}
