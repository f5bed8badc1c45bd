import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * The data directory (keys, certificates, databases): created 0700, and
 * tightened to 0700 when it exists with wider permissions. Files in it are
 * created 0600.
 */
export function ensureDataDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  try {
    if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o700);
  } catch {
    // not ours to change (a mounted volume owned by someone else): its owner decides
  }
}

/**
 * A secret from the environment, or one generated on first start and kept in
 * the data directory (mode 600) so that restarts keep it. `source` says which,
 * for the start-up banner. Services started together may race to create the
 * same file: the first write wins (exclusive create) and the others read it.
 */
export function secretFrom(configured: string | undefined, file: string, make: () => string): { value: string; source: string } {
  if (configured) return { value: configured, source: 'environment' };
  if (existsSync(file)) return { value: readSecretFile(file), source: file };
  const value = make();
  ensureDataDir(dirname(file));
  // Written aside, then linked into place: a reader never sees a half-written key.
  const aside = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(aside, value + '\n', { mode: 0o600, flag: 'wx' });
  try {
    linkSync(aside, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return { value: readSecretFile(file), source: file };
  } finally {
    rmSync(aside, { force: true });
  }
  return { value, source: `${file} (generated now)` };
}

function readSecretFile(file: string): string {
  const value = readFileSync(file, 'utf8').trim();
  if (!value) throw new Error(`${file} is empty: remove it to have a new key generated`);
  return value;
}
