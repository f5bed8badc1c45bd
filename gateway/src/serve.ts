import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { loadOrCreateCredential } from '@rehearsal/runtime/credentials';
import {
  closeServer,
  ControllableClock,
  createLogger,
  ensureDataDir,
  listen,
  portOf,
  secretFrom,
  shareSecret,
  sharedState,
  stackKey,
  systemClock,
  type RunningService,
  type ServeOptions,
} from '@rehearsal/runtime';
import { createGatewayApp } from './app.ts';
import { readGatewayConfig } from './config.ts';

/** The gateway as configured by environment variables (see config.ts), its keys created on first start. */
export async function serveGateway(env: NodeJS.ProcessEnv, options: ServeOptions = {}): Promise<RunningService> {
  const config = readGatewayConfig(env);
  const logger = createLogger({ service: 'gateway', level: config.LOG_LEVEL, ...(options.log ? { write: options.log } : {}) });
  const dataDir = config.REHEARSAL_DATA_DIR;
  ensureDataDir(dataDir);
  const publicUrl = config.GATEWAY_PUBLIC_URL ?? `http://localhost:${config.GATEWAY_PORT}`;
  const admin = stackKey('gatewayAdmin', env, dataDir);
  // Core's key for the gateway: whichever of the two starts first makes it, the other reads it.
  const coreKey = stackKey('coreGateway', env, dataDir);
  const harnessKey = stackKey('harness', env, dataDir);
  const cookieSecret = secretFrom(config.GATEWAY_COOKIE_SECRET, join(config.REHEARSAL_DATA_DIR, 'gateway-cookie-secret'), () =>
    randomBytes(32).toString('base64url'),
  );
  // The key that signs AuthnRequests, and the certificate the SP metadata publishes for it.
  const sp = await loadOrCreateCredential(
    { keyPath: join(config.REHEARSAL_DATA_DIR, 'gateway-sp-key.pem'), certPath: join(config.REHEARSAL_DATA_DIR, 'gateway-sp-cert.pem') },
    'Rehearsal gateway',
    systemClock.now(),
  );
  const identityKey = secretFrom(undefined, join(config.REHEARSAL_DATA_DIR, 'gateway-identity-key.pem'), () =>
    generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString().trim(),
  );
  // The harness moves this clock; the state's expiries are read on it too, never on the system clock.
  const clock = new ControllableClock(systemClock);
  // With REDIS_URL, replicas share their state and converge on the first one's secrets and keys.
  const state = await sharedState(config.REDIS_URL, clock, `${config.REDIS_NAMESPACE}:gateway`);
  const spShared = JSON.parse(
    await shareSecret(state, 'sp-credential', JSON.stringify({ privateKeyPem: sp.credential.privateKeyPem, certificatePem: sp.credential.certificatePem })),
  ) as { privateKeyPem: string; certificatePem: string };
  const app = createGatewayApp({
    publicUrl,
    coreUrl: config.CORE_URL,
    coreKey: coreKey.value,
    harnessKey: harnessKey.value,
    adminKey: admin.value,
    cookieSecret: Buffer.from(await shareSecret(state, 'cookie-secret', cookieSecret.value)),
    spPrivateKeyPem: spShared.privateKeyPem,
    spCertificatePem: spShared.certificatePem,
    identityKeyPem: await shareSecret(state, 'identity-key', identityKey.value),
    state,
    clock,
    logger,
    harness: config.REHEARSAL_HARNESS,
    siblings: config.REHEARSAL_SIBLINGS,
  });
  let server;
  try {
    server = await listen(app, config.GATEWAY_PORT, config.GATEWAY_HOST);
  } catch (err) {
    await state.close();
    throw err;
  }
  logger.info('gateway listening', { url: publicUrl, state: state.where });
  return {
    url: publicUrl,
    port: portOf(server),
    banner: [
      `Rehearsal gateway is up at ${publicUrl}`,
      `  Log in: ${publicUrl}/login`,
      `  Core: ${config.CORE_URL}`,
      `  Sessions and logins in progress: ${state.where}`,
      `  Admin key (for POST /api/sessions/revoke): ${admin.source}`,
    ],
    close: async () => {
      await closeServer(server);
      await state.close();
    },
  };
}
