import { join } from 'node:path';
import express, { urlencoded, type Express, type NextFunction, type Request, type Response } from 'express';
import { cookieOf, rejectRepeatedQuery, RehearsalError, sameSecret, silentLogger, systemClock, type Clock, type Logger } from '@rehearsal/runtime';
import { ApiError, ServiceUnreachable } from '@rehearsal/runtime/client';
import { repositoryRoot } from '../../scripts/dist.mjs';
import { authRoutes, SESSION_COOKIE } from './auth/auth-routes.ts';
import { ConsoleSessions } from './auth/console-sessions.ts';
import { billingRoutes } from './pages/billing.ts';
import { clockRoutes } from './pages/clock.ts';
import { loginRoutes } from './pages/logins.ts';
import { overviewRoutes } from './pages/overview.ts';
import { peopleRoutes } from './pages/people.ts';
import { provisioningRoutes } from './pages/provisioning.ts';
import { rolloutRoutes } from './pages/rollout.ts';
import { servicesOf, type ServiceKeys, type ServiceUrls } from './services.ts';
import { html } from './web/html.ts';
import { page } from './web/layout.ts';
import { send, type PageContext } from './web/render.ts';

export const CONSOLE_VERSION = '0.1.0';

export interface ConsoleAppOptions {
  /** Where browsers reach the console, e.g. http://localhost:7900. */
  publicUrl: string;
  services: ServiceUrls;
  keys: ServiceKeys;
  /** The console's own time (sign-in sessions and links): real time, not the stack's clock, which the console moves. */
  clock?: Clock;
  logger?: Logger;
}

/**
 * Nothing from elsewhere, no inline script or style, no framing: the pages
 * show names a SCIM client or an IdP chose, so markup injected through them
 * must have nothing to run.
 */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

/** The console: sign-in, then one router per page, each reading and changing state through the services' APIs. */
export function createConsoleApp(options: ConsoleAppOptions): Express {
  const publicUrl = options.publicUrl.replace(/\/+$/, '');
  const secure = publicUrl.startsWith('https:');
  const logger = options.logger ?? silentLogger;
  const clock = options.clock ?? systemClock;
  const sessions = new ConsoleSessions(clock);
  const ctx: PageContext = { services: servicesOf(options.services, options.keys) };

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use((_req, res, next) => {
    res.set({
      'Content-Security-Policy': CSP,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cache-Control': 'no-store',
    });
    next();
  });
  app.get('/healthz', (_req, res) => void res.json({ status: 'ok', service: 'console', version: CONSOLE_VERSION }));
  app.use('/assets', express.static(join(repositoryRoot(), 'console', 'public'), { index: false, fallthrough: false, maxAge: 0 }));
  app.use(rejectRepeatedQuery);
  // Forms only (a pasted list of 10,000 emails fits); JSON is never taken, so no cross-site script can post any.
  app.use(urlencoded({ extended: false, limit: '1mb', parameterLimit: 100 }));
  app.use(authRoutes({ sessions, clock, adminKey: options.keys.coreAdmin, publicUrl, secure }));

  // Everything below needs a signed-in browser; every change, its session's CSRF token.
  app.use((req, res, next) => {
    const session = sessions.get(cookieOf(req, SESSION_COOKIE));
    if (!session) {
      if (req.method === 'GET' && !req.path.endsWith('.json')) return res.redirect(303, `/sign-in?next=${encodeURIComponent(req.originalUrl)}`);
      return void res.status(401).json({ error: { code: 'console-sign-in-required', message: 'Sign in to the console first.' } });
    }
    res.locals.session = session;
    if (req.method !== 'GET' && req.method !== 'HEAD' && !sameSecret((req.body as Record<string, unknown> | undefined)?.csrf, session.csrf)) {
      return void res
        .status(403)
        .type('html')
        .send(
          page(
            { title: 'Form expired', csrf: session.csrf },
            html`<p>This form expired or came from another site: nothing was changed. <a href="/">Start again</a>.</p>`,
          ).text,
        );
    }
    next();
  });

  app.get('/', async (_req, res) => {
    const orgs = await ctx.services.core.call<{ id: string; name: string }[]>('GET', '/api/orgs');
    if (orgs.length === 1) return res.redirect(303, `/orgs/${encodeURIComponent(orgs[0]!.id)}`);
    await send(
      ctx,
      res,
      { title: 'Organizations' },
      orgs.length
        ? html`<ul>
            ${orgs.map((o) => html`<li><a href="/orgs/${encodeURIComponent(o.id)}">${o.name}</a></li>`)}
          </ul>`
        : html`<p>No organization yet: apply a scenario (<code>rehearsal scenario apply examples/acme.yaml</code>) and reload.</p>`,
    );
  });
  app.use(overviewRoutes(ctx), peopleRoutes(ctx), rolloutRoutes(ctx), provisioningRoutes(ctx), billingRoutes(ctx), loginRoutes(ctx), clockRoutes(ctx));

  app.use((req, res) => {
    res
      .status(404)
      .type('html')
      .send(
        page({ title: 'Not found', csrf: (res.locals.session as { csrf: string }).csrf }, html`<p>No page at ${req.path}. <a href="/">Overview</a>.</p>`).text,
      );
  });
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const { status, message } = describeError(err);
    if (status >= 500) logger.error('console error', { path: req.path, message });
    if (res.headersSent) return res.end();
    const csrf = (res.locals.session as { csrf: string } | undefined)?.csrf;
    if (req.path.endsWith('.json')) return void res.status(status).json({ error: { code: 'console-error', message } });
    res
      .status(status)
      .type('html')
      .send(
        page(
          { title: status === 404 ? 'Not found' : 'Something went wrong', ...(csrf ? { csrf } : {}) },
          html`<p class="notice error" role="alert">${message}</p>
            <p><a href="/">Back to the start</a>.</p>`,
        ).text,
      );
  });
  return app;
}

/** An error as the person at the console reads it: a service's refusal keeps its status and reason code. */
function describeError(err: unknown): { status: number; message: string } {
  if (err instanceof ApiError) return { status: err.status >= 500 ? 502 : err.status, message: err.message };
  if (err instanceof ServiceUnreachable) return { status: 502, message: err.message };
  if (err instanceof RehearsalError) return { status: err.status, message: err.message };
  const status = (err as { status?: number }).status;
  if (typeof status === 'number' && status >= 400 && status < 500) return { status, message: (err as Error).message };
  return { status: 500, message: 'The console failed to show this page; its log says why.' };
}
