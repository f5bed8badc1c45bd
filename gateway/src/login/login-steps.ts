import type { Request, Response } from 'express';
import { generateSecret, generateURI } from 'otplib';
import QRCode from 'qrcode';
import { cookieOf } from '@rehearsal/runtime';
import type { LoginDecision, PasswordFacts } from '@rehearsal/core/client';
import type { GatewayContext } from '../context.ts';
import { localStepPage } from '../pages.ts';
import type { PendingLogin } from './pending-logins.ts';
import type { Attempt } from './throttle.ts';

export const PENDING_COOKIE = 'rehearsal_gw_pending';

export type StepsContext = Pick<
  GatewayContext,
  'core' | 'web' | 'sessions' | 'pending' | 'throttle' | 'logger' | 'parsers' | 'startSession' | 'refuse' | 'traces'
>;

/**
 * The password path's steps between the first factor and the session: a new
 * password for an expired one, two-step verification (enrolment included).
 * Between them the browser holds only a pending-login cookie, which opens
 * these steps and nothing else. Which steps come is read from core's decision;
 * core checks them again when it completes the login.
 */
export function loginSteps(ctx: StepsContext) {
  const { core, web, sessions, pending, throttle, refuse } = ctx;

  /** The step page (or JSON) of a pending login; a failed attempt shows its error on the same step, so the person tries again. */
  const showStep = async (req: Request, res: Response, login: PendingLogin, error?: { status: number; code: string; message: string }) => {
    const enrolment = login.secret
      ? { secret: login.secret, otpauthUri: generateURI({ issuer: 'Rehearsal', label: login.email, secret: login.secret }) }
      : undefined;
    if (error) res.status(error.status);
    if (web.wantsJson(req)) {
      if (error) return void res.json({ error: { code: error.code, message: error.message }, step: login.step, retry: true });
      return void res.json({ step: login.step, ...enrolment });
    }
    const qr = enrolment ? await QRCode.toString(enrolment.otpauthUri, { type: 'svg', margin: 1 }) : undefined;
    res.type('html').send(
      localStepPage({
        step: login.step,
        email: login.email,
        csrf: web.csrfOf(req),
        ...(enrolment ? { secret: enrolment.secret, otpauthUri: enrolment.otpauthUri, qrSvg: qr } : {}),
        ...(error ? { error: { code: error.code, message: error.message } } : {}),
      }),
    );
  };

  /**
   * Core completes the login (its second and last call on this path) and the
   * session starts; a refusal is answered with core's reason. `onRefusal`
   * lets a step keep the person on it (a wrong code).
   */
  const complete = async (
    req: Request,
    res: Response,
    facts: PasswordFacts,
    relayState: string,
    shown: (login: { recoveryCodes: string[] | null; recoveryCodesLeft: number | null; secondFactor: string | null }) => Record<string, unknown> = () => ({}),
  ) => {
    const completion = await core.completeLogin(facts);
    if (!completion.completed) return completion;
    await ctx.startSession(req, res, completion, relayState, shown(completion));
    return completion;
  };

  /** Answers with the next step, or completes the login. */
  const next = async (req: Request, res: Response, decision: LoginDecision, relayState: string, after: 'password' | 'password-change') => {
    const current = await pending.get(sessions.unsign(cookieOf(req, PENDING_COOKIE)));
    if (current) await pending.end(current.id);
    let step: PendingLogin['step'] | undefined;
    if (after === 'password' && decision.password.expired) step = 'password-change';
    else if (decision.twoStep.required) step = decision.twoStep.enrolled ? 'two-step' : 'two-step-enrolment';
    if (!step) {
      const refused = await complete(req, res, { method: 'password', email: decision.email }, relayState);
      if (!refused.completed) web.refuse(req, res, 403, refused.reason, refused.message);
      return;
    }
    const secret = step === 'two-step-enrolment' ? generateSecret() : undefined;
    const login = await pending.start({ email: decision.email, step, decision, relayState, ...(secret ? { secret } : {}) });
    web.setCookie(res, PENDING_COOKIE, sessions.sign(login.id));
    await showStep(req, res, login);
  };

  /**
   * Reserves one attempt for this account before anything is checked, or
   * answers 429 with Retry-After: the limit holds however many guesses arrive
   * at once, from however many sessions.
   */
  const reserve = async (req: Request, res: Response, key: string): Promise<Attempt | undefined> => {
    const reservation = await throttle.reserve(key);
    if (reservation.attempt) return reservation.attempt;
    const wait = reservation.retryAfterSeconds;
    refuse(
      req,
      res,
      'too-many-attempts',
      `Too many wrong attempts for this account: try again in ${wait < 60 ? `${wait} seconds` : `${Math.ceil(wait / 60)} minutes`}.`,
      { headers: { 'retry-after': String(wait) } },
    );
    return undefined;
  };

  /** Runs the check of one reserved attempt; an exception (core unreachable) gives the attempt back. */
  const attempting = async <T>(attempt: Attempt, check: () => Promise<T>): Promise<T> => {
    try {
      return await check();
    } catch (err) {
      await attempt.abandoned();
      throw err;
    }
  };

  const pendingFor = async (req: Request, res: Response, step: PendingLogin['step']): Promise<PendingLogin | undefined> => {
    const login = await pending.get(sessions.unsign(cookieOf(req, PENDING_COOKIE)));
    if (!login || login.step !== step) {
      refuse(req, res, 'login-step-expired', 'This login step expired or was never started: start again from the login page.');
      return undefined;
    }
    await ctx.traces.resume(res, { email: login.email });
    ctx.traces.step(res, { service: 'gateway', step, summary: `Step ${step} answered.` });
    return login;
  };

  /** A form step's CSRF check: false (and a 403 answered) when the form came from elsewhere. */
  const formOk = (req: Request, res: Response, message = 'The form expired or came from another site.') => {
    if (web.csrfOk(req)) return true;
    refuse(req, res, 'csrf-token-invalid', message);
    return false;
  };

  return { showStep, complete, next, reserve, attempting, pendingFor, formOk };
}
