import { randomBytes } from 'node:crypto';
import express, { json, urlencoded, type Express } from 'express';
import {
  ControllableClock,
  harnessRouter,
  rejectRepeatedQuery,
  requireHarnessKey,
  routeNotFound,
  sendIndex,
  silentLogger,
  web,
  withFastRoutes,
  type Clock,
  type Logger,
} from '@rehearsal/runtime';
import { generateCredential, type PublishedCertificate, type SigningCredential } from '@rehearsal/runtime/credentials';
import type { IdpContext } from './context.ts';
import { Directory, type DirectoryContent } from './directory/directory.ts';
import { directoryRoutes } from './directory/directory-routes.ts';
import { FaultRules } from './faults/fault-rules.ts';
import { Ledger } from './ledger/ledger.ts';
import type { LedgerLog } from './ledger/ledger-log.ts';
import { ledgerRoutes } from './ledger/ledger-routes.ts';
import { loginRoutes } from './login/login-routes.ts';
import { errorPage } from './login/pages.ts';
import { ProvisioningService } from './provisioning/provisioning-service.ts';
import type { Sleep } from './provisioning/scim-client.ts';
import { sloRoutes } from './saml/slo-routes.ts';
import { SsoService } from './saml/sso-service.ts';
import { idpMetadata } from './saml/idp-metadata.ts';
import { ssoRoutes } from './saml/sso-routes.ts';
import { headlessLoginFastRoute, headlessLoginRoutes } from './saml/headless-login.ts';
import { ServiceProviderRegistry } from './service-providers/registry.ts';
import { registryRoutes } from './service-providers/registry-routes.ts';
import type { ServiceProviderInput } from './service-providers/service-provider.ts';
import { MemoryState, type SharedStatePort, type StatePort } from './state/state-file.ts';
import { followReplicas } from './state/replica-sync.ts';

export { SESSION_COOKIE } from './context.ts';
export const IDP_VERSION = '0.1.0';

/** What `GET /` shows: what the mock IdP is and where its doors are. */
const IDP_INDEX = {
  service: 'mock-idp',
  title: 'Rehearsal mock IdP',
  description:
    'A SAML 2.0 identity provider and SCIM provisioning client for testing any service provider: users and groups, login pages, fault injection and a ledger of every message.',
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
  /** Where users, groups, SPs, fault rules and provisioning targets are kept; in memory when absent. Shared by replicas (Redis), it holds sessions and pending logins too. */
  state?: StatePort;
  /** The other replicas of the IdP (their own URLs): harness calls (clock, reset) reach each of them too. */
  siblings?: string[];
  /** Where the ledger is kept; this process's memory when absent (Redis for replicas). */
  ledger?: LedgerLog;
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

/** The mock IdP: its state made once, its routers (one per concern) composed. */
export function createIdpApp(options: IdpAppOptions): Express {
  const publicUrl = options.publicUrl.replace(/\/+$/, '');
  const entityId = options.entityId ?? `${publicUrl}/saml/metadata`;
  const clock = options.clock instanceof ControllableClock ? options.clock : new ControllableClock(options.clock);
  const logger = options.logger ?? silentLogger;
  const state = options.state ?? new MemoryState();
  const directory = new Directory(options.directory, 'directory', state, () => clock.now());
  const providers = new ServiceProviderRegistry(options.serviceProviders, 'serviceProviders', state);
  const faults = new FaultRules(directory, providers, options.faultRules, state);
  const ledger = new Ledger(clock, options.ledger);
  let faultKey: Promise<SigningCredential> | undefined;
  const ctx: IdpContext = {
    publicUrl,
    entityId,
    clock,
    logger,
    // The login forms post to the pending login's unguessable URL, which a forged form cannot know: no CSRF cookie is issued.
    web: web({ secure: publicUrl.startsWith('https:'), csrfCookie: 'rehearsal_idp_csrf', logger, page: errorPage }),
    directory,
    providers,
    faults,
    ledger,
    provisioning: new ProvisioningService(directory, clock, options.sleep ?? clockSleep(clock), options.provisioning, state),
    sso: new SsoService({
      idp: { entityId, credential: options.credential, clock, directory },
      directory,
      providers,
      faults,
      ledger,
      faultKey: () =>
        (faultKey ??= options.faultCredential
          ? Promise.resolve(options.faultCredential)
          : generateCredential('Rehearsal fault key (not the IdP)', clock.now())),
      ...(isShared(state) ? { shared: state } : {}),
    }),
    parsers: { form: urlencoded({ extended: false, limit: '256kb' }), body: json({ limit: '1mb' }) },
  };

  const app = express();
  app.disable('x-powered-by');
  // Every response here is fresh (new IDs, new signatures): an ETag would hash 10 KB for nothing.
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', service: 'mock-idp', version: IDP_VERSION });
  });
  app.get('/', (req, res) => sendIndex(req, res, IDP_INDEX));
  app.use(rejectRepeatedQuery);
  app.use(
    ssoRoutes(
      ctx,
      idpMetadata({
        entityId,
        publicUrl,
        signingCertificates: [options.credential.certificateBase64, ...(options.stagedCertificate ? [options.stagedCertificate.certificateBase64] : [])],
      }),
    ),
    headlessLoginRoutes(ctx),
    sloRoutes(ctx),
    loginRoutes(ctx),
    directoryRoutes(ctx),
    registryRoutes(ctx),
    ledgerRoutes(ctx),
    ctx.provisioning.router(),
  );

  const reset = async () => {
    directory.reset();
    ctx.provisioning.reset();
    providers.reset();
    faults.reset();
    ctx.sso.reset();
    await ledger.clear();
  };
  // Random when none is given: the endpoints then answer 401 to everyone, which is what no key means.
  const harnessKeys = [options.harnessKey ?? randomBytes(32).toString('base64url')];
  app.post('/api/reset', requireHarnessKey(harnessKeys), async (_req, res) => {
    await reset();
    res.json({ reset: true });
  });
  if (options.harness ?? true) app.use(harnessRouter({ clock, reset, keys: harnessKeys, siblings: options.siblings ?? [] }));
  app.use(routeNotFound);
  // Browser-facing SAML endpoints answer with a page; the API answers with JSON.
  app.use(ctx.web.errors);
  const served = withFastRoutes(app, [headlessLoginFastRoute(ctx, logger)], logger);
  if (!isShared(state)) return served;
  // Providers before the logins that name them, the directory before the fault rules that name its users.
  return followReplicas(
    served,
    { catchUp: () => state.catchUp(), flush: () => Promise.all([state.flush(), ledger.log.flush()]) },
    (changes) => {
      providers.refresh(changes);
      directory.refresh(changes);
      faults.refresh(changes);
      ctx.provisioning.refresh(changes);
      ctx.sso.refresh(changes);
    },
    logger,
  );
}

const isShared = (state: StatePort): state is SharedStatePort => 'catchUp' in state;
