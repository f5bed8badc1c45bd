// `npm test`: prepare what the suites need beyond npm packages (scripts/prepare.mjs:
// Debian packages, the Docker engine, the base image), type-check, lint and
// format-check the whole repository, run every package's mocha suite, then print one closing line
// "Tests: N passed, N failed, N skipped". An engine started here is stopped at the end.
import { spawnSync } from 'node:child_process';
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

for (const workspace of pkg.workspaces) {
  const dir = join(root, workspace);
  if (!existsSync(join(dir, '.mocharc.json'))) continue;
  console.log(`\n== ${workspace} ==`);
  const statsFile = join(statsDir, `${workspace}.json`);
  const run = spawnSync(bin('mocha'), ['--reporter', join(root, 'scripts', 'mocha-summary-reporter.cjs')], {
    cwd: dir,
    stdio: 'inherit',
    env: { ...process.env, REHEARSAL_STATS_FILE: statsFile },
  });
  if (existsSync(statsFile)) {
    const stats = JSON.parse(readFileSync(statsFile, 'utf8'));
    totals.passes += stats.passes;
    totals.failures += stats.failures;
    totals.pending += stats.pending;
  } else {
    totals.failures += 1; // the suite crashed before reporting
  }
  if (run.status !== 0) failedSteps.push(workspace);
}
rmSync(statsDir, { recursive: true, force: true });
engine.stop();

console.log('');
if (failedSteps.length) console.log(`Failed steps: ${failedSteps.join(', ')}`);
console.log(`Tests: ${totals.passes} passed, ${totals.failures} failed, ${totals.pending} skipped`);
process.exit(failedSteps.length ? 1 : 0);
