import { CORE_REASONS } from '../reasons.ts';
import type { RequestHandler, Response } from 'express';
import { errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { Clock } from '@rehearsal/runtime';

/** Who the gateway says is asking: the audience core accepts in identity tokens. */
export const IDENTITY_AUDIENCE = 'rehearsal-core';

export interface Identity {
  accountId: string;
  email: string;
}

/**
 * Checks the short-lived identity token the gateway signs (ES256) for product
 * requests: its signature against the gateway's JWKS, issuer, audience and
 * expiry on core's clock. Nothing else opens the /api/me routes.
 */
/** The person `identityAuth` let through. */
export const identityOf = (res: Response): Identity => res.locals.identity as Identity;

export function identityAuth(keys: JWTVerifyGetKey, issuer: string, clock: Clock): RequestHandler {
  return async (req, res, next) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
    if (!match) {
      res.set('WWW-Authenticate', 'Bearer realm="rehearsal-core"');
      return next(
        CORE_REASONS.error('identity-token-missing', 'Product requests carry the gateway’s identity token: Authorization: Bearer <token>.', { status: 401 }),
      );
    }
    try {
      const { payload } = await jwtVerify(match[1]!, keys, {
        issuer,
        audience: IDENTITY_AUDIENCE,
        algorithms: ['ES256'],
        currentDate: clock.now(),
        requiredClaims: ['exp', 'sub', 'email'],
      });
      res.locals.identity = { accountId: String(payload.sub), email: String(payload.email) } satisfies Identity;
      next();
    } catch (err) {
      const code =
        err instanceof joseErrors.JWTExpired
          ? 'identity-token-expired'
          : err instanceof joseErrors.JWTClaimValidationFailed
            ? 'identity-token-claims'
            : 'identity-token-invalid';
      res.set('WWW-Authenticate', 'Bearer realm="rehearsal-core", error="invalid_token"');
      next(CORE_REASONS.error(code, `The identity token was refused: ${(err as Error).message}.`));
    }
  };
}
