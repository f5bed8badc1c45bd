import { Router } from 'express';
import { z } from 'zod';
import { parseInput } from '@rehearsal/runtime';
import { isRelativePath } from '../context.ts';
import { loginSteps, type StepsContext } from './login-steps.ts';

const passwordInput = z
  .object({ email: z.email().max(320), password: z.string().min(1).max(1000), relayState: z.string().max(2048).optional(), csrf: z.string().optional() })
  .strict();
const newPasswordInput = z.object({ password: z.string().min(1).max(1000), csrf: z.string().optional() }).strict();

/** The first factor of the password path, and the new password an expired one asks for. */
export function passwordRoutes(ctx: StepsContext): Router {
  const { core, web, refuse } = ctx;
  const steps = loginSteps(ctx);
  const router = Router();
  const parsers = [ctx.parsers.form, ctx.parsers.body];

  /**
   * The password first, for every email: an unknown email, a deactivated
   * account, an account without a password and a wrong password all get the
   * same answer, so this step does not reveal which accounts exist. Only after
   * a right password does the person learn why they cannot go further. A
   * right password brings core's decision with it: one call.
   */
  router.post('/login/password', ...parsers, async (req, res) => {
    const input = parseInput(passwordInput, req.body ?? {}, 'body');
    if (!steps.formOk(req, res, 'The login form expired or came from another site: open the login page again.')) return;
    const email = input.email.toLowerCase();
    ctx.traces.begin(res, email, 'password');
    const attempt = await steps.reserve(req, res, `password:${email}`);
    if (!attempt) return;
    const checked = await steps.attempting(attempt, () => core.checkPassword(email, input.password));
    if (!checked.valid && checked.reason !== 'account-deactivated') {
      await attempt.failed();
      ctx.logger.info('password refused', { reason: checked.reason });
      return refuse(req, res, 'password-invalid', 'Wrong email or password.');
    }
    await attempt.succeeded();
    const said = checked.decision;
    if (said) ctx.traces.step(res, { service: 'core', step: 'decision', summary: said.message, reason: said.reason });
    if (checked.reason === 'account-deactivated')
      return refuse(req, res, 'account-deactivated', 'This account is deactivated: an admin of your organization can reactivate it.');
    const decision = checked.decision;
    if (!decision?.allowed) return web.refuse(req, res, 403, decision?.reason ?? 'email-invalid', decision?.message ?? 'Core could not read that email.');
    if (decision.method === 'sso') return refuse(req, res, 'sso-required', `${decision.message} A password cannot be used.`);
    await steps.next(req, res, decision, input.relayState && isRelativePath(input.relayState) ? input.relayState : '/', 'password');
  });

  router.post('/login/password/change', ...parsers, async (req, res) => {
    const input = parseInput(newPasswordInput, req.body ?? {}, 'body');
    if (!steps.formOk(req, res)) return;
    const login = await steps.pendingFor(req, res, 'password-change');
    if (!login) return;
    const changed = await core.changePassword(login.email, input.password);
    if (changed.status !== 200) {
      return steps.showStep(req, res, login, {
        status: 400,
        code: changed.body?.error?.code ?? 'password-rejected',
        message: changed.body?.error?.message ?? 'That password is not accepted.',
      });
    }
    await steps.next(req, res, login.decision, login.relayState, 'password-change');
  });
  return router;
}
