import { IDP_REASONS } from '../reasons.ts';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { cookieOf, parseInput } from '@rehearsal/runtime';
import { postMessage, redirectMessage, sendDelivery, SESSION_COOKIE, type IdpContext } from '../context.ts';
import { parseFaults } from '../faults/fault-rules.ts';
import type { PendingLogin } from './sso-service.ts';

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

/** Single sign-on: metadata, the SSO endpoint on both bindings, IdP-initiated logins, and the headless login API. */
export function ssoRoutes(ctx: Pick<IdpContext, 'sso' | 'directory' | 'parsers'>, metadata: string): Router {
  const { sso, directory } = ctx;
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

  /** The headless test API: a signed response for a user, to an AuthnRequest or unsolicited, with faults if asked. */
  router.post('/api/login', ctx.parsers.body, async (req, res) => {
    const input = parseInput(headlessLogin, req.body, 'body');
    const requested = input.faults ? parseFaults(input.faults, 'faults') : [];
    const user = directory.getUser(input.user);
    let login;
    if (input.authnRequest) {
      const redirect = /^https?:\/\//.test(input.authnRequest) ? new URL(input.authnRequest) : undefined;
      const samlRequest = redirect ? redirect.searchParams.get('SAMLRequest') : input.authnRequest;
      if (!samlRequest) throw IDP_REASONS.error('saml-request-missing', 'The authnRequest URL has no SAMLRequest parameter.');
      login = redirect
        ? sso.receive({
            binding: 'redirect',
            samlRequest,
            relayState: input.relayState ?? redirect.searchParams.get('RelayState') ?? undefined,
            rawQuery: redirect.search.slice(1),
          })
        : sso.receive({ binding: 'post', samlRequest, relayState: input.relayState });
      if (login.sp.entityId !== input.sp) throw IDP_REASONS.error('sp-mismatch', `The AuthnRequest comes from ${login.sp.entityId}, not ${input.sp}.`);
    } else {
      login = sso.unsolicited(input.sp, input.relayState);
    }
    const delivery = await sso.complete(login.id, sso.sessions.oneShot(user, user.mfa !== undefined), requested);
    // JSON unless the client prefers HTML: this is an API first.
    if (req.accepts(['application/json', 'text/html']) === 'text/html') return sendDelivery(res, delivery);
    res.json({ acsUrl: delivery.acsUrl, samlResponse: delivery.samlResponse, relayState: delivery.relayState ?? null });
  });
  return router;
}
