import { CORE_REASONS } from '../reasons.ts';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Audience } from './route.ts';

/** Bearer keys: the admin key opens everything; the gateway's key only the login routes. */
export interface Credentials {
  adminKey: string;
  gatewayKey: string;
}

const digest = (value: string) => createHash('sha256').update(value).digest();
const same = (a: Buffer, b: Buffer) => timingSafeEqual(a, b);

export function bearerAuth(credentials: Credentials): (audience: Audience) => RequestHandler {
  const admin = digest(credentials.adminKey);
  const gateway = digest(credentials.gatewayKey);
  return (audience) => (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) {
      res.set('WWW-Authenticate', 'Bearer realm="rehearsal-core"');
      return next(CORE_REASONS.error('missing-credentials', 'Send Authorization: Bearer <key>.'));
    }
    const presented = digest(match[1]!);
    if (same(presented, admin)) return next();
    if (same(presented, gateway)) {
      if (audience === 'gateway') return next();
      return next(CORE_REASONS.error('insufficient-scope', "The gateway's key cannot call the admin API."));
    }
    res.set('WWW-Authenticate', 'Bearer realm="rehearsal-core", error="invalid_token"');
    next(CORE_REASONS.error('invalid-credentials', 'The bearer key is not valid.'));
  };
}
