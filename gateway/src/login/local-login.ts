import type { Express, Request, Response } from 'express';
import { generateSecret, generateURI } from 'otplib';
import QRCode from 'qrcode';
import { z } from 'zod';
import { parseInput, type Logger } from '@rehearsal/runtime';
import type { CoreClient, LoginDecision } from '@rehearsal/core/client';
import { localStepPage, recoveryCodesPage } from '../pages.ts';
import type { Sessions } from '../sessions/sessions.ts';
import { PendingLogins, type PendingLogin } from './pending-logins.ts';
import type { Attempt, Throttle } from './throttle.ts';

export const PENDING_COOKIE = 'rehearsal_gw_pending';

export interface LocalLoginDeps {
  core: CoreClient;
  sessions: Sessions;
  pending: PendingLogins;
  throttle: Throttle;
  /** Refuses with a reason code: a page, or JSON for API clients. */
  refuse(req: Request, res: Response, status: number, code: string, message: string, headers?: Record<string, string>): void;
  /** Whether a posted form carries this browser's CSRF token (JSON bodies need none). */
  csrfOk(req: Request): boolean;
  cookie(res: Response, name: string, value: string): void;
  cookieOf(req: Request, name: string): string | undefined;
  wantsJson(req: Request): boolean;
  logger: Logger;
  /** Starts the real session once every step is done; answers the request. */
  complete(req: Request, res: Response, decision: LoginDecision, method: 'password', relayState: string, extra?: Record<string, unknown>): Promise<void>;
}

const passwordInput = z.object({ email: z.email().max(320), password: z.string().min(1).max(1000), relayState: z.string().max(2048).optional(), csrf: z.string().optional() }).strict();
const codeInput = z.object({ code: z.string().min(1).max(32), csrf: z.string().optional() }).strict();
const newPasswordInput = z.object({ password: z.string().min(1).max(1000), csrf: z.string().optional() }).strict();

/**
 * The password path: password, then (when the policy says so) a new password
 * for an expired one and two-step verification, enrolment included. Between
 * the first factor and the last, the browser holds only a pending-login cookie,
 * which opens these steps and nothing else.
 */
export function localLoginRoutes(app: Express, deps: LocalLoginDeps, parsers: { form: unknown; body: unknown }): void {
  const { core, sessions, pending, throttle, refuse } = deps;
  const middleware = [parsers.form, parsers.body] as never[];

  /** The step page (or JSON) of a pending login; a failed attempt shows its error on the same step, so the person tries again. */
  const showStep = async (req: Request, res: Response, login: PendingLogin, error?: { status: number; code: string; message: string }) => {
    const enrolment = login.secret ? { secret: login.secret, otpauthUri: generateURI({ issuer: 'Rehearsal', label: login.email, secret: login.secret }) } : undefined;
    if (error) res.status(error.status);
    if (deps.wantsJson(req)) {
      if (error) return void res.json({ error: { code: error.code, message: error.message }, step: login.step, retry: true });
      return void res.json({ step: login.step, ...enrolment });
    }
    const qr = enrolment ? await QRCode.toString(enrolment.otpauthUri, { type: 'svg', margin: 1 }) : undefined;
    res.type('html').send(
      localStepPage({
        step: login.step,
        email: login.email,
        csrf: deps.cookieOf(req, 'rehearsal_gw_csrf') ?? '',
        ...(enrolment ? { secret: enrolment.secret, otpauthUri: enrolment.otpauthUri, qrSvg: qr } : {}),
        ...(error ? { error: { code: error.code, message: error.message } } : {}),
      }),
    );
  };

  /** Answers with the next step, or completes the login. */
  const next = async (req: Request, res: Response, decision: LoginDecision, relayState: string, after: 'password' | 'password-change' | 'two-step') => {
    const current = pending.get(sessions.unsign(deps.cookieOf(req, PENDING_COOKIE)));
    if (current) pending.end(current.id);
    let step: PendingLogin['step'] | undefined;
    if (after === 'password' && decision.password.expired) step = 'password-change';
    else if (after !== 'two-step' && decision.twoStep.required) step = decision.twoStep.enrolled ? 'two-step' : 'two-step-enrolment';
    if (!step) return deps.complete(req, res, decision, 'password', relayState);
    const secret = step === 'two-step-enrolment' ? generateSecret() : undefined;
    const login = pending.start({ email: decision.email, step, decision, relayState, ...(secret ? { secret } : {}) });
    deps.cookie(res, PENDING_COOKIE, sessions.sign(login.id));
    await showStep(req, res, login);
  };

  /**
   * Reserves one attempt for this account before anything is checked, or
   * answers 429 with Retry-After: the limit holds however many guesses arrive
   * at once, from however many sessions.
   */
  const reserve = (req: Request, res: Response, key: string): Attempt | undefined => {
    const reservation = throttle.reserve(key);
    if (reservation.attempt) return reservation.attempt;
    const wait = reservation.retryAfterSeconds;
    refuse(req, res, 429, 'too-many-attempts', `Too many wrong attempts for this account: try again in ${wait < 60 ? `${wait} seconds` : `${Math.ceil(wait / 60)} minutes`}.`, { 'retry-after': String(wait) });
    return undefined;
  };

  /** Runs the check of one reserved attempt; an exception (core unreachable) gives the attempt back. */
  const attempting = async <T>(attempt: Attempt, check: () => Promise<T>): Promise<T> => {
    try {
      return await check();
    } catch (err) {
      attempt.abandoned();
      throw err;
    }
  };

  const pendingFor = (req: Request, res: Response, step: PendingLogin['step']): PendingLogin | undefined => {
    const login = pending.get(sessions.unsign(deps.cookieOf(req, PENDING_COOKIE)));
    if (!login || login.step !== step) {
      refuse(req, res, 401, 'login-step-expired', 'This login step expired or was never started: start again from the login page.');
      return undefined;
    }
    return login;
  };

  /**
   * The password first, for every email: an unknown email, a deactivated
   * account, an account without a password and a wrong password all get the
   * same answer, so this step does not reveal which accounts exist. Only after
   * a right password does the person learn why they cannot go further.
   */
  app.post('/login/password', ...middleware, async (req: Request, res: Response) => {
    const input = parseInput(passwordInput, req.body ?? {}, 'body');
    if (!deps.csrfOk(req)) return refuse(req, res, 403, 'csrf-token-invalid', 'The login form expired or came from another site: open the login page again.');
    const email = input.email.toLowerCase();
    const attempt = reserve(req, res, `password:${email}`);
    if (!attempt) return;
    const checked = await attempting(attempt, () => core.checkPassword(email, input.password));
    if (!checked.valid && checked.reason !== 'account-deactivated') {
      attempt.failed();
      deps.logger.info('password refused', { reason: checked.reason });
      return refuse(req, res, 401, 'password-invalid', 'Wrong email or password.');
    }
    attempt.succeeded();
    if (checked.reason === 'account-deactivated') return refuse(req, res, 403, 'account-deactivated', 'This account is deactivated: an admin of your organization can reactivate it.');
    const decision = await core.decide(email);
    if (!decision?.allowed) return refuse(req, res, 403, decision?.reason ?? 'email-invalid', decision?.message ?? 'Core could not read that email.');
    if (decision.method === 'sso') return refuse(req, res, 403, 'sso-required', `${decision.message} A password cannot be used.`);
    const relay = input.relayState && /^\/(?![/\\])/.test(input.relayState) ? input.relayState : '/';
    await next(req, res, decision, relay, 'password');
  });

  app.post('/login/password/change', ...middleware, async (req: Request, res: Response) => {
    const input = parseInput(newPasswordInput, req.body ?? {}, 'body');
    if (!deps.csrfOk(req)) return refuse(req, res, 403, 'csrf-token-invalid', 'The form expired or came from another site.');
    const login = pendingFor(req, res, 'password-change');
    if (!login) return;
    const changed = await core.changePassword(login.email, input.password);
    if (changed.status !== 200) {
      return showStep(req, res, login, { status: 400, code: changed.body?.error?.code ?? 'password-rejected', message: changed.body?.error?.message ?? 'That password is not accepted.' });
    }
    await next(req, res, login.decision, login.relayState, 'password-change');
  });

  /** A wrong code keeps the step (within the throttle): the person types the next code rather than starting over. */
  const wrongCode = (req: Request, res: Response, login: PendingLogin, code: string, message: string) => showStep(req, res, login, { status: 401, code, message });

  app.post('/login/two-step', ...middleware, async (req: Request, res: Response) => {
    const input = parseInput(codeInput, req.body ?? {}, 'body');
    if (!deps.csrfOk(req)) return refuse(req, res, 403, 'csrf-token-invalid', 'The form expired or came from another site.');
    const login = pendingFor(req, res, 'two-step');
    if (!login) return;
    const attempt = reserve(req, res, `totp:${login.email}`);
    if (!attempt) return;
    const checked = await attempting(attempt, () => core.verifyTwoStep(login.email, input.code));
    if (!checked.valid) {
      attempt.failed();
      return wrongCode(req, res, login, `two-step-${checked.reason}`, checked.reason === 'code-reused' ? 'That code was used already: wait for the next one.' : 'Wrong code: try the code your app shows now.');
    }
    attempt.succeeded();
    pending.end(login.id);
    await deps.complete(req, res, login.decision, 'password', login.relayState, { recoveryCodesLeft: checked.recoveryCodesLeft, secondFactor: checked.reason });
  });

  app.post('/login/two-step/enrol', ...middleware, async (req: Request, res: Response) => {
    const input = parseInput(codeInput, req.body ?? {}, 'body');
    if (!deps.csrfOk(req)) return refuse(req, res, 403, 'csrf-token-invalid', 'The form expired or came from another site.');
    const login = pendingFor(req, res, 'two-step-enrolment');
    if (!login) return;
    const attempt = reserve(req, res, `totp:${login.email}`);
    if (!attempt) return;
    const enrolled = await attempting(attempt, () => core.enrolTwoStep(login.email, login.secret!, input.code));
    if (enrolled.status === 409) {
      attempt.abandoned();
      return refuse(req, res, 409, 'two-step-enrolled', 'This account is enrolled in two-step verification already: log in again to use it.');
    }
    if (enrolled.status !== 200 || !enrolled.body.enrolled) {
      attempt.failed();
      return wrongCode(req, res, login, 'two-step-code-invalid', 'That code does not match the secret: check the authenticator app and the time on the phone, then type the code it shows now.');
    }
    attempt.succeeded();
    pending.end(login.id);
    const recoveryCodes = enrolled.body.recoveryCodes as string[];
    if (deps.wantsJson(req)) return deps.complete(req, res, login.decision, 'password', login.relayState, { recoveryCodes });
    // Browsers see the codes once, on a page of their own, then continue.
    await deps.complete(req, res, login.decision, 'password', login.relayState, { page: recoveryCodesPage(recoveryCodes, login.relayState) });
  });
}
