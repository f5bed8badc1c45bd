import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, type RunningService } from '@rehearsal/core/runtime';
import { serveCore } from '@rehearsal/core/serve';
import { serveGateway } from '@rehearsal/gateway/serve';
import { serveIdp } from '@rehearsal/mock-idp/serve';
import { applyScenario, type AppliedScenario, type Progress } from '../scenario/apply.ts';
import { readScenarioFile } from '../scenario/scenario-file.ts';
import type { Scenario } from '../scenario/schema.ts';
import { StackClock } from './stack-clock.ts';
import { ServiceClient } from './service-client.ts';

export const SERVICES = ['core', 'idp', 'gateway'] as const;
export type ServiceName = (typeof SERVICES)[number];
export type StackUrls = Record<ServiceName, string>;

export const DEFAULT_PORTS: Record<ServiceName, number> = { idp: 7000, gateway: 8000, core: 9000 };

export interface StackOptions {
  /** A scenario file, or one already read. */
  scenario?: string | Scenario;
  /** `in-process` (default): the three services in this process; `processes`: one child process each. */
  mode?: 'in-process' | 'processes';
  /** Ports to listen on; by default free ones (the `up` command asks for 7000, 8000 and 9000). */
  ports?: Partial<Record<ServiceName, number>>;
  /** Keys, certificates and core's database; by default a temporary directory removed on close. */
  dataDir?: string;
  logLevel?: string;
  /** Where the child processes' output goes (processes mode); by default it is kept for error messages only. */
  output?: (service: ServiceName, line: string) => void;
  progress?: Progress;
}

export interface StackCredentials {
  /** Core's admin API key (Bearer). */
  coreAdminKey: string;
  /** The gateway's admin key, for `POST /api/sessions/revoke`. */
  gatewayAdminKey: string;
}

export interface Stack {
  urls: StackUrls;
  credentials: StackCredentials;
  dataDir: string;
  mode: 'in-process' | 'processes';
  /** What the scenario made (undefined without a scenario). */
  applied: AppliedScenario | undefined;
  /** The three services' clocks, moved together. */
  clock: StackClock;
  /** Empties every service and applies the scenario again. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const ENTRIES: Record<ServiceName, string> = { core: 'core/src/main.ts', idp: 'mock-idp/src/main.ts', gateway: 'gateway/src/main.ts' };

/**
 * Each service's environment: this process's (the configuration reference applies
 * in both modes), then its port, its public URL, and where the others are.
 */
function serviceEnv(urls: StackUrls, ports: Record<ServiceName, number>, dataDir: string, logLevel: string): Record<ServiceName, NodeJS.ProcessEnv> {
  const common = { ...process.env, REHEARSAL_DATA_DIR: dataDir, LOG_LEVEL: logLevel, REHEARSAL_HARNESS: 'true' };
  return {
    core: { ...common, CORE_PORT: String(ports.core), CORE_PUBLIC_URL: urls.core, GATEWAY_URL: urls.gateway },
    idp: { ...common, IDP_PORT: String(ports.idp), IDP_PUBLIC_URL: urls.idp },
    gateway: { ...common, GATEWAY_PORT: String(ports.gateway), GATEWAY_PUBLIC_URL: urls.gateway, CORE_URL: urls.core },
  };
}

/**
 * Starts core, the mock IdP and the gateway on loopback, empties them and applies
 * the scenario (when there is one), and hands back everything a test suite or
 * script needs to drive them.
 */
export async function start(options: StackOptions = {}): Promise<Stack> {
  const scenario = typeof options.scenario === 'string' ? readScenarioFile(options.scenario) : options.scenario;
  const mode = options.mode ?? 'in-process';
  const ownDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'rehearsal-'));
  const ports = {} as Record<ServiceName, number>;
  for (const name of SERVICES) ports[name] = options.ports?.[name] ?? (await freePort());
  const urls = Object.fromEntries(SERVICES.map((name) => [name, `http://localhost:${ports[name]}`])) as StackUrls;
  const env = serviceEnv(urls, ports, dataDir, options.logLevel ?? 'warn');

  const running: RunningService[] = [];
  const closeAll = async () => {
    await Promise.all(running.map((r) => r.close()));
    if (ownDataDir) rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    // Core first: it writes the gateway's key, which the gateway reads.
    for (const name of SERVICES) running.push(mode === 'processes' ? await spawnService(name, env[name], options.output) : await serveInProcess(name, env[name]));
  } catch (err) {
    await closeAll();
    throw err;
  }
  const credentials: StackCredentials = {
    coreAdminKey: readFileSync(join(dataDir, 'core-admin-key'), 'utf8').trim(),
    gatewayAdminKey: readFileSync(join(dataDir, 'gateway-admin-key'), 'utf8').trim(),
  };
  const endpoints = { urls, coreAdminKey: credentials.coreAdminKey };
  const stack: Stack = {
    urls,
    credentials,
    dataDir,
    mode,
    applied: undefined,
    clock: new StackClock(SERVICES.map((name) => new ServiceClient(name, urls[name]))),
    reset: async () => {
      await resetServices(urls);
      stack.applied = scenario ? await applyScenario(scenario, endpoints, options.progress) : undefined;
    },
    close: closeAll,
  };
  if (scenario) {
    try {
      // From empty: a data directory that was used before still holds core's database.
      await stack.reset();
    } catch (err) {
      await closeAll();
      throw err;
    }
  }
  return stack;
}

/** Empties every service (`/_rehearsal/reset`): core's store, the IdP's directory, the gateway's sessions; clocks back to real time. */
export async function resetServices(urls: StackUrls): Promise<void> {
  await Promise.all(SERVICES.map((name) => new ServiceClient(name, urls[name]).call('POST', '/_rehearsal/reset')));
}

/** In this process the services log to stderr: stdout belongs to the command (`up --json` prints one line there). */
async function serveInProcess(name: ServiceName, env: NodeJS.ProcessEnv): Promise<RunningService> {
  const options = { log: (line: string) => void process.stderr.write(line + '\n') };
  if (name === 'core') return serveCore(env, options);
  if (name === 'idp') return serveIdp(env, options);
  return serveGateway(env, options);
}

/** A service as its own process, ready once it prints its banner (or failed when it exits first). */
async function spawnService(name: ServiceName, env: NodeJS.ProcessEnv, output?: (service: ServiceName, line: string) => void): Promise<RunningService> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(root, ENTRIES[name])], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  let banner: string[] = [];
  const ready = new Promise<void>((resolve, reject) => {
    const onLine = (line: string) => {
      log += line + '\n';
      output?.(name, line);
      if (/ is up at /.test(line)) banner = [line];
      else if (banner.length && line.trim()) banner.push(line);
      if (/ is up at /.test(line)) resolve();
    };
    for (const stream of [child.stdout!, child.stderr!]) {
      let buffered = '';
      stream.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop()!;
        lines.forEach(onLine);
      });
    }
    child.once('exit', (code) => reject(new Error(`${name} exited with status ${code} before it was ready:\n${log}`)));
  });
  await ready;
  const url = /is up at (\S+)/.exec(banner[0] ?? '')?.[1] ?? '';
  return {
    url,
    port: Number(new URL(url).port),
    banner,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
