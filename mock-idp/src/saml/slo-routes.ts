import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { cookieOf, parseInput } from '@rehearsal/runtime';
import { postMessage, redirectMessage, sendDelivery, SESSION_COOKIE, type IdpContext } from '../context.ts';
import { logoutDonePage, logoutPage } from '../login/pages.ts';
import { IDP_REASONS } from '../reasons.ts';
import type { IncomingMessage } from './sso-service.ts';
import type { LogoutNext } from './single-logout.ts';

const apiLogout = z
  .object({
    /** Every session of this user... */
    user: z.string().min(1).max(320),
    /** ...or only the one with this SessionIndex. */
    sessionIndex: z.string().min(1).max(256).optional(),
  })
  .strict();

/**
 * Single logout. At /saml/slo, on either binding: an SP's LogoutRequest (its
 * session ends, the other participants are told in turn, then it is answered)
 * and a participant's LogoutResponse (the next one is told). IdP-initiated
 * logout: the page at /logout, and `POST /api/logout` for tests, which
 * answers where the browser goes first; `GET /api/logouts/{id}` follows it.
 */
export function sloRoutes(ctx: Pick<IdpContext, 'sso' | 'web' | 'parsers' | 'directory'>): Router {
  const { sso, web, directory } = ctx;
  const router = Router();

  const send = (req: Request, res: Response, next: LogoutNext) => {
    if (next.kind === 'redirect') return res.redirect(303, next.location);
    if (next.kind === 'post') return sendDelivery(res, next.delivery);
    // An IdP-initiated logout is over: its outcome, SP by SP.
    if (web.wantsJson(req)) return res.json({ logout: next.logout });
    res.type('html').send(logoutDonePage(next.logout));
  };
  const slo = (req: Request, res: Response, read: (parameter: 'SAMLRequest' | 'SAMLResponse') => IncomingMessage) => {
    const values = ((req.method === 'GET' ? req.query : req.body) ?? {}) as Record<string, unknown>;
    if (values.SAMLResponse !== undefined && values.SAMLRequest === undefined) return send(req, res, sso.logoutAnswered(read('SAMLResponse')));
    const next = sso.logout(read('SAMLRequest'), cookieOf(req, SESSION_COOKIE));
    web.clearCookie(res, SESSION_COOKIE);
    send(req, res, next);
  };
  router.get('/saml/slo', (req, res) => slo(req, res, (parameter) => redirectMessage(req, 'SLO', parameter)));
  router.post('/saml/slo', ctx.parsers.form, (req, res) => slo(req, res, (parameter) => postMessage(req, 'SLO', parameter)));

  router.get('/logout', (req, res) => {
    const session = sso.sessions.get(cookieOf(req, SESSION_COOKIE));
    const user = session && directory.findUser(session.userId);
    res.type('html').send(logoutPage({ user: user?.email, serviceProviders: session ? [...session.participants.keys()] : [], csrf: web.issueCsrf(res) }));
  });
  router.post('/logout', ctx.parsers.form, ctx.parsers.body, (req, res) => {
    if (!web.csrfOk(req)) throw IDP_REASONS.error('csrf-token-invalid', 'The logout form expired or came from another site: open /logout again.');
    const session = sso.sessions.get(cookieOf(req, SESSION_COOKIE));
    if (!session) throw IDP_REASONS.error('session-not-found', 'This browser has no IdP session: nobody to log out.');
    const next = sso.idpLogout((s) => s.id === session.id);
    web.clearCookie(res, SESSION_COOKIE);
    send(req, res, next);
  });

  router.post('/api/logout', ctx.parsers.body, (req, res) => {
    const input = parseInput(apiLogout, req.body, 'body');
    const user = directory.getUser(input.user);
    const next = sso.idpLogout((s) => s.userId === user.id && (input.sessionIndex === undefined || s.sessionIndex === input.sessionIndex));
    res.json({ logout: next.logout, next: next.kind === 'redirect' ? next.location : null });
  });
  router.get('/api/logouts/:id', (req, res) => res.json(sso.singleLogout.view(String(req.params.id))));
  return router;
}
