import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@rehearsal/runtime/testing';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(ROOT, 'cli', 'bin', 'rehearsal.mjs');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** What differs from run to run (ids, keys, tokens, times, ports, the data directory), masked alike in the README and in the real output. */
function mask(line: string, dataDir: string): string {
  return line
    .split(dataDir)
    .join('.rehearsal')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<id>')
    .replace(/rhsc_[A-Za-z0-9_-]+/g, 'rhsc_<token>')
    .replace(/\/sign-in\/once\/[A-Za-z0-9_-]+/g, '/sign-in/once/<token>')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, '<time>')
    .replace(/\b[0-9a-f]{5}-[0-9a-f]{5}\b/g, '<code>')
    .replace(/(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{32}(?![A-Za-z0-9_-])/g, '<key>')
    .replace(/localhost:\d+/g, 'localhost:<port>')
    .replace(/\s+/g, ' ')
    .trim();
}

/** A walkthrough command and what the README shows it printing: blocks of consecutive lines, in order. */
interface Step {
  command: string;
  shown: string[][];
}

/** The `sh` blocks of a README section, read as commands followed by their `#   ` output lines. */
function walkthrough(heading: string): Step[] {
  const section = README.slice(README.indexOf(heading));
  const block = /```sh\n([\s\S]*?)```/.exec(section)![1]!;
  const steps: Step[] = [];
  for (const line of block.split('\n')) {
    if (!line.trim()) continue;
    if (line.startsWith('#   ')) steps.at(-1)!.shown.at(-1)!.push(line.slice(4));
    else if (line.startsWith('#'))
      steps.at(-1)?.shown.push([]); // a comment: what the README leaves out between shown lines
    else steps.push({ command: line.replace(/\s{2,}#.*$/, '').trim(), shown: [[]] });
  }
  return steps;
}

/** Each block of shown lines appears in the output as consecutive lines, the blocks in order. */
function expectShown(output: string, shown: string[][], dataDir: string, what: string) {
  const actual = output
    .split('\n')
    .map((l) => mask(l, dataDir))
    .filter(Boolean);
  let from = 0;
  for (const lines of shown.filter((b) => b.length)) {
    const want = lines.map((l) => mask(l, dataDir)).filter(Boolean);
    let at = -1;
    for (let i = from; i + want.length <= actual.length && at < 0; i++) if (want.every((w, j) => actual[i + j] === w)) at = i;
    expect(at, `${what}: the README shows\n  ${want.join('\n  ')}\nbut the command printed\n  ${actual.join('\n  ')}`).to.be.at.least(0);
    from = at + want.length;
  }
}

/**
 * Issue 13.16: the README's walkthroughs drifted from what the commands print.
 * Each walkthrough runs here as a user would type it, against `rehearsal up`
 * started as `npm start` starts it, and every output line the README shows is
 * compared with the real one.
 */
describe('README walkthroughs, run as written', function () {
  this.timeout(300_000);
  let dataDir: string;
  let up: ChildProcess;
  let banner = '';

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'rehearsal-readme-'));
    const ports = { core: await freePort(), idp: await freePort(), gateway: await freePort(), console: await freePort() };
    up = spawn(
      process.execPath,
      [
        BIN,
        'up',
        '--scenario',
        'examples/acme.yaml',
        '--core-port',
        String(ports.core),
        '--idp-port',
        String(ports.idp),
        '--gateway-port',
        String(ports.gateway),
        '--console-port',
        String(ports.console),
      ],
      {
        cwd: ROOT,
        env: { ...process.env, REHEARSAL_DATA_DIR: dataDir },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let err = '';
    up.stderr!.on('data', (d) => (err += d));
    await new Promise<void>((resolve, reject) => {
      up.stdout!.on('data', (d) => {
        banner += d;
        if (banner.includes('Stop with Ctrl-C.')) resolve();
      });
      up.once('exit', (code) => reject(new Error(`up exited with ${code}:\n${err}`)));
    });
  });

  after(async () => {
    if (up.exitCode === null) {
      const exited = new Promise((resolve) => up.once('exit', resolve));
      up.kill('SIGTERM');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  let lastExit = 0;
  const run = (command: string): string => {
    const line = command === 'echo $?' ? `echo ${lastExit}` : command.replace(/^npx rehearsal /, `"${process.execPath}" "${BIN}" `);
    const result = spawnSync('bash', ['-c', line], { cwd: ROOT, env: { ...process.env, REHEARSAL_DATA_DIR: dataDir }, encoding: 'utf8', timeout: 120_000 });
    lastExit = result.status ?? 1;
    return result.stdout;
  };

  it('your first five minutes: what npm start prints', () => {
    const section = README.slice(README.indexOf('## Your first five minutes'));
    const shown = /It prints:\n\n```\n([\s\S]*?)```/.exec(section)![1]!.split('\n');
    const blocks = shown.reduce<string[][]>((acc, l) => (l.trim() === '...' ? [...acc, []] : (acc.at(-1)!.push(l), acc)), [[]]);
    expectShown(banner, blocks, dataDir, 'npm start');
  });

  for (const heading of [
    '### 1. A staged SSO rollout',
    '### 2. What will the attribute mapping overwrite?',
    '### 3. Idle timeout and two-step verification',
    '### The billing surprise',
  ]) {
    it(heading.replace(/^#+ /, ''), () => {
      const steps = walkthrough(heading);
      expect(steps.length).to.be.greaterThan(2);
      for (const step of steps) expectShown(run(step.command), step.shown, dataDir, step.command);
    });
  }

  it('stopping up removes the stack file, so other commands do not find a dead stack', async () => {
    expect(existsSync(join(dataDir, 'stack.json'))).to.equal(true);
    const exited = new Promise<number | null>((resolve) => up.once('exit', resolve));
    up.kill('SIGTERM');
    expect(await exited).to.equal(0);
    expect(existsSync(join(dataDir, 'stack.json'))).to.equal(false);
    run('npx rehearsal clock show');
    expect(lastExit).to.equal(3);
  });
});
