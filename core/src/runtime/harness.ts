import { Router, json } from 'express';
import { z } from 'zod';
import type { ControllableClock } from './clock.ts';
import { parseDuration } from './clock.ts';
import { badRequest } from './errors.ts';
import { parseInput } from './validation.ts';

/**
 * `/_rehearsal/*`: deterministic time and reset over HTTP, so a test can
 * fast-forward an idle timeout or an assertion's expiry without waiting.
 */
export interface HarnessOptions {
  clock: ControllableClock;
  /** Restores the service to its initial state (the clock is reset too). */
  reset: () => void | Promise<void>;
}

const clockChange = z
  .object({
    freeze: z.boolean().optional(),
    at: z.iso.datetime({ offset: true }).optional(),
    advance: z.union([z.string(), z.number().int().nonnegative()]).optional(),
    reset: z.boolean().optional(),
  })
  .strict();

export function harnessRouter(options: HarnessOptions): Router {
  const router = Router();
  router.use(json({ limit: '1mb' }));
  router.get('/_rehearsal/clock', (_req, res) => {
    res.json(options.clock.state());
  });
  router.post('/_rehearsal/clock', (req, res) => {
    const change = parseInput(clockChange, req.body ?? {}, 'body');
    const advanceMs = change.advance === undefined ? undefined : toMs(change.advance);
    const { clock } = options;
    if (change.reset) clock.reset();
    if (change.at) clock.set(new Date(change.at));
    if (change.freeze === true) clock.freeze();
    if (change.freeze === false) clock.unfreeze();
    if (advanceMs !== undefined) clock.advance(advanceMs);
    res.json(clock.state());
  });
  router.post('/_rehearsal/reset', async (_req, res) => {
    await options.reset();
    options.clock.reset();
    res.json({ reset: true, clock: options.clock.state() });
  });
  return router;
}

function toMs(advance: string | number): number {
  if (typeof advance === 'number') return advance;
  const ms = parseDuration(advance);
  if (ms === undefined) {
    throw badRequest('invalid-duration', `"${advance}" is not a duration`, [
      { path: 'body.advance', message: 'not a duration', expected: 'e.g. 31m, 1h30m, 2d, PT31M, or milliseconds' },
    ]);
  }
  return ms;
}
