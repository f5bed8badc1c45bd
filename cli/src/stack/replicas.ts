import { randomBytes } from 'node:crypto';
import { dropNamespace } from '@rehearsal/runtime';
import { freePort } from '@rehearsal/runtime/testing';
import { dropDatabaseSchema } from '@rehearsal/core/serve';
import type { ServiceName, StackUrls } from './stack.ts';
import type { Frontend } from './haproxy.ts';

/** Where replicas share their state: core's PostgreSQL, the mock IdP's and the gateway's Redis. */
export interface SharedBackends {
  databaseUrl?: string;
  databaseSchema?: string;
  redisUrl?: string;
  redisNamespace?: string;
  /** Core, the mock IdP and the gateway each run as this many processes behind HAProxy (1: no proxy). */
  replicas: number;
}

/** One process of the stack: a service, or one replica of it (`core-2`). */
export interface Instance {
  name: string;
  service: ServiceName;
  env: NodeJS.ProcessEnv;
}

/** The services that run as replicas behind HAProxy: the console keeps nothing worth a second one. */
export const REPLICATED = ['core', 'idp', 'gateway'] as const;
const PORT_VARIABLES = { core: 'CORE_PORT', idp: 'IDP_PORT', gateway: 'GATEWAY_PORT' } as const;
const isReplicated = (service: ServiceName): service is (typeof REPLICATED)[number] => (REPLICATED as readonly string[]).includes(service);

/**
 * The stack's processes, in the order they start. With replicas, each
 * replicated service's replicas listen on free ports of their own while its
 * public port is HAProxy's; each knows its siblings (harness calls reach them
 * all) and is told where the shared state is.
 */
export async function planInstances(
  services: readonly ServiceName[],
  env: Record<ServiceName, NodeJS.ProcessEnv>,
  urls: StackUrls,
  shared: SharedBackends,
): Promise<{ instances: Instance[]; frontends: Frontend[] }> {
  const database: NodeJS.ProcessEnv = {
    ...(shared.databaseUrl ? { DATABASE_URL: shared.databaseUrl } : {}),
    ...(shared.databaseSchema ? { DATABASE_SCHEMA: shared.databaseSchema } : {}),
  };
  const redis: NodeJS.ProcessEnv = {
    ...(shared.redisUrl ? { REDIS_URL: shared.redisUrl } : {}),
    ...(shared.redisNamespace ? { REDIS_NAMESPACE: shared.redisNamespace } : {}),
  };
  // Core keeps its data in PostgreSQL; the IdP and the gateway theirs in Redis.
  const backends: Partial<Record<ServiceName, NodeJS.ProcessEnv>> = { core: database, idp: redis, gateway: redis };
  const instances: Instance[] = [];
  const frontends: Frontend[] = [];
  for (const service of services) {
    const own = { ...env[service], ...backends[service] };
    if (shared.replicas <= 1 || !isReplicated(service)) {
      instances.push({ name: service, service, env: own });
      continue;
    }
    const ports = await Promise.all(Array.from({ length: shared.replicas }, () => freePort()));
    const portVariable = PORT_VARIABLES[service];
    ports.forEach((port, i) =>
      instances.push({
        name: `${service}-${i + 1}`,
        service,
        env: {
          ...own,
          [portVariable]: String(port),
          REHEARSAL_SIBLINGS: ports
            .filter((p) => p !== port)
            .map((p) => `http://127.0.0.1:${p}`)
            .join(','),
        },
      }),
    );
    frontends.push({ name: service, port: Number(new URL(urls[service]).port), backends: ports, ...(service === 'idp' ? { sticky: true } : {}) });
  }
  return { instances, frontends };
}

/**
 * The backends as given, else as the environment names them (an empty variable
 * is unset). A stack of its own temporary directory (a test's) also gets a
 * PostgreSQL schema and a Redis namespace of its own, unless they are named, and
 * `drop` forgets both once its services have stopped: stacks sharing one server
 * never see each other's data.
 */
export function backendsFor(given: Partial<SharedBackends>, env: NodeJS.ProcessEnv, ephemeral: boolean): { shared: SharedBackends; drop: () => Promise<void> } {
  const shared: SharedBackends = { replicas: 1, ...given };
  shared.databaseUrl ??= env.DATABASE_URL || undefined;
  shared.redisUrl ??= env.REDIS_URL || undefined;
  if (!ephemeral) return { shared, drop: () => Promise.resolve() };
  const own = randomBytes(6).toString('hex');
  const schema = shared.databaseUrl && !shared.databaseSchema && !env.DATABASE_SCHEMA ? (shared.databaseSchema = `stack_${own}`) : undefined;
  const namespace = shared.redisUrl && !shared.redisNamespace && !env.REDIS_NAMESPACE ? (shared.redisNamespace = `rehearsal-${own}`) : undefined;
  return {
    shared,
    drop: async () => {
      await Promise.all([
        schema && shared.databaseUrl ? dropDatabaseSchema(shared.databaseUrl, schema) : undefined,
        namespace && shared.redisUrl ? dropNamespace(shared.redisUrl, namespace) : undefined,
      ]);
    },
  };
}

/** What `up` checks before it starts replicas: each needs the state it shares. */
export function replicaProblems(shared: SharedBackends, mode: 'in-process' | 'processes'): string[] {
  if (shared.replicas <= 1) return [];
  return [
    mode !== 'processes' && '--replicas runs each replica as its own process: add --processes',
    !shared.databaseUrl && '--replicas needs --database-url (the cores share one PostgreSQL database)',
    !shared.redisUrl && '--replicas needs --redis-url (the IdPs and the gateways share their sessions in Redis)',
  ].filter((p): p is string => Boolean(p));
}
