import { Router, type Request, type Response } from 'express';
import { cookieOf } from '@rehearsal/runtime';
import { isRelativePath, type GatewayContext } from '../context.ts';
import { SESSION_COOKIE } from '../sessions/sessions.ts';
import { readLogoutMessage, type LogoutDelivery } from './logout-messages.ts';
import { SamlRejection } from './response-checks.ts';
import { connectionParam } from './saml-routes.ts';

type LogoutContext = Pick<GatewayContext, 'web' | 'sp' | 'sessions' | 'parsers' | 'connectionFor' | 'refuse' | 'logger'>;

/**
 * Single logout from the IdP's side, on HTTP-Redirect and HTTP-POST (both in
 * the SP metadata): its LogoutResponse to the gateway's LogoutRequest, and its
 * own LogoutRequest (IdP-initiated, or propagated from another SP), which ends
 * that person's sessions through that connection and is answered with a
 * LogoutResponse at the IdP's SLO URL.
 */
export function logoutRoutes(ctx: LogoutContext): Router {
  const { web, sp, sessions, refuse } = ctx;
  const router = Router();

  const handle = async (req: Request, res: Response, delivery: LogoutDelivery) => {
    const connectionId = connectionParam(req);
    if (connectionId === undefined) return refuse(req, res, 'connection-unknown', 'The logout endpoint names no SAML connection.', { status: 400 });
    const connection = await ctx.connectionFor(connectionId);
    try {
      const envelope = readLogoutMessage(delivery);
      const relay = envelope.relayState;
      if (envelope.kind === 'response') {
        await sp.verifyLogoutResponse(connection, delivery, envelope);
        return res.redirect(303, relay && isRelativePath(relay) ? relay : '/login?reason=logged-out');
      }
      const named = await sp.verifyLogoutRequest(connection, delivery, envelope);
      const ended = await sessions.endIdpSessions({ connectionId: connection.id, email: named.nameId, sessionIndexes: named.sessionIndexes });
      ctx.logger.info('idp logout', { connectionId: connection.id, sessionsEnded: ended });
      // This browser's cookie goes too once its session is over (the request came through the person's browser).
      if (cookieOf(req, SESSION_COOKIE) !== undefined && !(await sessions.resume(cookieOf(req, SESSION_COOKIE))).session) web.clearCookie(res, SESSION_COOKIE);
      // The person has no session here any more, whether they had one or not: Success, as SPs answer.
      if (!connection.sloUrl) return void res.json({ loggedOut: true, sessionsEnded: ended, logoutResponse: null });
      const location = await sp.logoutResponseUrl(connection, envelope.id, relay, true);
      if (web.wantsJson(req)) return void res.json({ loggedOut: true, sessionsEnded: ended, logoutResponse: location });
      res.redirect(303, location);
    } catch (err) {
      if (err instanceof SamlRejection) return refuse(req, res, err.code, err.message);
      throw err;
    }
  };

  router.get('/logout/callback', (req, res) =>
    handle(req, res, {
      binding: 'redirect',
      query: req.query as Record<string, string | undefined>,
      rawQuery: req.originalUrl.slice(req.originalUrl.indexOf('?') + 1),
    }),
  );
  router.post('/logout/callback', ctx.parsers.form, (req, res) =>
    handle(req, res, { binding: 'post', fields: (req.body ?? {}) as Record<string, string | undefined> }),
  );
  return router;
}
