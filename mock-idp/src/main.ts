import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, RehearsalError, createLogger, systemClock } from '@rehearsal/core/runtime';
import { createIdpApp } from './app.ts';
import { readIdpConfig } from './config.ts';
import { readIdpFile } from './idp-config-file.ts';
import { loadOrCreateCredential, parseCertificate } from './keys/credentials.ts';

async function main() {
  let config;
  try {
    config = readIdpConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`rehearsal mock-idp: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger({ service: 'mock-idp', level: config.LOG_LEVEL });
  const publicUrl = config.IDP_PUBLIC_URL ?? `http://localhost:${config.IDP_PORT}`;
  const keyFiles = { keyPath: config.IDP_SIGNING_KEY ?? join(config.REHEARSAL_DATA_DIR, 'idp-signing.key.pem'), certPath: config.IDP_SIGNING_CERT ?? join(config.REHEARSAL_DATA_DIR, 'idp-signing.cert.pem') };
  const { credential, created } = await loadOrCreateCredential(keyFiles, 'Rehearsal mock IdP', systemClock.now());
  const content = config.IDP_CONFIG ? readIdpFile(config.IDP_CONFIG) : { directory: {}, serviceProviders: [], faultRules: [], provisioning: [] };
  let app;
  try {
    app = createIdpApp({
      publicUrl,
      entityId: config.IDP_ENTITY_ID,
      credential,
      stagedCertificate: config.IDP_NEXT_CERT ? parseCertificate(readFileSync(config.IDP_NEXT_CERT, 'utf8')) : undefined,
      directory: content.directory,
      serviceProviders: content.serviceProviders,
      faultRules: content.faultRules,
      provisioning: content.provisioning,
      clock: systemClock,
      logger,
      harness: config.REHEARSAL_HARNESS,
    });
  } catch (err) {
    if (err instanceof RehearsalError) {
      const where = err.details?.[0]?.path ? ` at ${err.details[0].path}` : '';
      process.stderr.write(`rehearsal mock-idp: ${config.IDP_CONFIG ?? 'configuration'}${where}: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const server = app.listen(config.IDP_PORT, config.IDP_HOST, () => {
    logger.info('mock-idp listening', { url: publicUrl });
    process.stderr.write(
      [
        '',
        `Rehearsal mock IdP is up at ${publicUrl}`,
        `  Metadata: ${publicUrl}/saml/metadata`,
        `  Signing certificate (${created ? 'generated now' : 'loaded'}): ${keyFiles.certPath}`,
        `    SHA-256 ${credential.fingerprint}`,
        `  Users: ${publicUrl}/api/users; service providers: ${publicUrl}/api/service-providers`,
        `  Faults: ${publicUrl}/api/faults; every message sent and received: ${publicUrl}/api/ledger`,
        `  SCIM provisioning: ${publicUrl}/api/provisioning/targets`,
        '',
      ].join('\n'),
    );
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

await main();
