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
import { LAST_LINES, ServiceStartError, spawnService } from './child-service.ts';
import { backendsFor, planInstances, replicaProblems, type Instance, type SharedBackends } from './replicas.ts';
import { startHaproxy } from './haproxy.ts';
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
  | { kind: 'died'; service: string; status: string; lastLines: string[]; restartInMs: number | null }
  | { kind: 'restarted'; service: string; pid: number }
  | { kind: 'gave-up'; service: string; reason: string };

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
  output?: (service: string, line: string) => void;
  progress?: Progress;
  /** Processes mode: a service that dies is restarted after these waits, one per restart; once they are used up, the stack stops. */
  restartBackoffMs?: number[];
  /** Processes mode: what happened to a service (died, restarted, given up on); a replica is named `core-2`. */
  onServiceEvent?: (event: ServiceEvent) => void;
  /** Core on PostgreSQL, the gateway on Redis, and how many replicas of each run behind HAProxy (processes mode). */
  shared?: Partial<SharedBackends>;
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
  /** How many replicas of core and of the gateway run behind HAProxy (1: none, no proxy). */
  replicas: number;
  /** What the scenario made (undefined without a scenario). */
  applied: AppliedScenario | undefined;
  /** The three services' clocks, moved together. */
  clock: StackClock;
  /** Each process's id by name (processes mode; this process's in process): `core`, or `core-1`, `core-2`... and `haproxy` with replicas. */
  pids(): Record<string, number>;
  /** Settles when the stack stops by itself: a service died more often than it may be restarted (processes mode). */
  stopped: Promise<{ service: string; reason: string }>;
  /** Empties every service and applies the scenario again. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

export { ServiceStartError };

/** Each service's entry point in dist/ (or, while dist/ is out of date, its TypeScript source through tsx). */
const ENTRIES: Record<ServiceName, 'core' | 'mock-idp' | 'gateway' | 'console'> = { core: 'core', idp: 'mock-idp', gateway: 'gateway', console: 'console' };
/** A dying service is restarted after 1, 2, 4, 8 then 16 seconds; a sixth death stops the stack. */
const RESTART_BACKOFF_MS = [1000, 2000, 4000, 8000, 16_000];

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

  const { shared, drop } = backendsFor(options.shared ?? {}, process.env, ownDataDir);
  const { instances, frontends } = await planInstances(SERVICES, env, urls, shared);
  const running = new Map<string, Supervised>();
  let proxy: Awaited<ReturnType<typeof startHaproxy>> | undefined;
  let closing = false;
  let stop!: (why: { service: string; reason: string }) => void;
  const stopped = new Promise<{ service: string; reason: string }>((resolve) => (stop = resolve));
  const closeAll = async () => {
    closing = true;
    await proxy?.close();
    await Promise.all([...running.values()].map((r) => r.service.close()));
    await drop().catch(() => undefined); // a server already gone holds nothing to forget
    if (ownDataDir) rmSync(dataDir, { recursive: true, force: true });
  };
  const giveUp = (name: string, reason: string) => {
    options.onServiceEvent?.({ kind: 'gave-up', service: name, reason });
    void closeAll().then(() => stop({ service: name, reason }));
  };
  const spawnInstance = (instance: Instance) => spawnService(instance.name, ENTRIES[instance.service], instance.env, options.output, supervise(instance));

  /** A child that died on its own: said, then restarted after a wait, or the stack stops once the waits are used up. */
  const supervise = (instance: Instance) => (status: string, lastLines: string[]) => {
    const name = instance.name;
    if (closing) return;
    const entry = running.get(name)!;
    const backoff = options.restartBackoffMs ?? RESTART_BACKOFF_MS;
    const wait = backoff[entry.restarts];
    options.onServiceEvent?.({ kind: 'died', service: name, status, lastLines, restartInMs: wait ?? null });
    if (wait === undefined) return giveUp(name, `${name} died ${entry.restarts + 1} times (last: ${status})`);
    setTimeout(() => {
      if (closing) return;
      spawnInstance(instance).then(
        (service) => {
          if (closing) return void service.close();
          running.set(name, { service, restarts: entry.restarts + 1 });
          options.onServiceEvent?.({ kind: 'restarted', service: name, pid: service.pid ?? 0 });
        },
        (err: unknown) => {
          running.set(name, { ...entry, restarts: entry.restarts + 1 });
          supervise(instance)(
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
    const problems = replicaProblems(shared, mode);
    if (problems.length) throw new ServiceStartError('the stack', problems);
    // One source for every key: made here, before any service, which then all read the same files.
    const credentials = stackCredentials(env.core, dataDir);
    // Core first: the gateway asks it for connections as soon as a login comes; the console last, through the proxy.
    for (const instance of instances) {
      if (instance.service === 'console' && frontends.length) {
        proxy = await startHaproxy(dataDir, frontends, (status) => giveUp('haproxy', `HAProxy ${status}`));
      }
      const serve = () => (mode === 'processes' ? spawnInstance(instance) : serveInProcess(instance.service, instance.env));
      let service;
      try {
        service = await serve();
      } catch (err) {
        // The console binds last, long after its port was picked: a connection made meanwhile may hold it as its own
        // local port. A picked (not a given) port is picked again; nothing else refers to the console's.
        if (instance.service !== 'console' || options.ports?.console !== undefined || !/EADDRINUSE/.test(String((err as Error).message))) throw err;
        ports.console = await freePort();
        urls.console = `http://localhost:${ports.console}`;
        Object.assign(instance.env, { CONSOLE_PORT: String(ports.console), CONSOLE_PUBLIC_URL: urls.console });
        service = await serve();
      }
      running.set(instance.name, { service, restarts: 0 });
    }
    const endpoints = { urls, coreAdminKey: credentials.coreAdminKey };
    const stack: Stack = {
      urls,
      credentials,
      dataDir,
      mode,
      replicas: shared.replicas,
      applied: undefined,
      clock: new StackClock(harnessClients(urls, credentials.harnessKey)),
      pids: () => ({
        ...Object.fromEntries(instances.map((i) => [i.name, running.get(i.name)?.service.pid ?? process.pid])),
        ...(proxy ? { haproxy: proxy.pid } : {}),
      }),
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
