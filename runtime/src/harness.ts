import { Router, json, type Request, type RequestHandler } from 'express';
import { z } from 'zod';
import type { ControllableClock } from './clock.ts';
import { parseDuration } from './clock.ts';
import { RUNTIME_REASONS } from './runtime-reasons.ts';
import { bearerOf, sameSecret } from './http.ts';
import { parseInput } from './validation.ts';

/**
 * `/_rehearsal/*`: deterministic time and reset over HTTP, so a test can
 * fast-forward an idle timeout or an assertion's expiry without waiting.
 * Moving the clock reopens assertion windows and idles sessions out, and reset
 * wipes data: every call but reading the clock needs a key.
 */
export interface HarnessOptions {
  clock: ControllableClock;
  /** Restores the service to its initial state (the clock is reset too). */
  reset: () => void | Promise<void>;
  /** Bearer keys accepted: the harness key, and the service's admin key where it has one. */
  keys: string[];
  /**
   * The other replicas of this service (their own URLs, not the proxy's): a clock
   * change or a reset made here is passed on to each, so that the stack's clock
   * stays one clock whichever replica the proxy hands the call to.
   */
  siblings?: string[];
}

/** Marks a call passed on from a sibling: it is applied, not passed on again. */
export const FROM_SIBLING = 'x-rehearsal-from-sibling';
/** How long a sibling may take to answer before it is reported as unreached (a replica that was just killed). */
const SIBLING_TIMEOUT_MS = 2000;

/** The replicas a harness call was passed on to: how many applied it, and which could not be reached. */
export interface SiblingsReached {
  reached: number;
  unreached: string[];
}

/**
 * Replays a harness call on every sibling replica with the caller's key, unless
 * it came from a sibling itself (then undefined); names those that could not be
 * reached (a replica that was just killed is not waited for).
 */
export async function passOn(siblings: string[], req: Pick<Request, 'get'>, method: string, path: string, body: unknown): Promise<SiblingsReached | undefined> {
  if (!siblings.length || req.get(FROM_SIBLING)) return undefined;
  const authorization = req.get('authorization');
  const outcomes = await Promise.all(
    siblings.map(async (url) => {
      try {
        const answer = await fetch(url + path, {
          method,
          headers: { 'content-type': 'application/json', [FROM_SIBLING]: '1', ...(authorization ? { authorization } : {}) },
          ...(method === 'DELETE' ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(SIBLING_TIMEOUT_MS),
        });
        await answer.arrayBuffer();
        return answer.ok;
      } catch {
        return false;
      }
    }),
  );
  return { reached: outcomes.filter(Boolean).length, unreached: siblings.filter((_, i) => !outcomes[i]) };
}

/** Refuses a harness call without one of `keys` as its bearer token (401, `harness-key-required`). */
export function requireHarnessKey(keys: string[]): RequestHandler {
  const accepted = keys.filter(Boolean);
  return (req, res, next) => {
    const presented = bearerOf(req);
    if (presented !== undefined && accepted.some((key) => sameSecret(presented, key))) return next();
    res.set('WWW-Authenticate', 'Bearer realm="rehearsal-harness"');
    next(
      RUNTIME_REASONS.error(
        presented === undefined ? 'harness-key-required' : 'harness-key-invalid',
        presented === undefined
          ? 'The harness endpoints need the harness key as a bearer token (rehearsal up prints it; REHEARSAL_HARNESS_KEY or <data dir>/harness-key).'
          : 'That is not the harness key.',
      ),
    );
  };
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
  const keyed = requireHarnessKey(options.keys);
  const siblings = options.siblings ?? [];
  router.use('/_rehearsal', json({ limit: '64kb' }));
  // Reading the clock tells the time and nothing else (a headless client computes TOTP codes from it).
  router.get('/_rehearsal/clock', (_req, res) => {
    res.json(options.clock.state());
  });
  router.post('/_rehearsal/clock', keyed, async (req, res) => {
    const change = parseInput(clockChange, req.body ?? {}, 'body');
    const advanceMs = change.advance === undefined ? undefined : toMs(change.advance);
    const { clock } = options;
    if (change.reset) clock.reset();
    if (change.at) clock.set(new Date(change.at));
    if (change.freeze === true) clock.freeze();
    if (change.freeze === false) clock.unfreeze();
    if (advanceMs !== undefined) clock.advance(advanceMs);
    const state = clock.state();
    // The siblings take the resulting time, not the change: they end on the same instant whatever they read before.
    const replicas = await passOn(siblings, req, 'POST', '/_rehearsal/clock', { at: state.now, freeze: state.frozen });
    res.json({ ...state, ...(replicas ? { replicas } : {}) });
  });
  router.post('/_rehearsal/reset', keyed, async (req, res) => {
    await options.reset();
    options.clock.reset();
    const replicas = await passOn(siblings, req, 'POST', '/_rehearsal/reset', {});
    res.json({ reset: true, clock: options.clock.state(), ...(replicas ? { replicas } : {}) });
  });
  return router;
}

function toMs(advance: string | number): number {
  if (typeof advance === 'number') return advance;
  const ms = parseDuration(advance);
  if (ms === undefined) {
    throw RUNTIME_REASONS.error('invalid-duration', `"${advance}" is not a duration`, {
      details: [{ path: 'body.advance', message: 'not a duration', expected: 'e.g. 31m, 1h30m, 2d, PT31M, or milliseconds' }],
    });
  }
  return ms;
}
