import { Router, type Request, type Response } from 'express';
import { cookieOf } from '@rehearsal/runtime';
import { postMessage, redirectMessage, sendDelivery, SESSION_COOKIE, type IdpContext } from '../context.ts';
import type { IncomingMessage } from './sso-service.ts';

/** Single logout: an SP's LogoutRequest on either binding ends the IdP session and is answered with a LogoutResponse. */
export function sloRoutes(ctx: Pick<IdpContext, 'sso' | 'web' | 'parsers'>): Router {
  const router = Router();
  const logout = (req: Request, res: Response, incoming: IncomingMessage) => {
    const answer = ctx.sso.logout(incoming, cookieOf(req, SESSION_COOKIE));
    ctx.web.clearCookie(res, SESSION_COOKIE);
    if (answer.binding === 'redirect') res.redirect(303, answer.location);
    else sendDelivery(res, answer.delivery);
  };
  router.get('/saml/slo', (req, res) => logout(req, res, redirectMessage(req, 'SLO')));
  router.post('/saml/slo', ctx.parsers.form, (req, res) => logout(req, res, postMessage(req, 'SLO')));
  return router;
}
