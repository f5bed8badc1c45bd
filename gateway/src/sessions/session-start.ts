import type { Request, Response } from 'express';
import { cookieOf, type Web } from '@rehearsal/runtime';
import { isRelativePath, type CompletedLogin } from '../context.ts';
import { PENDING_COOKIE } from '../login/login-steps.ts';
import { SESSION_COOKIE, type Sessions } from './sessions.ts';

/**
 * The last step of every login, once core has completed it: a new session with
 * the limits core answered, the pending-login cookie gone, and the answer (a
 * redirect for browsers, JSON for the password API, or a page to show first).
 */
export function sessionStarter(deps: { sessions: Sessions; web: Web }) {
  const { sessions, web } = deps;
  return async (req: Request, res: Response, login: CompletedLogin, relayState: string, shown: Record<string, unknown> = {}): Promise<void> => {
    const session = await sessions.start(sessions.unsign(cookieOf(req, SESSION_COOKIE)), {
      email: login.email,
      accountId: login.accountId,
      method: login.method,
      ...(login.connectionId ? { connectionId: login.connectionId } : {}),
      ...(login.sessionIndex ? { sessionIndex: login.sessionIndex } : {}),
      idleMs: login.session.idleMinutes * 60_000,
      absoluteMs: login.session.absoluteMinutes === null ? null : login.session.absoluteMinutes * 60_000,
    });
    web.setCookie(res, SESSION_COOKIE, sessions.sign(session.id));
    web.clearCookie(res, PENDING_COOKIE);
    const target = isRelativePath(relayState) ? relayState : '/';
    // The ACS answers a browser's form post: it always redirects. The password steps are an API too.
    const { page, ...fields } = shown;
    if (login.method === 'password' && web.wantsJson(req))
      return void res.json({ loggedIn: true, email: login.email, method: login.method, redirect: target, ...fields });
    if (typeof page === 'string') return void res.type('html').send(page);
    res.redirect(303, target);
  };
}
