// Installs dependencies when node_modules is missing or the lockfile changed since
// the last install, so `npm start` and `npm test` work on a fresh clone.
// Only Node built-ins here: nothing is installed yet when this runs.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILD_TOOLS, ensurePackages } from './prepare.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const lockfile = join(root, 'package-lock.json');
const stamp = join(root, 'node_modules', '.rehearsal-install-stamp');

const fingerprint = () =>
  createHash('sha256')
    .update(readFileSync(lockfile))
    .update(readFileSync(join(root, 'package.json')))
    .digest('hex');

const current = existsSync(stamp) ? readFileSync(stamp, 'utf8').trim() : '';
if (existsSync(join(root, 'node_modules')) && current === fingerprint()) process.exit(0);

// better-sqlite3 is compiled here (its prebuilt binaries cannot be downloaded): it needs python3, make and g++.
ensurePackages(BUILD_TOOLS);
console.error('[rehearsal] installing dependencies (npm ci)...');
const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
if (result.status !== 0) {
  console.error('[rehearsal] npm ci failed; see the output above.');
  process.exit(result.status ?? 1);
}
writeFileSync(stamp, fingerprint() + '\n');
