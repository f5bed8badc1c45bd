// Real PostgreSQL and Redis servers for tests and benches, from Debian's packages
// (`postgresql`, `redis-server`; npm test's preparation installs them): each on a free
// loopback port, its data in a temporary directory, ready once it says so in its own
// output, stopped by its process id. Nothing here runs in a service.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './testing.ts';

export interface TestServer {
  url: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

/** A PostgreSQL server that can also be taken down and brought back on the same port and data (a restart). */
export interface PostgresServer extends TestServer {
  down(): Promise<void>;
  up(): Promise<void>;
}

/** Debian keeps PostgreSQL's programs under /usr/lib/postgresql/<major>/bin: the newest one installed. */
export function postgresBin(program: 'initdb' | 'postgres'): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const majors = readdirSync(root)
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a));
  const path = majors.map((major) => join(root, major, 'bin', program)).find((p) => existsSync(p));
  return path;
}

export const redisServerBin = (): string | undefined => ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => existsSync(p));
export const haproxyBin = (): string | undefined => ['/usr/sbin/haproxy', '/usr/bin/haproxy', '/usr/local/sbin/haproxy'].find((p) => existsSync(p));

/** Why a real-server test cannot run here (PostgreSQL, Redis, HAProxy), or undefined; in CI (CI=true), where npm test installs them, their absence is an error. */
export function serversMissing(): string | undefined {
  const missing = [!postgresBin('postgres') && 'postgresql', !redisServerBin() && 'redis-server', !haproxyBin() && 'haproxy'].filter(Boolean);
  if (!missing.length) return undefined;
  const why = `no ${missing.join(' or ')} here (apt-get install -y ${missing.join(' ')})`;
  if (process.env.CI === 'true') throw new Error(`${why}; CI must run these tests`);
  return why;
}

/** In a mocha `before` hook: skips the suite, saying why, when the real servers are missing here (an error in CI). */
export function skipWithoutServers(suite: { skip(): void }): void {
  const missing = serversMissing();
  if (!missing) return;
  console.log(`    skipped: ${missing}`);
  suite.skip();
}

/** A child process, ready once a line of its output matches `ready`; rejected with its output when it exits first. */
function startProcess(command: string, args: string[], ready: RegExp, name: string, user: { uid?: number; gid?: number } = {}): Promise<ChildProcess> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...user });
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (ready.test(output)) resolve(child);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code, signal) => reject(new Error(`${name} exited (${signal ?? `status ${code}`}) before it was ready:\n${output.slice(-2000)}`)));
  });
}

const stopProcess = (child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM') =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill(signal);
  });

/** Debian's `postgres` system user, which the package creates. */
function postgresUser(): { uid: number; gid: number } {
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const uid = id('-u');
  if (!Number.isInteger(uid) || uid <= 0)
    throw new Error('PostgreSQL refuses to run as root, and there is no postgres user to run it as (apt-get install -y postgresql makes one)');
  return { uid, gid: id('-g') };
}

/** `redis-server` on a free loopback port, nothing saved to disk. */
export async function startRedis(): Promise<TestServer> {
  const bin = redisServerBin();
  if (!bin) throw new Error('redis-server is not installed (apt-get install -y redis-server)');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'rehearsal-redis-'));
  const child = await startProcess(
    bin,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--protected-mode', 'yes'],
    /Ready to accept connections/,
    'redis-server',
  );
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid: child.pid!,
    stop: async () => {
      await stopProcess(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A PostgreSQL cluster of its own (initdb) on a free loopback port, trust
 * authentication for the `rehearsal` role on loopback only. PostgreSQL refuses
 * to run as root: as root, it runs as Debian's `postgres` user.
 */
export async function startPostgres(): Promise<PostgresServer> {
  const initdb = postgresBin('initdb');
  const postgres = postgresBin('postgres');
  if (!initdb || !postgres) throw new Error('PostgreSQL is not installed (apt-get install -y postgresql)');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'rehearsal-pg-'));
  // As root, Debian's postgres user runs it (the process is still ours, to stop by its id).
  const user: { uid?: number; gid?: number } = process.getuid?.() === 0 ? postgresUser() : {};
  if (user.uid !== undefined) chownSync(dir, user.uid, user.gid!);
  const data = join(dir, 'data');
  const init = spawnSync(initdb, ['-D', data, '-U', 'rehearsal', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale', 'C'], {
    encoding: 'utf8',
    cwd: dir,
    ...user,
  });
  if (init.status !== 0) throw new Error(`initdb failed:\n${init.stdout}${init.stderr}`);
  const args = ['-D', data, '-p', String(port), '-h', '127.0.0.1', '-k', dir, '-c', 'fsync=off', '-c', 'synchronous_commit=off'];
  const run = () => startProcess(postgres, args, /database system is ready to accept connections/, 'postgres', { ...user });
  let child: ChildProcess | undefined = await run();
  // The last server's process id, also once it is stopped (a test checks that it is gone).
  let pid = child.pid!;
  return {
    url: `postgres://rehearsal@127.0.0.1:${port}/postgres`,
    port,
    get pid() {
      return pid;
    },
    // SIGINT: PostgreSQL's fast shutdown, which ends the sessions of every client.
    down: async () => {
      if (child) await stopProcess(child, 'SIGINT');
      child = undefined;
    },
    up: async () => {
      child ??= await run();
      pid = child.pid!;
    },
    stop: async () => {
      if (child) await stopProcess(child, 'SIGINT');
      child = undefined;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
