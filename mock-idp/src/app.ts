import express, { json, urlencoded, type Express, type Request, type Response } from 'express';
import * as samlify from 'samlify';
import { z } from 'zod';
import {
  ControllableClock,
  RehearsalError,
  errorMiddleware,
  harnessRouter,
  parseInput,
  cookieOf,
  rejectRepeatedQuery,
  requireHarnessKey,
  routeNotFound,
  sendIndex,
  silentLogger,
  type Clock,
  type Logger,
} from '@rehearsal/runtime';
import { Directory, type DirectoryContent } from './directory/directory.ts';
import { publicUser } from './directory/user.ts';
import type { PublishedCertificate, SigningCredential } from '@rehearsal/runtime/credentials';
import { autoPostForm, errorPage, loginPage, mfaPage } from './login/pages.ts';
import { attributesFor } from './saml/login-response.ts';
import { SsoService, type IncomingMessage, type PendingLogin, type SamlDelivery } from './saml/sso-service.ts';
import { FaultRules, parseFaults } from './faults/fault-rules.ts';
import { Ledger } from './ledger/ledger.ts';
import { ProvisioningService } from './provisioning/provisioning-service.ts';
import type { Sleep } from './provisioning/scim-client.ts';
import { SIMPLE_FAULTS, XSW_VARIANTS, type Fault } from './faults/fault.ts';
import { generateCredential } from '@rehearsal/runtime/credentials';
import { ServiceProviderRegistry } from './service-providers/registry.ts';
import type { ServiceProviderInput } from './service-providers/service-provider.ts';
import { serviceProviderFromMetadata } from './service-providers/sp-metadata.ts';
import { MemoryState, type StatePort } from './state/state-file.ts';
import { randomBytes } from 'node:crypto';

export const SESSION_COOKIE = 'rehearsal_idp_session';
export const IDP_VERSION = '0.1.0';

/** What `GET /` shows: what the mock IdP is and where its doors are. */
const IDP_INDEX = {
  service: 'mock-idp',
  title: 'Rehearsal mock IdP',
  description: 'A SAML 2.0 identity provider and SCIM provisioning client for testing any service provider: users and groups, login pages, fault injection and a ledger of every message.',
  links: [
    { path: '/saml/metadata', label: 'SAML metadata (entity ID, certificate, SSO and SLO endpoints)' },
    { path: '/api/users', label: 'users' },
    { path: '/api/groups', label: 'groups' },
    { path: '/api/service-providers', label: 'service providers' },
    { path: '/api/faults', label: 'fault rules' },
    { path: '/api/ledger', label: 'every SAML message received and sent' },
    { path: '/api/sessions', label: 'IdP sessions' },
    { path: '/api/provisioning/targets', label: 'SCIM provisioning targets' },
    { path: '/healthz', label: 'health' },
  ],
};

export interface IdpAppOptions {
  /** Where browsers and SPs reach the IdP, e.g. http://localhost:7000. */
  publicUrl: string;
  /** Defaults to `<publicUrl>/saml/metadata`. */
  entityId?: string;
  credential: SigningCredential;
  /** A certificate staged for rollover: published in metadata, not used to sign. */
  stagedCertificate?: PublishedCertificate;
  directory?: DirectoryContent;
  serviceProviders?: ServiceProviderInput[];
  /** Fault rules active from the start (and after every reset). */
  faultRules?: unknown[];
  /** SCIM provisioning targets configured from the start (and after every reset). */
  provisioning?: unknown[];
  /** How provisioning waits between retries; by default on the clock (instantly when it is frozen). */
  sleep?: Sleep;
  /** The key the wrong-key fault signs with; generated on first use when absent. */
  faultCredential?: SigningCredential;
  clock?: Clock;
  logger?: Logger;
  harness?: boolean;
  /** The key the harness endpoints and `POST /api/reset` take (REHEARSAL_HARNESS_KEY); without one, nobody can call them. */
  harnessKey?: string;
  /** Where users, groups, SPs, fault rules and provisioning targets are kept; in memory when absent. */
  state?: StatePort;
}

const BINDING = { redirect: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect', post: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST' };

const headlessLogin = z
  .object({
    sp: z.string().min(1),
    user: z.string().min(1),
    relayState: z.string().max(2048).optional(),
    /** The SAMLRequest as the HTTP-POST binding carries it (base64), or a whole HTTP-Redirect URL. */
    authnRequest: z.string().min(1).optional(),
    faults: z.array(z.unknown()).optional(),
  })
  .strict();

const metadataImport = z
  .object({ xml: z.string().min(1).max(512 * 1024).optional(), url: z.url({ protocol: /^https?$/ }).optional(), overrides: z.record(z.string(), z.unknown()).optional() })
  .strict()
  .refine((v) => (v.xml === undefined) !== (v.url === undefined), { message: 'give either xml or url' });


/** The HTTP-Redirect binding's message; the raw query is kept because its signature covers the bytes as sent. */
function redirectMessage(req: Request, endpoint: 'SSO' | 'SLO'): IncomingMessage {
  const query = req.query as Record<string, string | undefined>;
  if (!query.SAMLRequest) throw new RehearsalError('saml-request-missing', `No SAMLRequest in the query: this is the HTTP-Redirect ${endpoint} endpoint.`);
  const rawQuery = req.originalUrl.slice(req.originalUrl.indexOf('?') + 1);
  return { binding: 'redirect', samlRequest: query.SAMLRequest, relayState: query.RelayState, rawQuery };
}

function postMessage(req: Request, endpoint: 'SSO' | 'SLO'): IncomingMessage {
  const fields = (req.body ?? {}) as Record<string, string | undefined>;
  if (!fields.SAMLRequest) throw new RehearsalError('saml-request-missing', `No SAMLRequest in the form: this is the HTTP-POST ${endpoint} endpoint.`);
  return { binding: 'post', samlRequest: fields.SAMLRequest, relayState: fields.RelayState };
}

/** Waits on the clock: a frozen (test) clock moves forward by `ms` at once; a running one really waits. */
export function clockSleep(clock: ControllableClock): Sleep {
  return (ms) => {
    if (clock.state().frozen) {
      clock.advance(ms);
      return Promise.resolve();
    }
    return new Promise((resolve) => setTimeout(resolve, ms));
  };
}

/** Browsers get pages, API clients JSON: express's own content negotiation decides. */
const wantsJson = (req: Request) => req.accepts(['text/html', 'application/json']) === 'application/json';

export function createIdpApp(options: IdpAppOptions): Express {
  const publicUrl = options.publicUrl.replace(/\/+$/, '');
  const entityId = options.entityId ?? `${publicUrl}/saml/metadata`;
  const clock = options.clock instanceof ControllableClock ? options.clock : new ControllableClock(options.clock);
  const logger = options.logger ?? silentLogger;
  const state = options.state ?? new MemoryState();
  const directory = new Directory(options.directory, 'directory', state, () => clock.now());
  const providers = new ServiceProviderRegistry(options.serviceProviders, 'serviceProviders', state);
  const faults = new FaultRules(directory, providers, options.faultRules, state);
  const ledger = new Ledger(clock);
  const provisioning = new ProvisioningService(directory, clock, options.sleep ?? clockSleep(clock), options.provisioning, state);
  let faultKey: Promise<SigningCredential> | undefined;
  const sso = new SsoService({
    idp: { entityId, credential: options.credential, clock, directory },
    directory,
    providers,
    faults,
    ledger,
    faultKey: () => (faultKey ??= options.faultCredential ? Promise.resolve(options.faultCredential) : generateCredential('Rehearsal fault key (not the IdP)', clock.now())),
  });

  const metadata = samlify
    .IdentityProvider({
      entityID: entityId,
      signingCert: [options.credential.certificatePem, ...(options.stagedCertificate ? [options.stagedCertificate.certificatePem] : [])],
      nameIDFormat: [
        'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
        'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
        'urn:oasis:names:tc:SAML:2.0:nameid-format:transient',
        'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
      ],
      singleSignOnService: [
        { Binding: BINDING.redirect, Location: `${publicUrl}/saml/sso` },
        { Binding: BINDING.post, Location: `${publicUrl}/saml/sso` },
      ],
      singleLogoutService: [
        { Binding: BINDING.redirect, Location: `${publicUrl}/saml/slo` },
        { Binding: BINDING.post, Location: `${publicUrl}/saml/slo` },
      ],
    })
    .getMetadata();

  const app = express();
  app.disable('x-powered-by');
  // Every response here is fresh (new IDs, new signatures): an ETag would hash 10 KB for nothing.
  app.set('etag', false);
  app.set('query parser', 'simple');
  const form = urlencoded({ extended: false, limit: '256kb' });
  const body = json({ limit: '1mb' });

  const setSession = (res: Response, id: string) =>
    res.cookie(SESSION_COOKIE, id, { httpOnly: true, sameSite: 'lax', secure: publicUrl.startsWith('https:'), path: '/' });
  const sendDelivery = (res: Response, delivery: SamlDelivery) => res.type('html').send(autoPostForm(delivery));
  const showLogin = (res: Response, loginId: string, error?: string) => {
    const login = sso.pendingLogin(loginId);
    res.status(error ? 401 : 200).type('html').send(
      loginPage({
        action: `/login/${loginId}`,
        spName: login.sp.entityId,
        error,
        users: directory.listUsers().map((user) => ({ user, attributes: attributesFor(directory, login.sp, user) })),
        faults: [...SIMPLE_FAULTS, ...XSW_VARIANTS],
      }),
    );
  };
  /** Silent answer when the IdP session allows it, else the login page. */
  const proceed = async (req: Request, res: Response, incoming: () => PendingLogin) => {
    const login = incoming();
    const delivery = await sso.silentAnswer(login, sso.session(cookieOf(req, SESSION_COOKIE)));
    if (delivery) sendDelivery(res, delivery);
    else res.redirect(303, `/login/${login.id}`);
  };
  /** The fault a browser tester picked on the login page, if any. */
  const pickedFaults = (fields: Record<string, string | undefined>): Fault[] => (fields.fault ? parseFaults([fields.fault], 'fault') : []);

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', service: 'mock-idp', version: IDP_VERSION });
  });
  app.get('/', (req, res) => sendIndex(req, res, IDP_INDEX));
  app.use(rejectRepeatedQuery);
  app.get('/saml/metadata', (_req, res) => {
    res.type('application/samlmetadata+xml').send(metadata);
  });

  // ---- single sign-on ------------------------------------------------------------
  app.get('/saml/sso', (req, res) => proceed(req, res, () => sso.receive(redirectMessage(req, 'SSO'))));
  app.post('/saml/sso', form, (req, res) => proceed(req, res, () => sso.receive(postMessage(req, 'SSO'))));
  /** IdP-initiated: `/saml/idp-initiated?sp=<entityId>&RelayState=...`. */
  app.get('/saml/idp-initiated', (req, res) => {
    const query = req.query as Record<string, string | undefined>;
    if (!query.sp) throw new RehearsalError('sp-missing', 'Name the service provider: ?sp=<entity ID>.');
    return proceed(req, res, () => sso.unsolicited(query.sp!, query.RelayState));
  });

  // ---- single logout -------------------------------------------------------------
  const logout = (req: Request, res: Response, incoming: IncomingMessage) => {
    const answer = sso.logout(incoming, cookieOf(req, SESSION_COOKIE));
    res.clearCookie(SESSION_COOKIE, { path: '/' });
    if (answer.binding === 'redirect') res.redirect(303, answer.location);
    else sendDelivery(res, answer.delivery);
  };
  app.get('/saml/slo', (req, res) => logout(req, res, redirectMessage(req, 'SLO')));
  app.post('/saml/slo', form, (req, res) => logout(req, res, postMessage(req, 'SLO')));

  // ---- login page ----------------------------------------------------------------
  app.get('/login/:loginId', (req, res) => showLogin(res, String(req.params.loginId)));
  const mfaAction = (loginId: string, userId: string, fault: string | undefined) =>
    `/login/${loginId}/mfa?user=${encodeURIComponent(userId)}${fault ? `&fault=${encodeURIComponent(fault)}` : ''}`;
  app.post('/login/:loginId', form, async (req, res) => {
    const loginId = String(req.params.loginId);
    sso.pendingLogin(loginId);
    const fields = (req.body ?? {}) as Record<string, string | undefined>;
    let user;
    try {
      user = fields.user ? directory.getUser(fields.user) : sso.authenticate(fields.username ?? '', fields.password ?? '');
    } catch (err) {
      if (err instanceof RehearsalError && err.status < 500) return showLogin(res, loginId, err.message);
      throw err;
    }
    if (user.mfa) {
      res.type('html').send(mfaPage({ action: mfaAction(loginId, user.id, fields.fault), email: user.email }));
      return;
    }
    const session = sso.startSession(user, false);
    setSession(res, session.id);
    sendDelivery(res, await sso.complete(loginId, session, pickedFaults(fields)));
  });
  app.post('/login/:loginId/mfa', form, async (req, res) => {
    const loginId = String(req.params.loginId);
    sso.pendingLogin(loginId);
    const query = req.query as Record<string, string | undefined>;
    const user = directory.getUser(query.user ?? '');
    const code = String(((req.body ?? {}) as Record<string, string>).code ?? '');
    if (!user.mfa || code !== user.mfa.code) {
      res.status(401).type('html').send(mfaPage({ action: mfaAction(loginId, user.id, query.fault), email: user.email, error: 'Wrong code.' }));
      return;
    }
    const session = sso.startSession(user, true);
    setSession(res, session.id);
    sendDelivery(res, await sso.complete(loginId, session, pickedFaults(query)));
  });

  // ---- headless test API ---------------------------------------------------------
  app.post('/api/login', body, async (req, res) => {
    const input = parseInput(headlessLogin, req.body, 'body');
    const requested = input.faults ? parseFaults(input.faults, 'faults') : [];
    const user = directory.getUser(input.user);
    let login;
    if (input.authnRequest) {
      const redirect = /^https?:\/\//.test(input.authnRequest) ? new URL(input.authnRequest) : undefined;
      const samlRequest = redirect ? redirect.searchParams.get('SAMLRequest') : input.authnRequest;
      if (!samlRequest) throw new RehearsalError('saml-request-missing', 'The authnRequest URL has no SAMLRequest parameter.');
      login = redirect
        ? sso.receive({ binding: 'redirect', samlRequest, relayState: input.relayState ?? redirect.searchParams.get('RelayState') ?? undefined, rawQuery: redirect.search.slice(1) })
        : sso.receive({ binding: 'post', samlRequest, relayState: input.relayState });
      if (login.sp.entityId !== input.sp) throw new RehearsalError('sp-mismatch', `The AuthnRequest comes from ${login.sp.entityId}, not ${input.sp}.`);
    } else {
      login = sso.unsolicited(input.sp, input.relayState);
    }
    const delivery = await sso.complete(login.id, sso.oneShotSession(user, user.mfa !== undefined), requested);
    // JSON unless the client prefers HTML: this is an API first.
    if (req.accepts(['application/json', 'text/html']) === 'text/html') return sendDelivery(res, delivery);
    res.json({ acsUrl: delivery.acsUrl, samlResponse: delivery.samlResponse, relayState: delivery.relayState ?? null });
  });

  // ---- directory -----------------------------------------------------------------
  const shownUser = (u: ReturnType<Directory['getUser']>) => publicUser(u, directory.memberOf(u));
  const shownGroup = (g: ReturnType<Directory['getGroup']>) => ({ ...g, members: directory.membersOf(g).map((u) => u.email) });
  app.get('/api/users', (_req, res) => res.json({ users: directory.listUsers().map(shownUser) }));
  app.post('/api/users', body, (req, res) => res.status(201).json(shownUser(directory.createUser(req.body))));
  app.get('/api/users/:key', (req, res) => res.json(shownUser(directory.getUser(String(req.params.key)))));
  app.put('/api/users/:key', body, (req, res) => res.json(shownUser(directory.replaceUser(String(req.params.key), req.body))));
  app.patch('/api/users/:key', body, (req, res) => res.json(shownUser(directory.updateUser(String(req.params.key), req.body))));
  app.delete('/api/users/:key', (req, res) => {
    directory.deleteUser(String(req.params.key));
    res.status(204).end();
  });
  app.get('/api/groups', (_req, res) => res.json({ groups: directory.listGroups().map(shownGroup) }));
  app.post('/api/groups', body, (req, res) => res.status(201).json(shownGroup(directory.createGroup(req.body))));
  app.get('/api/groups/:key', (req, res) => res.json(shownGroup(directory.getGroup(String(req.params.key)))));
  app.put('/api/groups/:key', body, (req, res) => res.json(shownGroup(directory.replaceGroup(String(req.params.key), req.body))));
  app.delete('/api/groups/:key', (req, res) => {
    directory.deleteGroup(String(req.params.key));
    res.status(204).end();
  });

  // ---- service providers ---------------------------------------------------------
  app.get('/api/service-providers', (_req, res) => res.json({ serviceProviders: providers.list() }));
  app.post('/api/service-providers', body, (req, res) => res.status(201).json(providers.register(req.body)));
  app.post('/api/service-providers/import', body, async (req, res) => {
    const input = parseInput(metadataImport, req.body, 'body');
    const xml = input.xml ?? (await fetchMetadata(input.url!));
    res.status(201).json(providers.register(serviceProviderFromMetadata(xml, input.overrides as Partial<ServiceProviderInput>)));
  });
  // Entity IDs are URLs: they travel URL-encoded in the path.
  app.get('/api/service-providers/:entityId', (req, res) => res.json(providers.get(String(req.params.entityId))));
  app.put('/api/service-providers/:entityId', body, (req, res) => res.json(providers.replace(String(req.params.entityId), req.body)));
  app.delete('/api/service-providers/:entityId', (req, res) => {
    providers.remove(String(req.params.entityId));
    res.status(204).end();
  });

  // ---- faults, ledger, sessions ---------------------------------------------------
  app.get('/api/faults', (_req, res) => res.json({ rules: faults.list(), available: [...SIMPLE_FAULTS, 'clock-skew:<seconds>', ...XSW_VARIANTS] }));
  app.post('/api/faults', body, (req, res) => res.status(201).json(faults.add(req.body)));
  app.delete('/api/faults', (_req, res) => {
    faults.clear();
    res.status(204).end();
  });
  app.delete('/api/faults/:id', (req, res) => {
    faults.remove(String(req.params.id));
    res.status(204).end();
  });
  app.get('/api/ledger', (req, res) => res.json(ledger.list(req.query)));
  app.delete('/api/ledger', (_req, res) => {
    ledger.clear();
    res.status(204).end();
  });
  app.get('/api/sessions', (_req, res) =>
    res.json({
      sessions: sso.listSessions().map((s) => ({
        user: directory.findUser(s.userId)?.email,
        sessionIndex: s.sessionIndex,
        authnInstant: s.authnInstant.toISOString(),
        expiresAt: new Date(s.expiresAt).toISOString(),
        mfa: s.mfa,
        serviceProviders: [...s.participants.keys()],
      })),
    }),
  );

  app.use(provisioning.router());

  const reset = () => {
    directory.reset();
    provisioning.reset();
    providers.reset();
    faults.reset();
    ledger.clear();
    sso.reset();
  };
  // Random when none is given: the endpoints then answer 401 to everyone, which is what no key means.
  const harnessKeys = [options.harnessKey ?? randomBytes(32).toString('base64url')];
  app.post('/api/reset', requireHarnessKey(harnessKeys), (_req, res) => {
    reset();
    res.json({ reset: true });
  });
  if (options.harness ?? true) app.use(harnessRouter({ clock, reset, keys: harnessKeys }));

  app.use(routeNotFound);
  const toJson = errorMiddleware(logger);
  app.use((err: unknown, req: Request, res: Response, next: (err?: unknown) => void) => {
    // Browser-facing SAML endpoints answer with a page; the API answers with JSON.
    if (err instanceof RehearsalError && !req.path.startsWith('/api/') && !wantsJson(req)) {
      res.status(err.status).type('html').send(errorPage(err.code, err.message));
      return;
    }
    toJson(err, req, res, next);
  });
  return app;
}

const METADATA_TIMEOUT_MS = 5000;
async function fetchMetadata(url: string): Promise<string> {
  let response: globalThis.Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(METADATA_TIMEOUT_MS), redirect: 'follow' });
  } catch (err) {
    throw new RehearsalError('metadata-unreachable', `Could not fetch ${url}: ${(err as Error).message}.`, { status: 422 });
  }
  if (!response.ok) throw new RehearsalError('metadata-unreachable', `${url} answered ${response.status}.`, { status: 422 });
  const text = await response.text();
  if (text.length > 512 * 1024) throw new RehearsalError('metadata-too-large', `${url} returned more than 512 KiB.`, { status: 422 });
  return text;
}
