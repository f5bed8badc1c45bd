import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { loadOrCreateCredential } from '@rehearsal/runtime/credentials';
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
  const app = createGatewayApp({
    publicUrl,
    coreUrl: config.CORE_URL,
    coreKey: coreKey.value,
    harnessKey: harnessKey.value,
    adminKey: admin.value,
    cookieSecret: Buffer.from(cookieSecret.value),
    spPrivateKeyPem: sp.credential.privateKeyPem,
    spCertificatePem: sp.credential.certificatePem,
    identityKeyPem: identityKey.value,
    clock: systemClock,
    logger,
    harness: config.REHEARSAL_HARNESS,
  });
  const server = await listen(app, config.GATEWAY_PORT, config.GATEWAY_HOST);
  logger.info('gateway listening', { url: publicUrl });
  return {
    url: publicUrl,
    port: portOf(server),
    banner: [
      `Rehearsal gateway is up at ${publicUrl}`,
      `  Log in: ${publicUrl}/login`,
      `  Core: ${config.CORE_URL}`,
      `  Admin key (for POST /api/sessions/revoke): ${admin.source}`,
    ],
    close: () => closeServer(server),
  };
}
