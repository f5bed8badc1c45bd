import { randomBytes } from 'node:crypto';
import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';
import { secretBox } from './accounts/secret-box.ts';
import { identityAuth } from './identity/identity.ts';
import { identityRoutes } from './identity/routes.ts';
import express, { type Express } from 'express';
import { AccountService } from './accounts/account-service.ts';
import { accountRoutes } from './accounts/routes.ts';
import { bearerAuth, type Credentials } from './api/auth.ts';
import { mountRoutes, openApiDocument, type RouteSpec } from './api/route.ts';
import { BillingService } from './billing/billing-service.ts';
import { billingRoutes } from './billing/routes.ts';
import { peopleRoutes } from './people/routes.ts';
import type { CoreContext } from './context.ts';
import { DirectoryService } from './directories/directory-service.ts';
import { directoryRoutes } from './directories/routes.ts';
import { DomainService } from './domains/domain-service.ts';
import { harnessDnsRouter } from './domains/harness-routes.ts';
import { domainRoutes } from './domains/routes.ts';
import { DEFAULT_FILE_URL_TEMPLATE, HarnessAwareVerifier, HarnessDns, NetworkDomainVerifier, type DomainVerifier } from './domains/verifier.ts';
import { LoginService } from './login/login-service.ts';
import { loginRoutes } from './login/routes.ts';
import { OrgService } from './orgs/org-service.ts';
import { orgRoutes } from './orgs/routes.ts';
import { PolicyService } from './policies/policy-service.ts';
import { policyRoutes } from './policies/routes.ts';
import { ProductService } from './products/product-service.ts';
import { productRoutes } from './products/routes.ts';
import {
  ControllableClock,
  errorMiddleware,
  harnessRouter,
  rejectRepeatedQuery,
  routeNotFound,
  sendIndex,
  silentLogger,
  timeOrderedId,
  type Clock,
  type Logger,
} from '@rehearsal/runtime';
import type { Store } from './store/store.ts';
import { trelloRoutes } from './trello/routes.ts';
import { TrelloService } from './trello/trello-service.ts';
import { scimRouter } from './scim/routes.ts';
import { PRODUCT_SCIM_LIMITS, type ScimLimits } from './scim/scim-limits.ts';
import { DriftService } from './scim/drift.ts';
import { ScimService } from './scim/scim-service.ts';
import { AuditService } from './audit/audit-service.ts';
import { auditRoutes } from './audit/routes.ts';

export interface CoreAppOptions {
  store: Store;
  credentials: Credentials;
  /** Base URL of the gateway, for the SP entity IDs and ACS URLs shown to admins. */
  gatewayUrl: string;
  /** Base URL of core itself, for the SCIM base URLs shown to admins. */
  publicUrl?: string;
  clock?: Clock;
  logger?: Logger;
  /** `/_rehearsal/*` endpoints (clock, reset, dns); on unless turned off. */
  harness?: boolean;
  /** Encrypts TOTP secrets at rest (32+ characters); random per process when absent (tests). */
  secretsKey?: string;
  /** The key the harness endpoints take besides the admin key (REHEARSAL_HARNESS_KEY, shared by the stack). */
  harnessKey?: string;
  /** The other replicas of core, which harness calls are passed on to. */
  siblings?: string[];
  /** How domains are verified when the harness has nothing published. */
  verifier?: DomainVerifier;
  /** Where the HTTPS verification file is looked for; `{domain}` is replaced. */
  domainFileUrlTemplate?: string;
  newId?: () => string;
  /** The directory sizes `atlassian` fidelity enforces; the product's by default. */
  scimLimits?: ScimLimits;
  /**
   * The gateway's public keys, for the identity tokens of product requests;
   * by default its JWKS at `<gatewayUrl>/.well-known/jwks.json`.
   */
  identityKeys?: JWTVerifyGetKey;
}

export const CORE_VERSION = '0.1.0';

/** What `GET /` shows: what core is and where its doors are. */
const CORE_INDEX = {
  service: 'core',
  title: 'Rehearsal core',
  description:
    'Organizations, claimed domains, managed accounts, authentication policies, SCIM directories, products, Trello Enterprise and billing: every fact and every rule of the rehearsal.',
  links: [
    { path: '/openapi.json', label: 'API description (OpenAPI 3.1)', note: 'every /api route; Authorization: Bearer <core admin key>' },
    { path: '/scim/directory/{directoryId}/ServiceProviderConfig', label: 'SCIM 2.0 server', note: "one per IdP directory, with the directory's bearer token" },
    { path: '/healthz', label: 'health' },
    { path: '/_rehearsal/clock', label: 'harness clock', note: 'changes, reset and DNS need the harness key' },
  ],
};

/** Every route of the admin and gateway API, in one table (also the OpenAPI document's source). */
export function coreRoutes(ctx: CoreContext, fileUrlTemplate: string): RouteSpec[] {
  return [
    ...orgRoutes(new OrgService(ctx)),
    ...accountRoutes(new AccountService(ctx)),
    ...domainRoutes(new DomainService(ctx, fileUrlTemplate)),
    ...directoryRoutes(new DirectoryService(ctx), new DriftService(ctx)),
    ...policyRoutes(new PolicyService(ctx)),
    ...productRoutes(new ProductService(ctx)),
    ...trelloRoutes(new TrelloService(ctx)),
    ...billingRoutes(new BillingService(ctx)),
    ...peopleRoutes(ctx),
    ...loginRoutes(new LoginService(ctx)),
    ...auditRoutes(new AuditService(ctx)),
  ];
}

export function createCoreApp(options: CoreAppOptions): Express {
  const clock = options.clock instanceof ControllableClock ? options.clock : new ControllableClock(options.clock);
  const logger = options.logger ?? silentLogger;
  const fileUrlTemplate = options.domainFileUrlTemplate ?? DEFAULT_FILE_URL_TEMPLATE;
  const harnessDns = new HarnessDns();
  const network = options.verifier ?? new NetworkDomainVerifier({ timeoutMs: 5000, fileUrlTemplate });
  const harness = options.harness ?? true;
  const ctx: CoreContext = {
    store: options.store,
    clock,
    logger,
    gatewayUrl: options.gatewayUrl.replace(/\/+$/, ''),
    publicUrl: (options.publicUrl ?? 'http://localhost:9000').replace(/\/+$/, ''),
    verifier: harness ? new HarnessAwareVerifier(harnessDns, network) : network,
    secrets: secretBox(options.secretsKey ?? randomBytes(32).toString('base64url')),
    scimLimits: options.scimLimits ?? PRODUCT_SCIM_LIMITS,
    // Time-ordered ids (UUIDv7) append to the primary-key b-trees instead of landing on
    // random pages: inserts stay cheap at hundreds of thousands of rows.
    newId: options.newId ?? (() => timeOrderedId()),
  };
  const routes = coreRoutes(ctx, fileUrlTemplate);
  const openapi = openApiDocument(routes, {
    title: 'Rehearsal core',
    version: CORE_VERSION,
    description: 'Organizations, domains, managed accounts, authentication policies, products, Trello Enterprise, billing and rollout previews.',
  });

  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use((req, _res, next) => {
    logger.debug('request', { method: req.method, path: req.path });
    next();
  });
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', service: 'core', version: CORE_VERSION });
  });
  app.get('/', (req, res) => sendIndex(req, res, CORE_INDEX));
  app.get('/openapi.json', (_req, res) => {
    res.json(openapi);
  });
  // First: provisioning is the busiest traffic, and no other route starts with /scim.
  app.use('/scim/directory/:directoryId', scimRouter(new ScimService(ctx), logger));
  app.use(rejectRepeatedQuery);
  if (harness) {
    const keys = [options.credentials.adminKey, ...(options.harnessKey ? [options.harnessKey] : [])];
    app.use(
      harnessRouter({
        clock,
        keys,
        siblings: options.siblings ?? [],
        reset: async () => {
          await options.store.wipe();
          harnessDns.clear();
        },
      }),
    );
    app.use(harnessDnsRouter(harnessDns, keys, options.siblings ?? []));
  }
  // Product requests: the person the gateway vouches for, by a signed identity token rather than a key.
  const identityKeys = options.identityKeys ?? createRemoteJWKSet(new URL(`${ctx.gatewayUrl}/.well-known/jwks.json`));
  app.use('/api/me', identityAuth(identityKeys, ctx.gatewayUrl, clock), identityRoutes(ctx));
  mountRoutes(app, routes, bearerAuth(options.credentials));
  app.use(routeNotFound);
  app.use(errorMiddleware(logger));
  return app;
}
