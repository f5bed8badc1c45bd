import { Router, type Response } from 'express';
import { RehearsalError } from '@rehearsal/runtime';
import { sendDelivery, SESSION_COOKIE, type IdpContext } from '../context.ts';
import { SIMPLE_FAULTS, XSW_VARIANTS, type Fault } from '../faults/fault.ts';
import { parseFaults } from '../faults/fault-rules.ts';
import { attributesFor } from '../saml/login-response.ts';
import { loginPage, mfaPage } from './pages.ts';

/** The fault a browser tester picked on the login page, if any. */
const pickedFaults = (fields: Record<string, string | undefined>): Fault[] => (fields.fault ? parseFaults([fields.fault], 'fault') : []);

const mfaAction = (loginId: string, userId: string, fault: string | undefined) =>
  `/login/${loginId}/mfa?user=${encodeURIComponent(userId)}${fault ? `&fault=${encodeURIComponent(fault)}` : ''}`;

/** The login pages: pick a user (or type a password), a code for users with MFA, then the response posts itself to the SP. */
export function loginRoutes(ctx: Pick<IdpContext, 'sso' | 'directory' | 'web' | 'parsers'>): Router {
  const { sso, directory, web } = ctx;
  const router = Router();

  const showLogin = (res: Response, loginId: string, error?: string) => {
    const login = sso.pendingLogin(loginId);
    res
      .status(error ? 401 : 200)
      .type('html')
      .send(
        loginPage({
          action: `/login/${loginId}`,
          spName: login.sp.entityId,
          error,
          users: directory.listUsers().map((user) => ({ user, attributes: attributesFor(directory, login.sp, user) })),
          faults: [...SIMPLE_FAULTS, ...XSW_VARIANTS],
        }),
      );
  };

  router.get('/login/:loginId', (req, res) => showLogin(res, String(req.params.loginId)));
  router.post('/login/:loginId', ctx.parsers.form, async (req, res) => {
    const loginId = String(req.params.loginId);
    sso.pendingLogin(loginId);
    const fields = (req.body ?? {}) as Record<string, string | undefined>;
    let user;
    try {
      user = fields.user ? directory.getUser(fields.user) : sso.authenticate(fields.username ?? '', fields.password ?? '');
    } catch (err) {
      if (err instanceof RehearsalError && err.status < 500) return showLogin(res, loginId, err.message);
      throw err;
    }
    if (user.mfa) return void res.type('html').send(mfaPage({ action: mfaAction(loginId, user.id, fields.fault), email: user.email }));
    const session = sso.sessions.start(user, false);
    web.setCookie(res, SESSION_COOKIE, session.id);
    sendDelivery(res, await sso.complete(loginId, session, pickedFaults(fields)));
  });
  router.post('/login/:loginId/mfa', ctx.parsers.form, async (req, res) => {
    const loginId = String(req.params.loginId);
    sso.pendingLogin(loginId);
    const query = req.query as Record<string, string | undefined>;
    const user = directory.getUser(query.user ?? '');
    const code = String(((req.body ?? {}) as Record<string, string>).code ?? '');
    if (!user.mfa || code !== user.mfa.code) {
      return void res
        .status(401)
        .type('html')
        .send(mfaPage({ action: mfaAction(loginId, user.id, query.fault), email: user.email, error: 'Wrong code.' }));
    }
    const session = sso.sessions.start(user, true);
    web.setCookie(res, SESSION_COOKIE, session.id);
    sendDelivery(res, await sso.complete(loginId, session, pickedFaults(query)));
  });
  return router;
}
