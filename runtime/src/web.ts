import { randomBytes } from 'node:crypto';
import type { ErrorRequestHandler, Request, Response } from 'express';
import { RehearsalError } from './errors.ts';
import { cookieOf, errorMiddleware, sameSecret } from './http.ts';
import type { Logger } from './logger.ts';

/**
 * What the services' browser-facing routes share: cookies, the CSRF check of
 * forms, content negotiation between a page and JSON, and refusals that carry
 * their reason code either way. One set, for the gateway and the mock IdP.
 */
export interface Web {
  /** Whether the client asked for JSON rather than a page (express's own negotiation). */
  wantsJson(req: Request): boolean;
  /** Sets an HttpOnly, SameSite=Lax cookie on the whole site (Secure when the service is served over https). */
  setCookie(res: Response, name: string, value: string): void;
  clearCookie(res: Response, name: string): void;
  /** A new CSRF token for a form, set as the cookie forms must echo. */
  issueCsrf(res: Response): string;
  /** The CSRF token of this browser (to put in the next form), if it has one. */
  csrfOf(req: Request): string;
  /** Whether a posted form carries this browser's CSRF token; JSON bodies need CORS, which is never granted. */
  csrfOk(req: Request): boolean;
  /** A refusal: JSON for API clients, a page for browsers, always with the reason code (and one log line). */
  refuse(req: Request, res: Response, status: number, code: string, message: string, headers?: Record<string, string>): void;
  /** The last error handler: a RehearsalError on a browser route is a page, everything else core's JSON error body. */
  errors: ErrorRequestHandler;
}

export interface WebOptions {
  /** Whether the service is served over https (cookies are then Secure). */
  secure: boolean;
  csrfCookie: string;
  logger: Logger;
  /** The page a browser sees for a refusal. */
  page(code: string, message: string): string;
}

export const wantsJson = (req: Request): boolean => req.accepts(['text/html', 'application/json']) === 'application/json';

export function web(options: WebOptions): Web {
  const cookieOptions = { httpOnly: true, sameSite: 'lax', secure: options.secure, path: '/' } as const;
  const toJson = errorMiddleware(options.logger);
  const refuse: Web['refuse'] = (req, res, status, code, message, headers = {}) => {
    options.logger.info('request refused', { code, status, method: req.method, path: req.path });
    res.set(headers);
    if (wantsJson(req)) res.status(status).json({ error: { code, message } });
    else res.status(status).type('html').send(options.page(code, message));
  };
  return {
    wantsJson,
    setCookie: (res, name, value) => void res.cookie(name, value, cookieOptions),
    clearCookie: (res, name) => void res.clearCookie(name, cookieOptions),
    issueCsrf(res) {
      const token = randomBytes(24).toString('base64url');
      res.cookie(options.csrfCookie, token, cookieOptions);
      return token;
    },
    csrfOf: (req) => cookieOf(req, options.csrfCookie) ?? '',
    csrfOk(req) {
      if (req.is('application/json')) return true;
      const expected = cookieOf(req, options.csrfCookie);
      return expected !== undefined && sameSecret((req.body as Record<string, unknown> | undefined)?.csrf, expected);
    },
    refuse,
    errors: (err, req, res, next) => {
      if (err instanceof RehearsalError && !req.path.startsWith('/api/') && !wantsJson(req)) return refuse(req, res, err.status, err.code, err.message);
      toJson(err, req, res, next);
    },
  };
}
