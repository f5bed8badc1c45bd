// `npm test`: prepare what the suites need beyond npm packages (scripts/prepare.mjs:
// Debian packages, the Docker engine, the base image), type-check, lint and
// format-check the whole repository, run every package's mocha suite, run the suites of the
// services that keep state in PostgreSQL or Redis a second time against real servers of
// both, then print one closing line "Tests: N passed, N failed, N skipped". An engine and
// servers started here are stopped at the end.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepare } from './prepare.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const bin = (name) => join(root, 'node_modules', '.bin', name);
const statsDir = mkdtempSync(join(tmpdir(), 'rehearsal-test-'));

let failedSteps = [];
const totals = { passes: 0, failures: 0, pending: 0 };

console.log('== prerequisites ==');
const engine = await prepare();

console.log('\n== type-check (tsc) ==');
const tsc = spawnSync(bin('tsc'), ['-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
if (tsc.status !== 0) failedSteps.push('type-check');

console.log('\n== lint (eslint) ==');
const eslint = spawnSync(bin('eslint'), ['.'], { cwd: root, stdio: 'inherit' });
if (eslint.status !== 0) failedSteps.push('lint');
else console.log('no problems');

console.log('\n== format (prettier --check) ==');
const prettier = spawnSync(bin('prettier'), ['--check', '--log-level', 'warn', '.'], { cwd: root, stdio: 'inherit' });
if (prettier.status !== 0) failedSteps.push('format (run npm run format)');
else console.log('every file is formatted');

/** Longer than any suite takes here (e2e: about 12 minutes). */
const SUITE_LIMIT_MS = 30 * 60_000;

/** One workspace's mocha suite, its counts added to the totals; `label` names a second run. */
function runSuite(workspace, env = {}, label = '') {
  const dir = join(root, workspace);
  if (!existsSync(join(dir, '.mocharc.json'))) return;
  console.log(`\n== ${workspace}${label} ==`);
  const statsFile = join(statsDir, `${workspace}${label ? '-shared' : ''}.json`);
  const run = spawnSync(bin('mocha'), ['--reporter', join(root, 'scripts', 'mocha-summary-reporter.cjs')], {
    cwd: dir,
    stdio: 'inherit',
    env: { ...process.env, ...env, REHEARSAL_STATS_FILE: statsFile },
    // A suite that leaves a connection open never exits: say so, rather than hang the whole run.
    timeout: SUITE_LIMIT_MS,
    killSignal: 'SIGKILL',
  });
  if (run.error?.code === 'ETIMEDOUT')
    console.log(`${workspace}${label} did not exit within ${SUITE_LIMIT_MS / 60_000} minutes: a server or connection left open?`);
  if (existsSync(statsFile)) {
    const stats = JSON.parse(readFileSync(statsFile, 'utf8'));
    totals.passes += stats.passes;
    totals.failures += stats.failures;
    totals.pending += stats.pending;
  } else {
    totals.failures += 1; // the suite crashed before reporting
  }
  if (run.status !== 0) failedSteps.push(`${workspace}${label}`);
}

for (const workspace of pkg.workspaces) runSuite(workspace);

// The second run: every suite again with DATABASE_URL and REDIS_URL naming real
// servers (shared staging's set-up), each test or stack on a schema and Redis
// namespace of its own.
console.log('\n== shared staging: PostgreSQL and Redis (scripts/shared-servers.ts) ==');
const servers = spawn(process.execPath, ['--import', 'tsx', join(root, 'scripts', 'shared-servers.ts')], { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
const lines = createInterface({ input: servers.stdout });
const line = await Promise.race([once(lines, 'line').then(([l]) => l), once(lines, 'close').then(() => undefined)]);
const shared = line ? JSON.parse(line) : { missing: 'scripts/shared-servers.ts ended without starting them (see above)' };
if (shared.missing) {
  console.log(`cannot run the suites against PostgreSQL and Redis: ${shared.missing}`);
  failedSteps.push('shared staging');
} else {
  console.log(`DATABASE_URL=${shared.DATABASE_URL} REDIS_URL=${shared.REDIS_URL}`);
  for (const workspace of pkg.workspaces) runSuite(workspace, { DATABASE_URL: shared.DATABASE_URL, REDIS_URL: shared.REDIS_URL }, ' (PostgreSQL, Redis)');
}
servers.stdin.end();
await once(servers, 'exit');
rmSync(statsDir, { recursive: true, force: true });
engine.stop();

console.log('');
if (failedSteps.length) console.log(`Failed steps: ${failedSteps.join(', ')}`);
console.log(`Tests: ${totals.passes} passed, ${totals.failures} failed, ${totals.pending} skipped`);
process.exit(failedSteps.length ? 1 : 0);
