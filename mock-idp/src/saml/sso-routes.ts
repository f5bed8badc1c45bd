import { IDP_REASONS } from '../reasons.ts';
import { Router, type Request, type Response } from 'express';
import { cookieOf } from '@rehearsal/runtime';
import { postMessage, redirectMessage, sendDelivery, SESSION_COOKIE, type IdpContext } from '../context.ts';
import type { PendingLogin } from './sso-service.ts';

/** Single sign-on: metadata, the SSO endpoint on both bindings, and IdP-initiated logins (the headless login API is headless-login.ts). */
export function ssoRoutes(ctx: Pick<IdpContext, 'sso' | 'parsers'>, metadata: string): Router {
  const { sso } = ctx;
  const router = Router();

  router.get('/saml/metadata', (_req, res) => {
    res.type('application/samlmetadata+xml').send(metadata);
  });

  /** Silent answer when the IdP session allows it, else the login page. */
  const proceed = async (req: Request, res: Response, incoming: () => PendingLogin) => {
    const login = incoming();
    const delivery = await sso.silentAnswer(login, sso.sessions.get(cookieOf(req, SESSION_COOKIE)));
    if (delivery) sendDelivery(res, delivery);
    else res.redirect(303, `/login/${login.id}`);
  };
  router.get('/saml/sso', (req, res) => proceed(req, res, () => sso.receive(redirectMessage(req, 'SSO'))));
  router.post('/saml/sso', ctx.parsers.form, (req, res) => proceed(req, res, () => sso.receive(postMessage(req, 'SSO'))));
  /** IdP-initiated: `/saml/idp-initiated?sp=<entityId>&RelayState=...`. */
  router.get('/saml/idp-initiated', (req, res) => {
    const query = req.query as Record<string, string | undefined>;
    if (!query.sp) throw IDP_REASONS.error('sp-missing', 'Name the service provider: ?sp=<entity ID>.');
    return proceed(req, res, () => sso.unsolicited(query.sp!, query.RelayState));
  });

  return router;
}
