import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@rehearsal/runtime/testing';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const BIN = join(ROOT, 'cli', 'bin', 'rehearsal.mjs');

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** The command as a user runs it: its own process, its exit code, its output. */
export function rehearsal(args: string[], dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args, '--data-dir', dataDir], { cwd: ROOT, env }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** `rehearsal up --json` on free ports, ready once it prints its one JSON line (or failed when it exits first). */
export async function startUp(args: string[], dataDir: string): Promise<{ up: ChildProcess; described: any }> {
  const [core, idp, gateway, console] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const up = spawn(
    process.execPath,
    [
      BIN,
      'up',
      ...args,
      '--json',
      '--data-dir',
      dataDir,
      '--core-port',
      String(core),
      '--idp-port',
      String(idp),
      '--gateway-port',
      String(gateway),
      '--console-port',
      String(console),
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  up.stderr.on('data', (d) => (stderr += d));
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    up.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(out.split('\n')[0]!);
    });
    up.once('exit', (code) => reject(new Error(`up exited ${code}: ${stderr}`)));
  });
  return { up, described: JSON.parse(line) };
}

export const stop = async (child: ChildProcess) => {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
};

/** Whether a service still answers at `url`: after a stop, every one must say `stopped`. */
export const answering = (url: string) =>
  fetch(`${url}/healthz`).then(
    () => 'answers',
    () => 'stopped',
  );
