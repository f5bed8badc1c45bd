import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import {
  ConfigError,
  RehearsalError,
  closeServer,
  createLogger,
  ensureDataDir,
  listen,
  portOf,
  shareSecret,
  stackKey,
  systemClock,
  type RunningService,
  type ServeOptions,
} from '@rehearsal/runtime';
import type { StatePort } from './state/state-file.ts';
import { openIdpState } from './state/open-state.ts';
import { createIdpApp } from './app.ts';
import { readIdpConfig } from './config.ts';
import { readIdpFile } from './idp-config-file.ts';
import { credentialFrom, loadOrCreateCredential, parseCertificate } from '@rehearsal/runtime/credentials';

/** The mock IdP as configured by environment variables (see config.ts), its signing key created on first start. */
export async function serveIdp(env: NodeJS.ProcessEnv, options: ServeOptions = {}): Promise<RunningService> {
  const config = readIdpConfig(env);
  const logger = createLogger({ service: 'mock-idp', level: config.LOG_LEVEL, ...(options.log ? { write: options.log } : {}) });
  const dataDir = config.REHEARSAL_DATA_DIR;
  ensureDataDir(dataDir);
  const harnessKey = stackKey('harness', env, dataDir);
  const publicUrl = config.IDP_PUBLIC_URL ?? `http://localhost:${config.IDP_PORT}`;
  const keyFiles = {
    keyPath: config.IDP_SIGNING_KEY ?? join(config.REHEARSAL_DATA_DIR, 'idp-signing.key.pem'),
    certPath: config.IDP_SIGNING_CERT ?? join(config.REHEARSAL_DATA_DIR, 'idp-signing.cert.pem'),
  };
  const { credential, created } = await loadOrCreateCredential(keyFiles, 'Rehearsal mock IdP', systemClock.now());
  let content;
  try {
    content = config.IDP_CONFIG ? readIdpFile(config.IDP_CONFIG) : { directory: {}, serviceProviders: [], faultRules: [], provisioning: [] };
  } catch (err) {
    throw new ConfigError([(err as Error).message]);
  }
  const opened = await openIdpState(config, logger);
  const { state } = opened;
  let started;
  let signing = credential;
  try {
    // Replicas sign with the first one's key: an SP trusts one certificate.
    const shared = opened.shared
      ? (JSON.parse(
          await shareSecret(
            opened.shared,
            'signing-credential',
            JSON.stringify({ privateKeyPem: credential.privateKeyPem, certificatePem: credential.certificatePem }),
          ),
        ) as { privateKeyPem: string; certificatePem: string })
      : undefined;
    signing = shared && shared.certificatePem !== credential.certificatePem ? credentialFrom(shared.privateKeyPem, shared.certificatePem) : credential;
    started = await opened.starting(() => {
      const resumed = resumeOrStartOver(state, content);
      const app = createIdpApp({
        state,
        harnessKey: harnessKey.value,
        publicUrl,
        entityId: config.IDP_ENTITY_ID,
        credential: signing,
        stagedCertificate: config.IDP_NEXT_CERT ? parseCertificate(readFileSync(config.IDP_NEXT_CERT, 'utf8')) : undefined,
        directory: content.directory,
        serviceProviders: content.serviceProviders,
        faultRules: content.faultRules,
        provisioning: content.provisioning,
        clock: systemClock,
        logger,
        harness: config.REHEARSAL_HARNESS,
        siblings: config.REHEARSAL_SIBLINGS,
        ledger: opened.ledger,
      });
      return Promise.resolve({ app, resumed });
    });
  } catch (err) {
    await opened.close();
    if (err instanceof RehearsalError) {
      const where = err.details?.[0]?.path ? ` at ${err.details[0].path}` : '';
      throw new ConfigError([`${config.IDP_CONFIG ?? 'configuration'}${where}: ${err.message}`]);
    }
    throw err;
  }
  let server;
  try {
    server = await listen(started.app, config.IDP_PORT, config.IDP_HOST);
  } catch (err) {
    await opened.close();
    throw err;
  }
  logger.info('mock-idp listening', { url: publicUrl });
  return {
    url: publicUrl,
    port: portOf(server),
    banner: [
      `Rehearsal mock IdP is up at ${publicUrl}`,
      `  Metadata: ${publicUrl}/saml/metadata`,
      signing === credential
        ? `  Signing certificate (${created ? 'generated now' : 'loaded'}): ${keyFiles.certPath}`
        : `  Signing certificate: the replicas' own, from Redis (not ${keyFiles.certPath})`,
      `    SHA-256 ${signing.fingerprint}`,
      `  Users: ${publicUrl}/api/users; service providers: ${publicUrl}/api/service-providers`,
      `  Faults: ${publicUrl}/api/faults; every message sent and received: ${publicUrl}/api/ledger`,
      `  SCIM provisioning: ${publicUrl}/api/provisioning/targets`,
      `  State: ${opened.description}${!opened.lasting ? '' : ` (${started.resumed ? 'carried on from the last run' : 'new'})`}`,
    ],
    close: async () => {
      await closeServer(server);
      await opened.close();
    },
  };
}

const CONFIG_KEY = 'meta:config';

/**
 * Whether the saved state carries on: yes when it was made from the same
 * configuration file; a changed (or new) file starts over from its content,
 * so that editing IDP_CONFIG and restarting does what one expects.
 */
function resumeOrStartOver(state: StatePort, content: unknown): boolean {
  const fingerprint = createHash('sha256').update(JSON.stringify(content)).digest('hex');
  if (state.get(CONFIG_KEY) === fingerprint) return true;
  state.clear();
  state.put(CONFIG_KEY, fingerprint);
  return false;
}
