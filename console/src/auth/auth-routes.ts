import { randomBytes } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { bearerOf, cookieOf, sameSecret, type Clock } from '@rehearsal/runtime';
import { html } from '../web/html.ts';
import { describedBy, fieldError, page } from '../web/layout.ts';
import type { ConsoleSessions } from './console-sessions.ts';

export const SESSION_COOKIE = 'rehearsal_console_session';
/** Ten wrong keys from one address in five minutes, and that address waits. */
export const MAX_WRONG_KEYS = 10;
const WRONG_KEY_WINDOW_MS = 5 * 60_000;
/** The sign-in form's own CSRF token (double-submit): nobody can sign a browser in to their console from another site. */
const SIGN_IN_COOKIE = 'rehearsal_console_signin';

export interface AuthOptions {
  sessions: ConsoleSessions;
  /** Counts wrong keys (the console's own time, not the stack's). */
  clock: Clock;
  /** Core's admin key: what signs in. */
  adminKey: string;
  publicUrl: string;
  secure: boolean;
}

const signInForm = z.object({ key: z.string().max(200).default(''), csrf: z.string().max(200).default(''), next: z.string().max(2048).default('/') }).strict();

/** Only a path of this console: never another site (`//evil`, `/\evil`). */
export const localPath = (value: string | undefined) => (value && /^\/(?![/\\])[^\s\\]*$/.test(value) ? value : '/');

/** Sign-in with the core admin key, one-time sign-in links (`rehearsal up` prints one), sign-out. */
export function authRoutes(options: AuthOptions): Router {
  const { sessions } = options;
  const router = Router();
  // Wrong keys per address: a few tries are typos, many are guessing.
  const wrongKeys = new Map<string, number[]>();
  const recent = (from: string) => (wrongKeys.get(from) ?? []).filter((at) => at > options.clock.now().getTime() - WRONG_KEY_WINDOW_MS);
  const tooManyWrongKeys = (from: string) => recent(from).length >= MAX_WRONG_KEYS;
  const wrongKey = (from: string) => {
    if (wrongKeys.size > 10_000) wrongKeys.clear();
    wrongKeys.set(from, [...recent(from), options.clock.now().getTime()]);
  };
  const cookie = { httpOnly: true, sameSite: 'strict', secure: options.secure, path: '/' } as const;
  const signedIn = (res: Response, next: string) => {
    const session = sessions.start();
    res.cookie(SESSION_COOKIE, session.id, cookie);
    res.clearCookie(SIGN_IN_COOKIE, cookie);
    res.redirect(303, localPath(next));
  };
  const showForm = (req: Request, res: Response, next: string, errors: Record<string, string> = {}, status = 200) => {
    const token = randomBytes(24).toString('base64url');
    res.cookie(SIGN_IN_COOKIE, token, cookie);
    res
      .status(status)
      .type('html')
      .send(
        page(
          { title: 'Sign in' },
          html`<p>
              The console shows and changes everything the stack knows: it asks for core's admin key (<code>rehearsal up</code> prints it, and a one-time link
              that signs you in).
            </p>
            <form method="post" action="/sign-in" class="card narrow">
              <input type="hidden" name="csrf" value="${token}" />
              <input type="hidden" name="next" value="${localPath(next)}" />
              <label for="key">Core admin key</label>
              <input id="key" name="key" type="password" autocomplete="current-password" required${describedBy('key', errors)} />
              ${fieldError('key', errors)}
              <button type="submit">Sign in</button>
            </form>`,
        ).text,
      );
  };

  router.get('/sign-in', (req, res) => showForm(req, res, localPath(typeof req.query.next === 'string' ? req.query.next : '/')));

  router.post('/sign-in', (req, res) => {
    const parsed = signInForm.safeParse(req.body ?? {});
    const input = parsed.success ? parsed.data : { key: '', csrf: '', next: '/' };
    const expected = cookieOf(req, SIGN_IN_COOKIE);
    if (!parsed.success || !expected || !sameSecret(input.csrf, expected))
      return showForm(req, res, input.next, { key: 'The form expired or came from another site: sign in again.' }, 403);
    if (!input.key) return showForm(req, res, input.next, { key: 'Enter core’s admin key.' }, 400);
    const from = req.socket.remoteAddress ?? '';
    if (tooManyWrongKeys(from))
      return showForm(req, res, input.next, { key: 'Too many wrong keys from here: wait a few minutes, or use the link `rehearsal up` printed.' }, 429);
    if (!sameSecret(input.key, options.adminKey)) {
      wrongKey(from);
      return showForm(req, res, input.next, { key: 'That is not core’s admin key.' }, 401);
    }
    signedIn(res, input.next);
  });

  /** A one-time link: signs this browser in, then the token is spent and the address bar holds none. */
  router.get('/sign-in/once/:token', (req, res) => {
    if (!sessions.redeem(String(req.params.token))) {
      return showForm(
        req,
        res,
        '/',
        { key: 'That sign-in link was used already or has expired: sign in with the key, or ask `rehearsal up` for a new link.' },
        410,
      );
    }
    signedIn(res, '/');
  });

  /** `POST /api/sign-in-links` with core's admin key as the bearer: a one-time link, for `rehearsal up` to print. */
  router.post('/api/sign-in-links', (req, res) => {
    if (!sameSecret(bearerOf(req), options.adminKey)) {
      res.set('WWW-Authenticate', 'Bearer realm="rehearsal-console"');
      return void res.status(401).json({ error: { code: 'admin-key-invalid', message: 'This call needs core’s admin key as a bearer token.' } });
    }
    const link = sessions.newLink();
    res.status(201).json({ url: `${options.publicUrl}/sign-in/once/${link.token}`, expiresAt: link.expiresAt.toISOString() });
  });

  router.post('/sign-out', (req, res) => {
    const session = sessions.get(cookieOf(req, SESSION_COOKIE));
    // Sign-out changes something too: only from the console's own form.
    if (session && sameSecret((req.body as Record<string, unknown> | undefined)?.csrf, session.csrf)) {
      sessions.end(session.id);
      res.clearCookie(SESSION_COOKIE, cookie);
    }
    res.redirect(303, '/sign-in');
  });

  return router;
}
