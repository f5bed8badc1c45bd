import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createRemoteJWKSet } from 'jose';
import { createCoreApp } from './app.ts';
import { readCoreConfig } from './config.ts';
import { NetworkDomainVerifier } from './domains/verifier.ts';
import {
  closeServer,
  createLogger,
  ensureDataDir,
  listen,
  portOf,
  secretFrom,
  stackKey,
  systemClock,
  type RunningService,
  type ServeOptions,
} from '@rehearsal/runtime';
import { openStore } from './store/open-store.ts';
import { PostgresStore } from './store/postgres-store.ts';

/** Drops a PostgreSQL schema core kept its tables in (an ephemeral stack's). */
export const dropDatabaseSchema = (url: string, schema: string) => PostgresStore.dropSchema(url, schema);

/** Core as configured by environment variables (see config.ts): keys, store and all. */
export async function serveCore(env: NodeJS.ProcessEnv, options: ServeOptions = {}): Promise<RunningService> {
  const config = readCoreConfig(env);
  const logger = createLogger({ service: 'core', level: config.LOG_LEVEL, ...(options.log ? { write: options.log } : {}) });
  const dataDir = config.REHEARSAL_DATA_DIR;
  ensureDataDir(dataDir);
  const dbPath = config.CORE_DB ?? join(dataDir, 'core.sqlite');
  const admin = stackKey('coreAdmin', env, dataDir);
  const gateway = stackKey('coreGateway', env, dataDir);
  const harnessKey = stackKey('harness', env, dataDir);
  const secrets = secretFrom(config.CORE_SECRETS_KEY, join(dataDir, 'core-secrets-key'), () => randomBytes(32).toString('base64url'));
  const { store, description: storeDescription } = await openStore({
    databaseUrl: config.DATABASE_URL,
    schema: config.DATABASE_SCHEMA,
    sqlitePath: dbPath,
    logger,
  });
  const app = createCoreApp({
    store,
    credentials: { adminKey: admin.value, gatewayKey: gateway.value },
    harnessKey: harnessKey.value,
    secretsKey: secrets.value,
    gatewayUrl: config.GATEWAY_URL,
    ...(config.CORE_GATEWAY_JWKS_URL ? { identityKeys: createRemoteJWKSet(new URL(config.CORE_GATEWAY_JWKS_URL)) } : {}),
    publicUrl: config.CORE_PUBLIC_URL ?? `http://localhost:${config.CORE_PORT}`,
    clock: systemClock,
    logger,
    harness: config.REHEARSAL_HARNESS,
    siblings: config.REHEARSAL_SIBLINGS,
    domainFileUrlTemplate: config.CORE_DOMAIN_FILE_URL,
    verifier: new NetworkDomainVerifier({
      dnsServers: config.CORE_DNS_SERVERS,
      timeoutMs: config.CORE_VERIFY_TIMEOUT_MS,
      fileUrlTemplate: config.CORE_DOMAIN_FILE_URL,
    }),
  });
  let server;
  try {
    server = await listen(app, config.CORE_PORT, config.CORE_HOST);
  } catch (err) {
    await store.close();
    throw err;
  }
  const port = portOf(server);
  const url = config.CORE_PUBLIC_URL ?? `http://localhost:${port}`;
  logger.info('core listening', { url, db: storeDescription, harness: config.REHEARSAL_HARNESS, adminKeySource: admin.source });
  return {
    url,
    port,
    banner: [
      `Rehearsal core is up at ${url}`,
      `  API description: ${url}/openapi.json`,
      `  Admin key (${admin.source}):`,
      `    ${admin.value}`,
      `  Try: curl -H "Authorization: Bearer ${admin.value}" ${url}/api/orgs`,
      `  Store: ${storeDescription}${config.REHEARSAL_HARNESS ? '; harness endpoints under /_rehearsal' : ''}`,
    ],
    close: async () => {
      await closeServer(server);
      await store.close();
    },
  };
}
