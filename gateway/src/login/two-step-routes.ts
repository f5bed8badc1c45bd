import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { parseInput } from '@rehearsal/runtime';
import { recoveryCodesPage } from '../pages.ts';
import { GATEWAY_REASONS, type GatewayReason } from '../reasons.ts';
import { loginSteps, type StepsContext } from './login-steps.ts';
import type { PendingLogin } from './pending-logins.ts';

const codeInput = z.object({ code: z.string().min(1).max(32), csrf: z.string().optional() }).strict();

/** The refusals of a code that keep the person on the step, to type the next one. */
const WRONG_CODES = new Set<string>(['two-step-code-reused', 'two-step-code-invalid'] satisfies GatewayReason[]);

/**
 * Two-step verification and enrolment: the code goes to core with the
 * completion of the login, so a right code ends in a session after one call.
 */
export function twoStepRoutes(ctx: StepsContext): Router {
  const { web, pending, refuse } = ctx;
  const steps = loginSteps(ctx);
  const router = Router();
  const parsers = [ctx.parsers.form, ctx.parsers.body];

  /** A wrong code keeps the step (within the throttle): the person types the next code rather than starting over. */
  const wrongCode = (req: Request, res: Response, login: PendingLogin, code: string, message: string) =>
    steps.showStep(req, res, login, { status: 401, code, message });

  router.post('/login/two-step', ...parsers, async (req, res) => {
    const input = parseInput(codeInput, req.body ?? {}, 'body');
    if (!steps.formOk(req, res)) return;
    const login = await steps.pendingFor(req, res, 'two-step');
    if (!login) return;
    const attempt = await steps.reserve(req, res, `totp:${login.email}`);
    if (!attempt) return;
    const done = await steps.attempting(attempt, () =>
      steps.complete(req, res, { method: 'password', email: login.email, twoStep: { code: input.code } }, login.relayState, (c) => ({
        recoveryCodesLeft: c.recoveryCodesLeft,
        secondFactor: c.secondFactor,
      })),
    );
    if (!done.completed) {
      if (!WRONG_CODES.has(done.reason)) {
        await attempt.abandoned();
        return web.refuse(req, res, 403, done.reason, done.message);
      }
      await attempt.failed();
      return wrongCode(req, res, login, done.reason, GATEWAY_REASONS.table[done.reason as GatewayReason].sentence);
    }
    await attempt.succeeded();
    await pending.end(login.id);
  });

  router.post('/login/two-step/enrol', ...parsers, async (req, res) => {
    const input = parseInput(codeInput, req.body ?? {}, 'body');
    if (!steps.formOk(req, res)) return;
    const login = await steps.pendingFor(req, res, 'two-step-enrolment');
    if (!login) return;
    const attempt = await steps.reserve(req, res, `totp:${login.email}`);
    if (!attempt) return;
    // Browsers see the recovery codes once, on a page of their own, then continue; API clients get them in the JSON.
    const shown = (c: { recoveryCodes: string[] | null }) =>
      web.wantsJson(req) ? { recoveryCodes: c.recoveryCodes } : { page: recoveryCodesPage(c.recoveryCodes ?? [], login.relayState) };
    const done = await steps.attempting(attempt, () =>
      steps.complete(req, res, { method: 'password', email: login.email, twoStep: { code: input.code, secret: login.secret! } }, login.relayState, shown),
    );
    if (!done.completed) {
      if (done.reason === 'two-step-enrolled') {
        await attempt.abandoned();
        return refuse(req, res, 'two-step-enrolled', 'This account is enrolled in two-step verification already: log in again to use it.');
      }
      if (done.reason !== 'two-step-code-invalid') {
        await attempt.abandoned();
        return web.refuse(req, res, 403, done.reason, done.message);
      }
      await attempt.failed();
      return wrongCode(
        req,
        res,
        login,
        'two-step-code-invalid',
        'That code does not match the secret: check the authenticator app and the time on the phone, then type the code it shows now.',
      );
    }
    await attempt.succeeded();
    await pending.end(login.id);
  });
  return router;
}
