import { Router, type NextFunction, type Request, type Response } from 'express';
import { cookieOf, type Web } from '@rehearsal/runtime';
import type { GatewayContext } from '../context.ts';
import { homePage } from '../pages.ts';
import type { Session } from './session-store.ts';
import { REASON_NOTICES, SESSION_COOKIE, type Sessions } from './sessions.ts';

/** A session that is over: the cookie goes, API clients get the reason, browsers the login page with it. */
export function sessionOver(web: Web) {
  return (req: Request, res: Response, reason: string) => {
    web.clearCookie(res, SESSION_COOKIE);
    if (web.wantsJson(req)) return void res.status(401).json({ error: { code: reason, message: REASON_NOTICES[reason] } });
    res.redirect(303, `/login?reason=${reason}&relayState=${encodeURIComponent(req.originalUrl)}`);
  };
}

/** The session `requireSession` found. */
const sessionOf = (res: Response): Session => res.locals.session as Session;

/** Requires a live session; an expired one sends browsers back to login with the reason. */
export function requireSession(sessions: Sessions, web: Web) {
  const over = sessionOver(web);
  return async (req: Request, res: Response, next: NextFunction) => {
    const state = await sessions.resume(cookieOf(req, SESSION_COOKIE));
    if (!state.session) return over(req, res, state.reason ?? 'login-required');
    res.locals.session = state.session;
    next();
  };
}

/** The signed-in person (`/me`, the home page) and logout, with single logout at the IdP when the connection has it. */
export function sessionRoutes(ctx: Pick<GatewayContext, 'core' | 'web' | 'sessions' | 'sp' | 'parsers' | 'refuse'>): Router {
  const { core, web, sessions, sp, refuse } = ctx;
  const router = Router();
  const signedIn = requireSession(sessions, web);

  router.get('/me', signedIn, (_req, res) => {
    const s = sessionOf(res);
    res.json({ email: s.email, accountId: s.accountId, method: s.method, connectionId: s.connectionId ?? null, since: new Date(s.createdAt).toISOString() });
  });
  router.get('/', signedIn, (_req, res) => {
    const s = sessionOf(res);
    res.type('html').send(homePage(s.email, sessions.csrfToken(s.id)));
  });

  router.post('/logout', ctx.parsers.form, ctx.parsers.body, async (req, res) => {
    const id = sessions.unsign(cookieOf(req, SESSION_COOKIE));
    // A form from another site must not log people out: forms carry the session's token, JSON needs CORS.
    const token = (req.body as Record<string, unknown> | undefined)?.csrf;
    if (id && !req.is('application/json') && token !== sessions.csrfToken(id)) {
      return refuse(req, res, 'csrf-token-invalid', 'The logout form came from another site or expired.');
    }
    const session = id ? (await sessions.resume(cookieOf(req, SESSION_COOKIE))).session : undefined;
    if (id) await sessions.end(id);
    web.clearCookie(res, SESSION_COOKIE);
    // With an SLO-capable IdP, the IdP session ends too: a LogoutRequest, answered at /logout/callback.
    let singleLogout: string | undefined;
    if (session?.method === 'sso' && session.connectionId) {
      const connection = await core.connection(session.connectionId);
      if (connection?.sloUrl) singleLogout = await sp.logoutUrl(connection, session, '/login?reason=logged-out');
    }
    if (web.wantsJson(req)) return void res.json({ loggedOut: true, singleLogout: singleLogout ?? null });
    res.redirect(303, singleLogout ?? '/login?reason=logged-out');
  });
  return router;
}
