import { randomBytes } from 'node:crypto';
import express, { json, urlencoded, type Express, type NextFunction, type Request, type Response } from 'express';
import {
  ControllableClock,
  memoryState,
  rejectRepeatedQuery,
  routeNotFound,
  silentLogger,
  web,
  withFastRoutes,
  type Clock,
  type Logger,
  type SharedState,
} from '@rehearsal/runtime';
import { CoreClient, CoreUnavailable } from '@rehearsal/core/client';
import { adminRoutes } from './admin/admin-routes.ts';
import type { GatewayContext } from './context.ts';
import { loginRoutes } from './login/login-routes.ts';
import { LoginTraces, tracedWeb } from './login/login-traces.ts';
import { traceStoreFor } from './login/trace-store.ts';
import { passwordRoutes } from './login/password-routes.ts';
import { PendingLogins } from './login/pending-logins.ts';
import { throttleFor } from './login/throttle.ts';
import { twoStepRoutes } from './login/two-step-routes.ts';
import { reasonPage } from './pages.ts';
import { GATEWAY_REASONS } from './reasons.ts';
import { IdentityTokens } from './products/identity-tokens.ts';
import { productApi } from './products/product-api.ts';
import { productRoutes } from './products/product-routes.ts';
import { samlRoutes } from './saml/saml-routes.ts';
import { logoutRoutes } from './saml/logout-routes.ts';
import { SamlServiceProvider } from './saml/service-provider.ts';
import { sessionRoutes } from './sessions/session-routes.ts';
import { sessionStarter } from './sessions/session-start.ts';
import { RedisSessionStore } from './sessions/redis-session-store.ts';
import { MemorySessionStore, type SessionStore } from './sessions/session-store.ts';
import { Sessions } from './sessions/sessions.ts';

export const CSRF_COOKIE = 'rehearsal_gw_csrf';
export const GATEWAY_VERSION = '0.1.0';
export { isRelativePath } from './context.ts';

export interface GatewayAppOptions {
  /** Where browsers reach the gateway, e.g. http://localhost:8000: the base of SP entity IDs and ACS URLs. */
  publicUrl: string;
  coreUrl: string;
  /** The key core gives the gateway (CORE_GATEWAY_KEY), or how to read it when first needed. */
  coreKey: string | (() => string);
  /** For admin calls to the gateway itself (revoking sessions). */
  adminKey: string;
  /** Signs session cookies; random per process when absent (sessions then end on restart). */
  cookieSecret?: Buffer;
  /** Signs AuthnRequests for connections that ask for it; generated when absent. */
  spPrivateKeyPem?: string;
  /** Its certificate, published in the SP metadata of connections that sign; made for the key when absent. */
  spCertificatePem?: string;
  sessionStore?: SessionStore;
  /**
   * Where logins in progress, the replay cache, throttles and (unless
   * `sessionStore` is given) sessions live: this process's memory by default, or
   * Redis, shared by every replica (serve.ts makes it from REDIS_URL).
   */
  state?: SharedState;
  /** The other replicas of the gateway, which harness calls are passed on to. */
  siblings?: string[];
  /** PEM (PKCS#8) of the EC P-256 key that signs identity tokens for core; generated when absent. */
  identityKeyPem?: string;
  clock?: Clock;
  logger?: Logger;
  harness?: boolean;
  /** The key the harness endpoints take besides the admin key (REHEARSAL_HARNESS_KEY, shared by the stack). */
  harnessKey?: string;
}

/** The gateway: its state made once, its routers (one per concern) composed. */
export function createGatewayApp(options: GatewayAppOptions): Express {
  const publicUrl = options.publicUrl.replace(/\/+$/, '');
  const secure = publicUrl.startsWith('https:');
  const clock = options.clock instanceof ControllableClock ? options.clock : new ControllableClock(options.clock);
  const logger = options.logger ?? silentLogger;
  const core = new CoreClient(options.coreUrl, options.coreKey);
  // Expiries in the state are read on its clock: it must be the one the harness moves.
  if (options.state && options.state.clock !== clock) throw new Error("the gateway's shared state must read the gateway's own clock: pass it as `clock`");
  const state = options.state ?? memoryState(clock, 'gateway');
  const store = options.sessionStore ?? (state.redis ? new RedisSessionStore(state.redis, `${state.prefix}sessions:`, clock) : new MemorySessionStore(clock));
  const sessions = new Sessions(store, options.cookieSecret ?? randomBytes(32), clock);
  const traces = new LoginTraces(clock, traceStoreFor(state));
  const site = tracedWeb(web({ secure, csrfCookie: CSRF_COOKIE, logger, page: reasonPage }), traces);
  const starter = sessionStarter({ sessions, web: site });
  const ctx: GatewayContext = {
    publicUrl,
    clock,
    logger,
    core,
    web: site,
    store,
    sessions,
    sp: new SamlServiceProvider(clock, state, { privateKeyPem: options.spPrivateKeyPem, certificatePem: options.spCertificatePem }, secure),
    pending: new PendingLogins(state),
    throttle: throttleFor(state),
    identity: new IdentityTokens(publicUrl, clock, options.identityKeyPem),
    adminKey: options.adminKey,
    harnessKey: options.harnessKey,
    siblings: options.siblings ?? [],
    parsers: { form: urlencoded({ extended: false, limit: '384kb' }), body: json({ limit: '64kb' }) },
    async connectionFor(id) {
      const connection = await core.connection(id);
      if (!connection) throw GATEWAY_REASONS.error('connection-unknown', `No SAML connection ${id}: the login link is out of date.`);
      return connection;
    },
    traces,
    async startSession(req, res, login, relayState, shown) {
      traces.finish(
        res,
        'logged-in',
        `${login.method}-login`,
        `Session started for ${login.email} (${login.method}${login.firstLogin ? ', first login' : ''}).`,
        'core',
        login.email,
      );
      await starter(req, res, login, relayState, shown);
    },
    refuse(req, res, code, message, options = {}) {
      const error = GATEWAY_REASONS.error(code, message, options.status === undefined ? {} : { status: options.status });
      site.refuse(req, res, error.status, error.code, error.message, options.headers);
    },
  };

  const app = express();
  app.disable('x-powered-by');
  // Pages and product answers are per person and never cached: an ETag (a SHA-1 of every body) buys nothing.
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', service: 'gateway', version: GATEWAY_VERSION });
  });
  app.use(rejectRepeatedQuery);
  app.use(
    loginRoutes(ctx),
    passwordRoutes(ctx),
    twoStepRoutes(ctx),
    samlRoutes(ctx),
    logoutRoutes(ctx),
    sessionRoutes(ctx),
    productRoutes(ctx),
    adminRoutes(ctx, options.harness ?? true),
  );
  app.use(routeNotFound);
  app.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (!(err instanceof CoreUnavailable)) return site.errors(err, req, res, next);
    logger.error('core unavailable', { message: err.message });
    ctx.refuse(req, res, 'core-unavailable', 'The gateway cannot reach core right now: try again in a moment.');
  });
  // The product API skips express altogether (see productApi).
  return withFastRoutes(app, [productApi({ sessions, identity: ctx.identity, core, logger, secure })], logger);
}
