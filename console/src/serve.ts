import { closeServer, createLogger, ensureDataDir, listen, portOf, stackKey, systemClock, type RunningService, type ServeOptions } from '@rehearsal/runtime';
import { createConsoleApp } from './app.ts';
import { readConsoleConfig } from './config.ts';

/** The console as configured by environment variables (see config.ts), with the stack's keys from the data directory. */
export async function serveConsole(env: NodeJS.ProcessEnv, options: ServeOptions = {}): Promise<RunningService> {
  const config = readConsoleConfig(env);
  const logger = createLogger({ service: 'console', level: config.LOG_LEVEL, ...(options.log ? { write: options.log } : {}) });
  const dataDir = config.REHEARSAL_DATA_DIR;
  ensureDataDir(dataDir);
  const publicUrl = config.CONSOLE_PUBLIC_URL ?? `http://localhost:${config.CONSOLE_PORT}`;
  const coreAdmin = stackKey('coreAdmin', env, dataDir);
  const app = createConsoleApp({
    publicUrl,
    services: { core: config.CORE_URL, idp: config.IDP_URL, gateway: config.GATEWAY_URL },
    keys: { coreAdmin: coreAdmin.value, gatewayAdmin: stackKey('gatewayAdmin', env, dataDir).value, harness: stackKey('harness', env, dataDir).value },
    clock: systemClock,
    logger,
  });
  const server = await listen(app, config.CONSOLE_PORT, config.CONSOLE_HOST);
  logger.info('console listening', { url: publicUrl });
  return {
    url: publicUrl,
    port: portOf(server),
    banner: [
      `Rehearsal console is up at ${publicUrl}`,
      `  Sign in with core's admin key: ${coreAdmin.source}`,
      `  Core ${config.CORE_URL}, mock IdP ${config.IDP_URL}, gateway ${config.GATEWAY_URL}`,
    ],
    close: () => closeServer(server),
  };
}
