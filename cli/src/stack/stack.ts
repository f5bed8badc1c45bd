import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, ensureDataDir, stackKey, type RunningService } from '@rehearsal/runtime';
import { freePort } from '@rehearsal/runtime/testing';
import { serveCore } from '@rehearsal/core/serve';
import { serveGateway } from '@rehearsal/gateway/serve';
import { serveIdp } from '@rehearsal/mock-idp/serve';
import { serveConsole } from '@rehearsal/console/serve';
import { applyScenario, type AppliedScenario, type Progress } from '../scenario/apply.ts';
import { readScenarioFile } from '../scenario/scenario-file.ts';
import type { Scenario } from '../scenario/schema.ts';
import { entryArgs, repositoryRoot } from '../../../scripts/dist.mjs';
import { ServiceClient, StackClock } from '@rehearsal/runtime/client';

/** The services in the order they start: the console last, as it reads the other three. */
export const SERVICES = ['core', 'idp', 'gateway', 'console'] as const;
export type ServiceName = (typeof SERVICES)[number];
/** The services with a harness (`/_rehearsal`: clock, reset): all but the console, which only calls theirs. */
export const HARNESSED = ['core', 'idp', 'gateway'] as const;
export type StackUrls = Record<ServiceName, string>;

export const DEFAULT_PORTS: Record<ServiceName, number> = { idp: 7000, gateway: 8000, core: 9000, console: 7900 };

/** What happens to a service run as its own process, for `up` to tell. */
export type ServiceEvent =
  | { kind: 'died'; service: ServiceName; status: string; lastLines: string[]; restartInMs: number | null }
  | { kind: 'restarted'; service: ServiceName; pid: number }
  | { kind: 'gave-up'; service: ServiceName; reason: string };

export interface StackOptions {
  /** A scenario file, or one already read. */
  scenario?: string | Scenario;
  /** `in-process` (default): the services in this process; `processes`: one child process each. */
  mode?: 'in-process' | 'processes';
  /** Ports to listen on; by default free ones (the `up` command asks for 7000, 8000 and 9000). */
  ports?: Partial<Record<ServiceName, number>>;
  /** Keys, certificates and core's database; by default a temporary directory removed on close. */
  dataDir?: string;
  logLevel?: string;
  /** Where the child processes' output goes (processes mode); by default it is kept for error messages only. */
  output?: (service: ServiceName, line: string) => void;
  progress?: Progress;
  /** Processes mode: a service that dies is restarted after these waits, one per restart; once they are used up, the stack stops. */
  restartBackoffMs?: number[];
  /** Processes mode: what happened to a service (died, restarted, given up on). */
  onServiceEvent?: (event: ServiceEvent) => void;
}

export interface StackCredentials {
  /** Core's admin API key (Bearer). */
  coreAdminKey: string;
  /** The gateway's admin key, for `POST /api/sessions/revoke`. */
  gatewayAdminKey: string;
  /** The harness key: `/_rehearsal` clock changes, resets and DNS on every service. */
  harnessKey: string;
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
  /** Each service's process id (processes mode; this process's in process). */
  pids(): Record<ServiceName, number>;
  /** Settles when the stack stops by itself: a service died more often than it may be restarted (processes mode). */
  stopped: Promise<{ service: ServiceName; reason: string }>;
  /** Empties every service and applies the scenario again. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

/** Thrown when a service cannot start: its own words (a configuration problem, a port in use). */
export class ServiceStartError extends Error {
  constructor(
    readonly service: ServiceName,
    readonly problems: string[],
  ) {
    super(`${service} did not start:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ServiceStartError';
  }
}

const root = repositoryRoot();
/** Each service's entry point in dist/ (or, while dist/ is out of date, its TypeScript source through tsx). */
const ENTRIES: Record<ServiceName, 'core' | 'mock-idp' | 'gateway' | 'console'> = { core: 'core', idp: 'mock-idp', gateway: 'gateway', console: 'console' };
/** A dying service is restarted after 1, 2, 4, 8 then 16 seconds; a sixth death stops the stack. */
const RESTART_BACKOFF_MS = [1000, 2000, 4000, 8000, 16_000];
/** Lines of a dead service's output shown with the news of its death. */
const LAST_LINES = 20;

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
    console: {
      ...common,
      CONSOLE_PORT: String(ports.console),
      CONSOLE_PUBLIC_URL: urls.console,
      CORE_URL: urls.core,
      IDP_URL: urls.idp,
      GATEWAY_URL: urls.gateway,
    },
  };
}

/** The keys of a stack, from the one source every service reads them from (stack-keys): environment, else data directory. */
export function stackCredentials(env: NodeJS.ProcessEnv, dataDir: string): StackCredentials {
  return {
    coreAdminKey: stackKey('coreAdmin', env, dataDir).value,
    gatewayAdminKey: stackKey('gatewayAdmin', env, dataDir).value,
    harnessKey: stackKey('harness', env, dataDir).value,
  };
}

/** Clients for the harness endpoints of core, the mock IdP and the gateway. */
export const harnessClients = (urls: Pick<StackUrls, (typeof HARNESSED)[number]>, harnessKey: string) =>
  HARNESSED.map((name) => new ServiceClient(name, urls[name], harnessKey));

interface Supervised {
  service: RunningService;
  restarts: number;
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
  ensureDataDir(dataDir);
  const ports = {} as Record<ServiceName, number>;
  for (const name of SERVICES) ports[name] = options.ports?.[name] ?? (await freePort());
  const urls = Object.fromEntries(SERVICES.map((name) => [name, `http://localhost:${ports[name]}`])) as StackUrls;
  const env = serviceEnv(urls, ports, dataDir, options.logLevel ?? 'warn');

  const running = new Map<ServiceName, Supervised>();
  let closing = false;
  let stop!: (why: { service: ServiceName; reason: string }) => void;
  const stopped = new Promise<{ service: ServiceName; reason: string }>((resolve) => (stop = resolve));
  const closeAll = async () => {
    closing = true;
    await Promise.all([...running.values()].map((r) => r.service.close()));
    if (ownDataDir) rmSync(dataDir, { recursive: true, force: true });
  };

  /** A child that died on its own: said, then restarted after a wait, or the stack stops once the waits are used up. */
  const supervise = (name: ServiceName) => (status: string, lastLines: string[]) => {
    if (closing) return;
    const entry = running.get(name)!;
    const backoff = options.restartBackoffMs ?? RESTART_BACKOFF_MS;
    const wait = backoff[entry.restarts];
    options.onServiceEvent?.({ kind: 'died', service: name, status, lastLines, restartInMs: wait ?? null });
    if (wait === undefined) {
      const reason = `${name} died ${entry.restarts + 1} times (last: ${status})`;
      options.onServiceEvent?.({ kind: 'gave-up', service: name, reason });
      void closeAll().then(() => stop({ service: name, reason }));
      return;
    }
    setTimeout(() => {
      if (closing) return;
      spawnService(name, env[name], options.output, supervise(name)).then(
        (service) => {
          if (closing) return void service.close();
          running.set(name, { service, restarts: entry.restarts + 1 });
          options.onServiceEvent?.({ kind: 'restarted', service: name, pid: service.pid ?? 0 });
        },
        (err: unknown) => {
          running.set(name, { ...entry, restarts: entry.restarts + 1 });
          supervise(name)(
            'did not start again',
            String((err as Error).message)
              .split('\n')
              .slice(-LAST_LINES),
          );
        },
      );
    }, wait).unref();
  };

  try {
    // One source for every key: made here, before any service, which then all read the same files.
    const credentials = stackCredentials(env.core, dataDir);
    // Core first: the gateway asks it for connections as soon as a login comes.
    for (const name of SERVICES) {
      const service = mode === 'processes' ? await spawnService(name, env[name], options.output, supervise(name)) : await serveInProcess(name, env[name]);
      running.set(name, { service, restarts: 0 });
    }
    const endpoints = { urls, coreAdminKey: credentials.coreAdminKey };
    const stack: Stack = {
      urls,
      credentials,
      dataDir,
      mode,
      applied: undefined,
      clock: new StackClock(harnessClients(urls, credentials.harnessKey)),
      pids: () => Object.fromEntries(SERVICES.map((name) => [name, running.get(name)?.service.pid ?? process.pid])) as Record<ServiceName, number>,
      stopped,
      reset: async () => {
        await resetServices(urls, credentials.harnessKey);
        stack.applied = scenario ? await applyScenario(scenario, endpoints, options.progress) : undefined;
      },
      close: closeAll,
    };
    // From empty: a data directory that was used before still holds core's database and the IdP's state.
    if (scenario) await stack.reset();
    return stack;
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/** Empties every service (`/_rehearsal/reset`): core's store, the IdP's directory, the gateway's sessions; clocks back to real time. */
export async function resetServices(urls: StackUrls, harnessKey: string): Promise<void> {
  await Promise.all(harnessClients(urls, harnessKey).map((client) => client.call('POST', '/_rehearsal/reset')));
}

/** In this process the services log to stderr: stdout belongs to the command (`up --json` prints one line there). */
async function serveInProcess(name: ServiceName, env: NodeJS.ProcessEnv): Promise<RunningService> {
  const options = { log: (line: string) => void process.stderr.write(line + '\n') };
  try {
    if (name === 'core') return await serveCore(env, options);
    if (name === 'idp') return await serveIdp(env, options);
    if (name === 'console') return await serveConsole(env, options);
    return await serveGateway(env, options);
  } catch (err) {
    if (err instanceof ConfigError) throw new ServiceStartError(name, err.problems);
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new ServiceStartError(name, [(err as Error).message]);
    throw err;
  }
}

/**
 * A service as its own process, ready once it prints its banner (or failed when
 * it exits first). Once ready, an exit nobody asked for is reported to
 * `onDeath` with the service's last lines.
 */
async function spawnService(
  name: ServiceName,
  env: NodeJS.ProcessEnv,
  output: ((service: ServiceName, line: string) => void) | undefined,
  onDeath: (status: string, lastLines: string[]) => void,
): Promise<RunningService> {
  const child: ChildProcess = spawn(process.execPath, entryArgs(ENTRIES[name], root), {
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
