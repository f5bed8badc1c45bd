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

export function readStackFile(dataDir: string): StackFile {
  const path = stackFilePath(dataDir);
  if (!existsSync(path)) throw new NoStack(`No running stack: ${path} does not exist. Start one with \`rehearsal up\` (or pass the --data-dir it uses).`);
  return JSON.parse(readFileSync(path, 'utf8')) as StackFile;
}
