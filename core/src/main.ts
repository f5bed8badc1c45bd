import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createRemoteJWKSet } from 'jose';
import { createCoreApp } from './app.ts';
import { readCoreConfig } from './config.ts';
import { NetworkDomainVerifier } from './domains/verifier.ts';
import { ConfigError, createLogger, secretFrom, systemClock } from './runtime/index.ts';
import { SqliteStore } from './store/sqlite-store.ts';


function main() {
  let config;
  try {
    config = readCoreConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`rehearsal core: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger({ service: 'core', level: config.LOG_LEVEL });
  mkdirSync(config.REHEARSAL_DATA_DIR, { recursive: true });
  const dbPath = config.CORE_DB ?? join(config.REHEARSAL_DATA_DIR, 'core.sqlite');
  const newKey = () => randomBytes(24).toString('base64url');
  const admin = secretFrom(config.CORE_ADMIN_KEY, join(config.REHEARSAL_DATA_DIR, 'core-admin-key'), newKey);
  const gateway = secretFrom(config.CORE_GATEWAY_KEY, join(config.REHEARSAL_DATA_DIR, 'core-gateway-key'), newKey);
  const store = new SqliteStore(dbPath);
  const app = createCoreApp({
    store,
    credentials: { adminKey: admin.value, gatewayKey: gateway.value },
    gatewayUrl: config.GATEWAY_URL,
    ...(config.CORE_GATEWAY_JWKS_URL ? { identityKeys: createRemoteJWKSet(new URL(config.CORE_GATEWAY_JWKS_URL)) } : {}),
    publicUrl: config.CORE_PUBLIC_URL ?? `http://localhost:${config.CORE_PORT}`,
    clock: systemClock,
    logger,
    harness: config.REHEARSAL_HARNESS,
    domainFileUrlTemplate: config.CORE_DOMAIN_FILE_URL,
    verifier: new NetworkDomainVerifier({ dnsServers: config.CORE_DNS_SERVERS, timeoutMs: config.CORE_VERIFY_TIMEOUT_MS, fileUrlTemplate: config.CORE_DOMAIN_FILE_URL }),
  });
  const server = app.listen(config.CORE_PORT, config.CORE_HOST, () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.CORE_PORT;
    const url = config.CORE_PUBLIC_URL ?? `http://localhost:${port}`;
    logger.info('core listening', { url, db: dbPath, harness: config.REHEARSAL_HARNESS, adminKeySource: admin.source });
    process.stderr.write(
      [
        '',
        `Rehearsal core is up at ${url}`,
        `  API description: ${url}/openapi.json`,
        `  Admin key (${admin.source}):`,
        `    ${admin.value}`,
        `  Try: curl -H "Authorization: Bearer ${admin.value}" ${url}/api/orgs`,
        `  Store: ${dbPath}${config.REHEARSAL_HARNESS ? '; harness endpoints under /_rehearsal' : ''}`,
        '',
      ].join('\n'),
    );
  });
  const stop = () => {
    server.close(() => void store.close().then(() => process.exit(0)));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main();
