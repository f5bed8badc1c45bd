import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { ROOT } from './e2e-stack.ts';

const run = promisify(execFile);
export const BASE_IMAGE = 'rehearsal-node:20';
export const TARGETS = ['core', 'mock-idp', 'gateway', 'console'] as const;
export const imageOf = (target: (typeof TARGETS)[number]) => `rehearsal-${target}:e2e`;

/**
 * Why the container suite cannot run here, or undefined when a Docker engine
 * answers. In CI (CI=true) .ci/run starts the engine, so its absence is an error.
 */
export async function dockerMissing(): Promise<string | undefined> {
  try {
    await run('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 20_000 });
    return undefined;
  } catch (err) {
    const why = `container suite: no Docker engine answers (${(err as Error).message.split('\n')[0]}); start one with dockerd --bridge=none --iptables=false`;
    if (process.env.CI === 'true') throw new Error(`${why}; CI must run it`, { cause: err });
    return why;
  }
}

/**
 * The images, built from the repository's Dockerfile. With the host's network:
 * the engine here runs without a bridge (dockerd --bridge=none), and
 * testcontainers' own builder cannot ask for another network.
 */
export async function buildImages(): Promise<void> {
  try {
    await run('docker', ['image', 'inspect', BASE_IMAGE]);
  } catch {
    await run('bash', [join(ROOT, 'scripts', 'docker-base-image.sh'), BASE_IMAGE], { cwd: ROOT });
  }
  for (const target of TARGETS) {
    await run('docker', ['build', '--network', 'host', '--target', target, '--build-arg', `BASE=${BASE_IMAGE}`, '-t', imageOf(target), ROOT], {
      cwd: ROOT,
      maxBuffer: 64 * 1024 * 1024,
    });
  }
}
