import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { parseInput } from '@rehearsal/runtime';
import { isRelativePath, type GatewayContext } from '../context.ts';
import { emailPage, passwordPage } from '../pages.ts';
import { REASON_NOTICES } from '../sessions/sessions.ts';

const loginInput = z
  .object({
    email: z.email().max(320),
    relayState: z.string().max(2048).optional(),
    csrf: z.string().optional(),
    method: z.enum(['sso', 'password']).optional(),
  })
  .strict();

/** `GET /login?email=...&relayState=...&method=...`: the form's fields, in the query. */
const loginLink = loginInput.omit({ csrf: true });
/** `GET /saml/{connection}/login?relayState=...`. */
const connectionLink = z.object({ relayState: z.string().max(2048).optional() }).strict();

/** Step one of every login: the email, and core's decision of the path. */
export function loginRoutes(ctx: Pick<GatewayContext, 'core' | 'web' | 'sp' | 'logger' | 'parsers' | 'refuse' | 'connectionFor' | 'traces'>): Router {
  const { core, web, sp, refuse, traces } = ctx;
  const router = Router();

  /**
   * The login page; with `?email=` (and `relayState`), the first step at once,
   * as the form would take it: a URL that starts a login, for bookmark apps
   * and test tools. Safe without a CSRF token: it only sends the browser on
   * (an AuthnRequest bound to this browser, or the password page).
   */
  router.get('/login', async (req, res) => {
    const query = req.query as Record<string, string | undefined>;
    if (query.email !== undefined) return begin(req, res, parseInput(loginLink, query, 'query'));
    const csrf = web.issueCsrf(res);
    const notice = query.reason ? { code: query.reason, message: REASON_NOTICES[query.reason] ?? 'Log in again.' } : undefined;
    res.type('html').send(emailPage({ csrf, relayState: query.relayState && isRelativePath(query.relayState) ? query.relayState : undefined, notice }));
  });

  /** SP-initiated login at one connection, no email asked: the IdP says who; the ACS checks that person's policy. */
  router.get('/saml/:connectionId/login', async (req, res) => {
    traces.begin(res, null, 'sso');
    const { relayState } = parseInput(connectionLink, req.query, 'query');
    if (relayState !== undefined && !isRelativePath(relayState))
      return refuse(req, res, 'relay-state-not-relative', 'RelayState must be a path on this gateway.');
    const connection = await ctx.connectionFor(String(req.params.connectionId));
    await sp.sendAuthnRequest(req, res, connection, relayState ?? '/');
    traces.authnRequestSent(res, connection.id);
  });

  /**
   * One core call picks the path and brings the connection. Only the SSO
   * redirect differs by account (as in the product, people in an SSO policy go
   * to their IdP); everyone else, unknown emails included, gets the same
   * password step, so this step does not tell whether an account exists.
   * Lock-outs are told after a right password.
   */
  router.post('/login', ctx.parsers.form, ctx.parsers.body, async (req, res) => {
    const input = parseInput(loginInput, req.body ?? {}, 'body');
    if (!web.csrfOk(req)) return refuse(req, res, 'csrf-token-invalid', 'The login form expired or came from another site: open the login page again.');
    return begin(req, res, input);
  });

  async function begin(req: Request, res: Response, input: { email: string; relayState?: string; method?: 'sso' | 'password' }) {
    traces.begin(res, input.email, 'sso');
    if (input.relayState !== undefined && !isRelativePath(input.relayState))
      return refuse(req, res, 'relay-state-not-relative', 'RelayState must be a path on this gateway.');
    const started = await core.startLogin(input.email);
    if (!started) return refuse(req, res, 'email-invalid', 'Core could not read that email address.');
    const { decision, connection } = started;
    traces.step(res, { service: 'core', step: 'decision', summary: decision.message, reason: decision.reason });
    const sso = decision.allowed && (decision.method === 'sso' || (decision.method === 'sso-or-password' && input.method !== 'password'));
    if (sso && decision.idp) {
      if (!connection) return refuse(req, res, 'connection-unknown', `No SAML connection ${decision.idp.connectionId}: the login link is out of date.`);
      await sp.sendAuthnRequest(req, res, connection, input.relayState ?? '/');
      return traces.authnRequestSent(res, connection.id);
    }
    // The password step is a page, not an outcome: that login is traced from the password on.
    traces.discard(res);
    ctx.logger.debug('password step', { reason: decision.reason });
    const ssoToo = decision.allowed && decision.method === 'sso-or-password';
    if (web.wantsJson(req)) return res.json({ step: 'password', message: 'Enter the password of this account.', ssoToo });
    // A page needs a CSRF token for its form: a browser that came by a link has none yet.
    const csrf = web.csrfOf(req) || web.issueCsrf(res);
    res.type('html').send(passwordPage({ email: input.email, csrf, relayState: input.relayState, ssoToo }));
  }
  return router;
}
