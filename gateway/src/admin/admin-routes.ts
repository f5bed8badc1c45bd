import { Router } from 'express';
import { z } from 'zod';
import { bearerOf, harnessRouter, parseInput, sameSecret } from '@rehearsal/runtime';
import { GATEWAY_REASONS } from '../reasons.ts';
import type { GatewayContext } from '../context.ts';

const revokeInput = z.object({ account: z.string().min(1).max(320) }).strict();

/** The gateway's own admin API (revoking sessions) and, when enabled, the harness (clock, reset). */
export function adminRoutes(
  ctx: Pick<GatewayContext, 'sessions' | 'store' | 'sp' | 'pending' | 'throttle' | 'clock' | 'adminKey' | 'harnessKey' | 'siblings' | 'parsers' | 'traces'>,
  harness: boolean,
): Router {
  const router = Router();

  /** Admin: end every session of an account (by id or email). */
  router.post('/api/sessions/revoke', ctx.parsers.body, async (req, res) => {
    if (!sameSecret(bearerOf(req), ctx.adminKey)) throw GATEWAY_REASONS.error('admin-key-invalid', 'This call needs the gateway admin key as a bearer token.');
    const input = parseInput(revokeInput, req.body, 'body');
    res.json({ revoked: await ctx.sessions.revoke(input.account) });
  });

  /** Admin: the recent logins, step by step (`?after=VERSION` for what changed since, `email`, `outcome`, `limit`). */
  router.get('/api/logins', async (req, res) => {
    if (!sameSecret(bearerOf(req), ctx.adminKey)) throw GATEWAY_REASONS.error('admin-key-invalid', 'This call needs the gateway admin key as a bearer token.');
    res.json(await ctx.traces.list(req.query));
  });

  const reset = async () => {
    await Promise.all([ctx.traces.clear(), ctx.sp.clear(), ctx.pending.clear(), ctx.throttle.clear(), ctx.store.clear()]);
  };
  if (harness)
    router.use(harnessRouter({ clock: ctx.clock, reset, keys: [ctx.adminKey, ...(ctx.harnessKey ? [ctx.harnessKey] : [])], siblings: ctx.siblings }));
  return router;
}
