import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { json, urlencoded, type Express, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import {
  ControllableClock,
  RehearsalError,
  errorMiddleware,
  harnessRouter,
  notFound,
  parseInput,
  bearerOf,
  cookieOf,
  rejectRepeatedQuery,
  routeNotFound,
  sameSecret,
  silentLogger,
  unauthorized,
  type Clock,
  type Logger,
} from '@rehearsal/runtime';
import { CoreClient, CoreUnavailable, type Connection, type LoginDecision } from '@rehearsal/core/client';
import { certify } from '@rehearsal/runtime/credentials';
import { emailPage, homePage, noAccessPage, passwordPage, productPage, reasonPage } from './pages.ts';
import { IdentityTokens } from './products/identity-tokens.ts';
import { corePathOf, delegate, PRODUCT_PATHS, productApi } from './products/product-api.ts';
import { localLoginRoutes, PENDING_COOKIE } from './login/local-login.ts';
import { PendingLogins } from './login/pending-logins.ts';
import { Throttle } from './login/throttle.ts';
import { ExpiringKeys } from './saml/request-store.ts';
import { checkResponse, decodeSamlResponse, SamlRejection } from './saml/response-checks.ts';
import { SAML } from '@node-saml/node-saml';
import { samlOptions, samlPassport, type SamlRequest } from './saml/service-provider.ts';
import { MemorySessionStore, type SessionStore } from './sessions/session-store.ts';
import { REASON_NOTICES, SESSION_COOKIE, Sessions } from './sessions/sessions.ts';

export const CSRF_COOKIE = 'rehearsal_gw_csrf';
export const GATEWAY_VERSION = '0.1.0';

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
  /** PEM (PKCS#8) of the EC P-256 key that signs identity tokens for core; generated when absent. */
  identityKeyPem?: string;
  clock?: Clock;
  logger?: Logger;
  harness?: boolean;
  /** The key the harness endpoints take besides the admin key (REHEARSAL_HARNESS_KEY, shared by the stack). */
  harnessKey?: string;
}

const loginInput = z
  .object({ email: z.email().max(320), relayState: z.string().max(2048).optional(), csrf: z.string().optional(), method: z.enum(['sso', 'password']).optional() })
  .strict();
const revokeInput = z.object({ account: z.string().min(1).max(320) }).strict();

/** RelayState may only lead back into the gateway: a path, never another host (`//evil`, `/\evil`). */
export const isRelativePath = (value: string) => /^\/(?![/\\])[^\s]*$/.test(value) && !value.includes('\\');


const wantsJson = (req: Request) => req.accepts(['text/html', 'application/json']) === 'application/json';

export function createGatewayApp(options: GatewayAppOptions): Express {
  const publicUrl = options.publicUrl.replace(/\/+$/, '');
  const secure = publicUrl.startsWith('https:');
  const clock = options.clock instanceof ControllableClock ? options.clock : new ControllableClock(options.clock);
  const logger = options.logger ?? silentLogger;
  const core = new CoreClient(options.coreUrl, options.coreKey);
  const store = options.sessionStore ?? new MemorySessionStore(clock);
  const sessions = new Sessions(store, options.cookieSecret ?? randomBytes(32), clock);
  const requests = new ExpiringKeys(clock);
  const pending = new PendingLogins(clock);
  const identity = new IdentityTokens(publicUrl, clock, options.identityKeyPem);
  const throttle = new Throttle(clock);
  const seenAssertions = new ExpiringKeys(clock);
  const spPrivateKey = options.spPrivateKeyPem ?? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  let spCertificate: Promise<string> | undefined = options.spCertificatePem === undefined ? undefined : Promise.resolve(options.spCertificatePem);
  const spCertificatePem = () => (spCertificate ??= certify(spPrivateKey, 'Rehearsal gateway', clock.now()).then((c) => c.certificatePem));
  const newRequestId = () => `_${randomBytes(20).toString('hex')}`;
  const saml = samlPassport(requests, spPrivateKey, newRequestId);

  const app = express();
  app.disable('x-powered-by');
  // Pages and product answers are per person and never cached: an ETag (a SHA-1 of every body) buys nothing.
  app.set('etag', false);
  app.set('query parser', 'simple');
  const form = urlencoded({ extended: false, limit: '384kb' });
  const body = json({ limit: '64kb' });

  const cookieOptions = { httpOnly: true, sameSite: 'lax', secure, path: '/' } as const;
  const cookie = (res: Response, name: string, value: string) => void res.cookie(name, value, cookieOptions);
  /** Forms are what another site can submit: they must carry the token of the cookie this site set. JSON needs CORS, which is never granted. */
  const csrfOk = (req: Request) => {
    if (req.is('application/json')) return true;
    const expected = cookieOf(req, CSRF_COOKIE);
    return expected !== undefined && sameSecret((req.body as Record<string, unknown> | undefined)?.csrf, expected);
  };

  /** A refusal: JSON for API clients, a page for browsers, always with the reason code (and one log line). */
  const refuse = (req: Request, res: Response, status: number, code: string, message: string, headers: Record<string, string> = {}) => {
    logger.info('request refused', { code, status, method: req.method, path: req.path });
    res.set(headers);
    if (wantsJson(req)) res.status(status).json({ error: { code, message } });
    else res.status(status).type('html').send(reasonPage(code, message));
  };

  const connectionFor = async (id: string): Promise<Connection> => {
    const connection = await core.connection(id);
    if (!connection) throw notFound('connection-unknown', `No SAML connection ${id}: the login link is out of date.`);
    return connection;
  };

  /** Runs passport-saml for a resolved connection; resolves with its outcome instead of calling next(). */
  const runPassport = (req: Request, res: Response, authenticateOptions: Record<string, unknown>) =>
    new Promise<{ err: unknown; user: Record<string, unknown> | false | undefined }>((resolve) => {
      const handler = saml.authenticate('saml', { session: false, ...authenticateOptions }, (err: unknown, user: Record<string, unknown> | false | undefined) => resolve({ err, user }));
      handler(req, res, (err?: unknown) => resolve({ err, user: undefined }));
    });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', service: 'gateway', version: GATEWAY_VERSION });
  });
  app.use(rejectRepeatedQuery);

  // ---- step one: the email, and core's decision -----------------------------------
  app.get('/login', (req, res) => {
    const csrf = randomBytes(24).toString('base64url');
    cookie(res, CSRF_COOKIE, csrf);
    const query = req.query as Record<string, string | undefined>;
    const notice = query.reason ? { code: query.reason, message: REASON_NOTICES[query.reason] ?? 'Log in again.' } : undefined;
    res.type('html').send(emailPage({ csrf, relayState: query.relayState && isRelativePath(query.relayState) ? query.relayState : undefined, notice }));
  });

  /**
   * Core's decision picks the path. Only the SSO redirect differs by account
   * (as in the product, people in an SSO policy go to their IdP); everyone else,
   * unknown emails included, gets the same password step, so this step does not
   * tell whether an account exists. Lock-outs are told after a right password.
   */
  app.post('/login', form, body, async (req, res) => {
    const input = parseInput(loginInput, req.body ?? {}, 'body');
    if (!csrfOk(req)) return refuse(req, res, 403, 'csrf-token-invalid', 'The login form expired or came from another site: open the login page again.');
    if (input.relayState !== undefined && !isRelativePath(input.relayState)) return refuse(req, res, 400, 'relay-state-not-relative', 'RelayState must be a path on this gateway.');
    const decision = await core.decide(input.email);
    if (!decision) return refuse(req, res, 400, 'email-invalid', 'Core could not read that email address.');
    const sso = decision.allowed && (decision.method === 'sso' || (decision.method === 'sso-or-password' && input.method !== 'password'));
    if (sso && decision.idp) {
      (req as SamlRequest).samlConnection = await connectionFor(decision.idp.connectionId);
      // passport-saml reads RelayState from the query or the body.
      (req.body as Record<string, unknown>).RelayState = input.relayState ?? '/';
      const { err } = await runPassport(req, res, {});
      if (err) throw err;
      return;
    }
    logger.debug('password step', { reason: decision.reason });
    // The password path: the next step is the password form.
    const ssoToo = decision.allowed && decision.method === 'sso-or-password';
    if (wantsJson(req)) return res.json({ step: 'password', message: 'Enter the password of this account.', ssoToo });
    res.type('html').send(passwordPage({ email: input.email, csrf: cookieOf(req, CSRF_COOKIE) ?? '', relayState: input.relayState, ssoToo }));
  });

  /** The last step of any login: a new session (new id: no fixation), the login recorded in core. */
  const complete = async (req: Request, res: Response, decision: LoginDecision, method: 'sso' | 'password', relayState: string, extra: Record<string, unknown> = {}) => {
    await core.recordLogin(decision.email, method, method === 'sso' ? { connectionId: extra.connectionId as string, ...(extra.names as object) } : {});
    const session = await sessions.start(sessions.unsign(cookieOf(req, SESSION_COOKIE)), {
      email: decision.email,
      accountId: decision.accountId,
      method,
      ...(typeof extra.connectionId === 'string' ? { connectionId: extra.connectionId } : {}),
      ...(typeof extra.sessionIndex === 'string' ? { sessionIndex: extra.sessionIndex } : {}),
      idleMs: decision.session.idleMinutes * 60_000,
      absoluteMs: decision.session.absoluteMinutes === null ? null : decision.session.absoluteMinutes * 60_000,
    });
    cookie(res, SESSION_COOKIE, sessions.sign(session.id));
    res.clearCookie(PENDING_COOKIE, cookieOptions);
    const target = isRelativePath(relayState) ? relayState : '/';
    // The ACS answers a browser's form post: it always redirects. The password steps are an API too.
    if (method === 'password' && wantsJson(req)) {
      const { page: _page, connectionId: _c, sessionIndex: _s, names: _n, ...shown } = extra;
      return void res.json({ loggedIn: true, email: decision.email, method, redirect: target, ...shown });
    }
    if (typeof extra.page === 'string') return void res.type('html').send(extra.page);
    res.redirect(303, target);
  };

  localLoginRoutes(
    app,
    { core, sessions, pending, throttle, refuse, csrfOk, cookie, cookieOf, wantsJson, logger, complete: (req, res, decision, method, relay, extra) => complete(req, res, decision, method, relay, extra) },
    { form, body },
  );

  /** SP metadata of a connection, for IdPs that import it: entity ID, ACS, SLO, NameID format. */
  app.get('/saml/:connectionId/metadata', async (req, res) => {
    const connection = await connectionFor(String(req.params.connectionId));
    // A connection that signs its AuthnRequests publishes the certificate IdPs verify them with.
    const signingCertificate = connection.signAuthnRequests ? await spCertificatePem() : null;
    const metadata = new SAML({ ...samlOptions(connection, requests, spPrivateKey, newRequestId), wantAssertionsSigned: true }).generateServiceProviderMetadata(null, signingCertificate);
    res.type('application/samlmetadata+xml').send(metadata);
  });

  // ---- the ACS: the IdP's answer --------------------------------------------------
  app.post('/login/callback', form, async (req, res) => {
    const connectionParam = (req.query as Record<string, string | undefined>).connection ?? '';
    if (!connectionParam.startsWith('saml-')) return refuse(req, res, 400, 'connection-unknown', 'The ACS URL names no SAML connection.');
    const connection = await connectionFor(connectionParam.slice(5));
    const fields = (req.body ?? {}) as Record<string, string | undefined>;
    let checked;
    try {
      checked = checkResponse(decodeSamlResponse(fields.SAMLResponse), { acsUrl: connection.acsUrl, audience: connection.spEntityId, issuer: connection.idpEntityId, now: clock.now() });
      if (checked.inResponseTo !== undefined && !requests.has(checked.inResponseTo)) {
        throw new SamlRejection('saml-in-response-to-unknown', 'This response answers no login this gateway is waiting for (it expired, was used already, or was never asked).');
      }
      if (checked.inResponseTo === undefined && !connection.allowIdpInitiated) {
        throw new SamlRejection('saml-unsolicited-response', 'The connection does not accept IdP-initiated logins: start from the gateway.');
      }
    } catch (err) {
      if (err instanceof SamlRejection) return refuse(req, res, REJECTION_STATUS[err.code] ?? 401, err.code, err.message);
      throw err;
    }
    (req as SamlRequest).samlConnection = connection;
    const { err, user } = await runPassport(req, res, {});
    if (err || !user) {
      const message = err instanceof Error ? err.message : 'the response did not validate';
      const code = /signature/i.test(message) ? 'saml-signature-invalid' : /InResponseTo/i.test(message) ? 'saml-in-response-to-unknown' : /audience/i.test(message) ? 'saml-audience-mismatch' : /issuer/i.test(message) ? 'saml-issuer-mismatch' : 'saml-response-invalid';
      return refuse(req, res, 401, code, `The SAML response was refused: ${message}.`);
    }
    // A response is good once: its assertion ID is remembered until it expires.
    if (!seenAssertions.add(checked.assertionId, connection.id, checked.notOnOrAfter.getTime())) {
      return refuse(req, res, 401, 'saml-assertion-replayed', 'This assertion was used already.');
    }
    const email = String(user.nameID ?? '').toLowerCase();
    if (email !== checked.nameId.toLowerCase()) return refuse(req, res, 401, 'saml-response-invalid', 'The signed NameID differs from the one read.');
    const decision = await core.decide(email);
    const viaThisConnection = decision?.policy?.directoryId === connection.directoryId && (decision.method === 'sso' || decision.method === 'sso-or-password');
    if (!decision || !decision.allowed || !viaThisConnection) {
      return refuse(
        req,
        res,
        403,
        'authentication-policy-strategy-mismatch',
        `${email} is not a managed account in an SSO policy of this identity provider's directory${decision ? ` (${decision.reason})` : ''}: ask an admin to check the account's authentication policy.`,
      );
    }
    const relay = fields.RelayState;
    // The names the assertion carries; the connection's rule in core decides what they do to the display name.
    await complete(req, res, decision, 'sso', relay && isRelativePath(relay) ? relay : '/', { connectionId: connection.id, sessionIndex: user.sessionIndex, names: namesOf(user) });
  });

  // ---- the session ----------------------------------------------------------------
  /** A session that is over: the cookie goes, API clients get the reason, browsers the login page with it. */
  const sessionOver = (req: Request, res: Response, reason: string) => {
    res.clearCookie(SESSION_COOKIE, cookieOptions);
    if (wantsJson(req)) return void res.status(401).json({ error: { code: reason, message: REASON_NOTICES[reason] } });
    res.redirect(303, `/login?reason=${reason}&relayState=${encodeURIComponent(req.originalUrl)}`);
  };
  /** Requires a live session; an expired one sends browsers back to login with the reason. */
  const requireSession = async (req: Request, res: Response, next: NextFunction) => {
    const state = await sessions.resume(cookieOf(req, SESSION_COOKIE));
    if (!state.session) return sessionOver(req, res, state.reason ?? 'login-required');
    res.locals.session = state.session;
    next();
  };

  app.get('/me', requireSession, (_req, res) => {
    const s = res.locals.session;
    res.json({ email: s.email, accountId: s.accountId, method: s.method, connectionId: s.connectionId ?? null, since: new Date(s.createdAt).toISOString() });
  });
  app.get('/', requireSession, (_req, res) => {
    res.type('html').send(homePage(res.locals.session.email, sessions.csrfToken(res.locals.session.id)));
  });

  // ---- products: core answers for the person, on the gateway's word ---------------
  app.get('/.well-known/jwks.json', (_req, res) => {
    res.set('cache-control', 'public, max-age=300').json(identity.jwks());
  });
  /** A product's page (and its JSON, for API clients that ask at the page's URL). */
  const productRoute = (product: string, render: (body: any, csrf: string) => string) => async (req: Request, res: Response) => {
    const answer = await delegate({ sessions, identity, core }, cookieOf(req, SESSION_COOKIE), corePathOf(product)!);
    if (answer.sessionEnded) return sessionOver(req, res, answer.sessionEnded);
    if (answer.status !== 200) {
      const { error } = JSON.parse(answer.text) as { error: { code: string; message: string } };
      // Logged in, but not into this product: say so, on a page that keeps the session (and its logout).
      if (answer.session && !wantsJson(req)) return void res.status(answer.status).type('html').send(noAccessPage(productTitle(product), error.code, error.message, sessions.csrfToken(answer.session.id)));
      return refuse(req, res, answer.status, error.code, error.message);
    }
    if (wantsJson(req)) return void res.type('json').send(answer.text);
    res.type('html').send(render(JSON.parse(answer.text), sessions.csrfToken(answer.session!.id)));
  };
  app.get('/trello', productRoute('trello', (body, csrf) => productPage('Trello', `${body.enterprise}`, (body.boards as { name: string; access: string }[]).map((b) => `${b.name} (${b.access})`), csrf)));
  for (const [name, product] of Object.entries(PRODUCT_PATHS)) app.get(`/${name}`, productRoute(name, (_body, csrf) => productPage(product, 'You have access.', [], csrf)));

  app.post('/logout', form, body, async (req, res) => {
    const id = sessions.unsign(cookieOf(req, SESSION_COOKIE));
    // A form from another site must not log people out: forms carry the session's token, JSON needs CORS.
    const token = (req.body as Record<string, unknown> | undefined)?.csrf;
    if (id && !req.is('application/json') && token !== sessions.csrfToken(id)) {
      return refuse(req, res, 403, 'csrf-token-invalid', 'The logout form came from another site or expired.');
    }
    const session = id ? (await sessions.resume(cookieOf(req, SESSION_COOKIE))).session : undefined;
    if (id) await sessions.end(id);
    res.clearCookie(SESSION_COOKIE, cookieOptions);
    // With an SLO-capable IdP, the IdP session ends too: a LogoutRequest, answered at /logout/callback.
    let singleLogout: string | undefined;
    if (session?.method === 'sso' && session.connectionId) {
      const connection = await core.connection(session.connectionId);
      if (connection?.sloUrl) {
        singleLogout = await new SAML(samlOptions(connection, requests, spPrivateKey, newRequestId)).getLogoutUrlAsync(
          { nameID: session.email, nameIDFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress', ...(session.sessionIndex ? { sessionIndex: session.sessionIndex } : {}) } as never,
          '/login?reason=logged-out',
          {},
        );
      }
    }
    if (wantsJson(req)) return void res.json({ loggedOut: true, singleLogout: singleLogout ?? null });
    res.redirect(303, singleLogout ?? '/login?reason=logged-out');
  });

  /** The IdP's LogoutResponse (HTTP-Redirect): signed by the connection's certificate, answering our request. */
  app.get('/logout/callback', async (req, res) => {
    const query = req.query as Record<string, string | undefined>;
    const connectionParam = query.connection ?? '';
    if (!connectionParam.startsWith('saml-')) return refuse(req, res, 400, 'connection-unknown', 'The logout callback names no SAML connection.');
    const connection = await connectionFor(connectionParam.slice(5));
    if (!query.SAMLResponse) return refuse(req, res, 400, 'slo-response-missing', 'No SAMLResponse in the query.');
    if (!query.Signature || !query.SigAlg) return refuse(req, res, 401, 'slo-response-unsigned', 'The LogoutResponse is not signed.');
    try {
      const rawQuery = req.originalUrl.slice(req.originalUrl.indexOf('?') + 1);
      await new SAML(samlOptions(connection, requests, spPrivateKey, newRequestId)).validateRedirectAsync(query as never, rawQuery);
    } catch (err) {
      return refuse(req, res, 401, 'slo-response-invalid', `The IdP's LogoutResponse was refused: ${(err as Error).message}.`);
    }
    const relay = query.RelayState;
    res.redirect(303, relay && isRelativePath(relay) ? relay : '/login?reason=logged-out');
  });

  /** Admin: end every session of an account (by id or email). */
  app.post('/api/sessions/revoke', body, async (req, res) => {
    if (!sameSecret(bearerOf(req), options.adminKey)) throw unauthorized('admin-key-invalid', 'This call needs the gateway admin key as a bearer token.');
    const input = parseInput(revokeInput, req.body, 'body');
    res.json({ revoked: await sessions.revoke(input.account) });
  });

  const reset = async () => {
    requests.clear();
    pending.clear();
    throttle.clear();
    seenAssertions.clear();
    await store.clear();
  };
  if (options.harness ?? true) app.use(harnessRouter({ clock, reset, keys: [options.adminKey, ...(options.harnessKey ? [options.harnessKey] : [])] }));

  app.use(routeNotFound);
  const toJson = errorMiddleware(logger);
  app.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (err instanceof CoreUnavailable) {
      logger.error('core unavailable', { message: err.message });
      return refuse(req, res, 503, 'core-unavailable', 'The gateway cannot reach core right now: try again in a moment.');
    }
    if (err instanceof RehearsalError && !wantsJson(req) && !req.path.startsWith('/api/')) return refuse(req, res, err.status, err.code, err.message);
    toJson(err, req, res, next);
  });

  // The product API skips express altogether (see productApi); everything else is dispatched as usual.
  const answerProductApi = productApi({ sessions, identity, core, logger, secure });
  // `handle` is how express dispatches (app.listen and http.createServer(app) both end there); its types omit it.
  const dispatcher = app as unknown as { handle(req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void): void };
  const dispatch = dispatcher.handle.bind(app);
  dispatcher.handle = (req, res, next) => {
    let answered: boolean;
    try {
      answered = answerProductApi(req, res);
    } catch (err) {
      // The last resort outside express: whatever went wrong, this request fails and the process lives.
      logger.error('request failed outside express', { path: req.url, message: (err as Error)?.message });
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ error: { code: 'internal-error', message: 'Something went wrong in the gateway; see its log.' } }));
      return;
    }
    if (!answered) dispatch(req, res, next);
  };
  return app;
}

/** How the ACS answers each refusal: a response that is not even a SAML message is the client's mistake (400); the rest are 401. */
const REJECTION_STATUS: Record<string, number> = {
  'saml-response-missing': 400,
  'saml-response-malformed': 400,
  'saml-doctype': 400,
  'saml-response-too-large': 413,
};

const productTitle = (name: string) => (name === 'trello' ? 'Trello' : (PRODUCT_PATHS[name] ?? name).replace(/(^|-)(\w)/g, (_m, dash: string, c: string) => `${dash ? ' ' : ''}${c.toUpperCase()}`).replace('Jsm', 'JSM'));

const CLAIMS = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims';
const firstOf = (profile: Record<string, unknown>, names: string[]) => {
  for (const name of names) {
    const value = profile[name];
    const text = Array.isArray(value) ? value[0] : value;
    if (typeof text === 'string' && text.trim()) return text.trim();
  }
  return undefined;
};

/** Given name and surname from a SAML profile, under the claim URIs Entra sends or the usual short names. */
export function namesOf(profile: Record<string, unknown>): { givenName?: string; surname?: string } {
  const givenName = firstOf(profile, [`${CLAIMS}/givenname`, 'givenName', 'firstName', 'urn:oid:2.5.4.42']);
  const surname = firstOf(profile, [`${CLAIMS}/surname`, 'surname', 'sn', 'lastName', 'urn:oid:2.5.4.4']);
  return { ...(givenName ? { givenName } : {}), ...(surname ? { surname } : {}) };
}

/** Gateway paths of the site products, as core names them. */

