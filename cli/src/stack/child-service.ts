import { spawn, type ChildProcess } from 'node:child_process';
import type { RunningService } from '@rehearsal/runtime';
import { entryArgs, repositoryRoot } from '../../../scripts/dist.mjs';

const root = repositoryRoot();
/** Lines of a dead service's output shown with the news of its death. */
export const LAST_LINES = 20;

/** Thrown when a service cannot start: its own words (a configuration problem, a port in use). */
export class ServiceStartError extends Error {
  constructor(
    readonly service: string,
    readonly problems: string[],
  ) {
    super(`${service} did not start:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ServiceStartError';
  }
}

/**
 * A service as its own process, ready once it prints its banner (or failed when
 * it exits first). Once ready, an exit nobody asked for is reported to
 * `onDeath` with the service's last lines.
 */
export async function spawnService(
  name: string,
  entry: 'core' | 'mock-idp' | 'gateway' | 'console',
  env: NodeJS.ProcessEnv,
  output: ((service: string, line: string) => void) | undefined,
  onDeath: (status: string, lastLines: string[]) => void,
): Promise<RunningService> {
  const child: ChildProcess = spawn(process.execPath, entryArgs(entry, root), {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let banner: string[] = [];
  let stopping = false;
  const ready = new Promise<void>((resolve, reject) => {
    const onLine = (line: string) => {
      lines.push(line);
      if (lines.length > 200) lines.shift();
      output?.(name, line);
      if (/ is up at /.test(line)) banner = [line];
      else if (banner.length && line.trim()) banner.push(line);
      if (/ is up at /.test(line)) resolve();
    };
    for (const stream of [child.stdout!, child.stderr!]) {
      let buffered = '';
      stream.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const parts = buffered.split('\n');
        buffered = parts.pop()!;
        parts.forEach(onLine);
      });
    }
    child.once('exit', (code, signal) => {
      // Status 2 is a configuration problem or a port in use, in the service's own sentences.
      if (code === 2)
        reject(
          new ServiceStartError(
            name,
            lines.filter((l) => l.trim()).map((l) => l.replace(/^rehearsal [\w-]+: /, '')),
          ),
        );
      else reject(new Error(`${name} exited (${signal ?? `status ${code}`}) before it was ready:\n${lines.slice(-LAST_LINES).join('\n')}`));
    });
  });
  await ready;
  child.once('exit', (code, signal) => {
    if (!stopping) onDeath(signal ? `killed by ${signal}` : `exited with status ${code}`, lines.slice(-LAST_LINES));
  });
  const url = /is up at (\S+)/.exec(banner[0] ?? '')?.[1] ?? '';
  return {
    url,
    port: Number(new URL(url).port),
    pid: child.pid,
    banner,
    close: () =>
      new Promise<void>((resolve) => {
        stopping = true;
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
