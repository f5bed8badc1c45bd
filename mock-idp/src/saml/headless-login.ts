import type { IncomingMessage, ServerResponse } from 'node:http';
import { Router } from 'express';
import { z } from 'zod';
import { isPlainJson, parseInput, readJsonBody, sendError, sendJson, type FastRoute, type Logger } from '@rehearsal/runtime';
import { sendDelivery, type IdpContext } from '../context.ts';
import { parseFaults } from '../faults/fault-rules.ts';
import { IDP_REASONS } from '../reasons.ts';
import type { SamlDelivery } from './sso-service.ts';

const PATH = '/api/login';
const BODY_LIMIT = 1024 * 1024;

const headlessLoginInput = z
  .object({
    sp: z.string().min(1),
    user: z.string().min(1),
    relayState: z.string().max(2048).optional(),
    /** The SAMLRequest as the HTTP-POST binding carries it (base64), or a whole HTTP-Redirect URL. */
    authnRequest: z.string().min(1).optional(),
    faults: z.array(z.unknown()).optional(),
  })
  .strict();

type Deps = Pick<IdpContext, 'sso' | 'directory'>;

/** The headless test API: a signed response for a user, to an AuthnRequest or unsolicited, with faults if asked. */
async function headlessLogin({ sso, directory }: Deps, body: unknown): Promise<SamlDelivery> {
  const input = parseInput(headlessLoginInput, body, 'body');
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
  return sso.complete(login.id, sso.sessions.oneShot(user, user.mfa !== undefined), requested);
}

const asJson = (delivery: SamlDelivery) => ({ acsUrl: delivery.acsUrl, samlResponse: delivery.samlResponse, relayState: delivery.relayState ?? null });

/** `POST /api/login` through express: JSON unless the client prefers HTML (an auto-posting form), since this is an API first. */
export function headlessLoginRoutes(ctx: Deps & Pick<IdpContext, 'parsers'>): Router {
  const router = Router();
  router.post(PATH, ctx.parsers.body, async (req, res) => {
    const delivery = await headlessLogin(ctx, req.body);
    if (req.accepts(['application/json', 'text/html']) === 'text/html') return sendDelivery(res, delivery);
    res.json(asJson(delivery));
  });
  return router;
}

/**
 * The same route before express, for the common case (a plain JSON body, a
 * JSON answer): the load tests' path, where express doubled the IdP's CPU
 * per response (the mock IdP bench). Anything else (a query, another body
 * type, a client that may want HTML) goes to the route above.
 */
export function headlessLoginFastRoute(ctx: Deps, logger: Logger): FastRoute {
  return (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'POST' || req.url !== PATH || !isPlainJson(req)) return false;
    const accept = req.headers.accept;
    if (accept !== undefined && accept !== '*/*' && accept.trim().toLowerCase() !== 'application/json') return false;
    if (Number(req.headers['content-length'] ?? 0) > BODY_LIMIT) return false;
    readJsonBody(req, BODY_LIMIT)
      .then((body) => headlessLogin(ctx, body))
      .then(
        (delivery) => sendJson(res, 200, JSON.stringify(asJson(delivery))),
        (err: unknown) => sendError(res, err, logger),
      );
    return true;
  };
}
