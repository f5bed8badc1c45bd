/**
 * Start-up bench: how long `rehearsal --help` and each service take to be
 * ready, compiled (dist/, as npm run bench builds it) and from the TypeScript
 * sources through tsx, beside `node -e 0` on the same machine. Prints figures
 * and ratios; never fails on a number.
 *
 *   npm run bench            (from the root or cli/)
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { freePort } from '@rehearsal/runtime/testing';
import { compiledEntry, repositoryRoot, SOURCES } from '../../scripts/dist.mjs';

const root = repositoryRoot();
const RUNS = Number(process.env.BENCH_STARTUP_RUNS ?? 5);

/** The median of `runs` wall-clock timings of `work`, in milliseconds. */
async function median(runs: number, work: () => Promise<void> | void): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await work();
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
}

const run = (args: string[]) => () => void spawnSync(process.execPath, args, { cwd: root, stdio: 'ignore' });

/** Starts a service and resolves when it prints its banner, then stops it. */
function ready(args: string[], env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env, LOG_LEVEL: 'error' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (/ is up at /.test(out)) {
        child.kill('SIGTERM');
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => (/ is up at /.test(out) ? undefined : reject(new Error(`${args.join(' ')} exited ${code}: ${out.slice(-500)}`))));
  });
}

const node = await median(RUNS, run(['-e', '0']));
const compiledCli = compiledEntry('rehearsal', root);
const help = await median(RUNS, run([join(root, 'cli/bin/rehearsal.mjs'), '--help']));
// The same through tsx, as every command started before the build step: the sources compiled at each start.
const helpTsx = await median(
  Math.min(RUNS, 3),
  run(['--import', 'tsx', '--input-type=module', '-e', "const { run } = await import('./cli/src/main.ts'); await run(['--help']);"]),
);
console.log(`start-up bench (median of ${RUNS} runs, this machine)`);
console.log(`  node -e 0:                ${node.toFixed(0)} ms`);
console.log(
  `  rehearsal --help:         ${help.toFixed(0)} ms (${compiledCli ? 'compiled' : 'tsx: dist/ is out of date'}) — ${(help / node).toFixed(1)}x node -e 0 (target: at most 4x)`,
);
console.log(`  rehearsal --help via tsx: ${helpTsx.toFixed(0)} ms — ${(helpTsx / node).toFixed(1)}x`);

const dir = mkdtempSync(join(tmpdir(), 'rehearsal-startup-bench-'));
try {
  for (const [name, portVar] of [
    ['core', 'CORE_PORT'],
    ['mock-idp', 'IDP_PORT'],
    ['gateway', 'GATEWAY_PORT'],
  ] as const) {
    const source = SOURCES[name];
    const env = async () => ({ REHEARSAL_DATA_DIR: join(dir, name), [portVar]: String(await freePort()) });
    // The first start makes the keys; the figures are of starts that find them.
    const compiled = compiledEntry(name, root);
    await ready(compiled ? [compiled] : ['--import', 'tsx', join(root, source)], await env());
    const compiledMs = compiled ? await median(RUNS, async () => ready([compiled], await env())) : undefined;
    const tsxMs = await median(Math.min(RUNS, 3), async () => ready(['--import', 'tsx', join(root, source)], await env()));
    console.log(
      `  ${name.padEnd(9)} ready in ${compiledMs === undefined ? '(no dist/)' : `${compiledMs.toFixed(0)} ms compiled`}, ${tsxMs.toFixed(0)} ms through tsx (target: within 1,000 ms)`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
