import { randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import { cookieOf, sameSecret } from '@rehearsal/runtime';

/**
 * Which browser an AuthnRequest was sent from. The gateway remembers, with
 * each outstanding request, a random value it also put in this browser's
 * cookie; a response for that request is taken only from the same browser, so
 * a response obtained in one browser (an attacker's own login) cannot be
 * posted from another (login CSRF).
 */
export const AUTHN_BROWSER_COOKIE = 'rehearsal_gw_authn';
const WELL_FORMED = /^[A-Za-z0-9_-]{43}$/;

/** This browser's binding value, made (and set as its cookie) if it has none yet. */
export function bindBrowser(req: Request, res: Response, secure: boolean): string {
  const existing = cookieOf(req, AUTHN_BROWSER_COOKIE);
  const value = existing !== undefined && WELL_FORMED.test(existing) ? existing : randomBytes(32).toString('base64url');
  // The IdP posts the response from its own site: over https the cookie must be SameSite=None to come along. Over
  // http (a local IdP) it has no SameSite attribute, so browsers send it with a top-level POST made soon after it was set.
  res.cookie(AUTHN_BROWSER_COOKIE, value, { httpOnly: true, path: '/', secure, ...(secure ? { sameSite: 'none' as const } : {}) });
  return value;
}

/** Whether this request comes from the browser the AuthnRequest was sent from. */
export const fromBoundBrowser = (req: Request, expected: string): boolean => sameSecret(cookieOf(req, AUTHN_BROWSER_COOKIE), expected);
