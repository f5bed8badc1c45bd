import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { parseDuration } from '@rehearsal/runtime';
import { ApiError, type ClockState } from '@rehearsal/runtime/client';
import { checkForm } from '../web/forms.ts';
import { html } from '../web/html.ts';
import { clockWords, fieldError, inputField, table } from '../web/layout.ts';
import { csrfField, orgOf, send, type Organization, type PageContext } from '../web/render.ts';

const change = z
  .object({
    csrf: z.string().optional(),
    action: z.enum(['advance', 'freeze', 'unfreeze', 'reset'], 'Advance, freeze, unfreeze or reset.'),
    duration: z.string().max(32).default(''),
  })
  .strict();

/** Clock: the stack's shared time, each service's clock, and advance, freeze and reset (on every service at once). */
export function clockRoutes(ctx: PageContext): Router {
  const router = Router();
  const { clock } = ctx.services;

  const show = async (req: Request, res: Response, org: Organization | undefined, errors: Record<string, string> = {}, status = 200, notice?: string) => {
    const states = await clock.show();
    const action = `${org ? `/orgs/${encodeURIComponent(org.id)}` : ''}/clock`;
    const csrf = html`${csrfField(res)}`;
    await send(
      ctx,
      res,
      { title: 'Clock', current: '/clock', ...(org ? { org } : {}), ...(notice ? { notice: { kind: 'ok' as const, text: notice } } : {}) },
      html`<p>
          Every service keeps its time on the same harness clock: moving it here moves all three, so an idle session times out at the gateway while assertions
          expire at the IdP, without waiting.
        </p>
        ${table(
          'Each service’s clock',
          ['Service', 'Now', 'Frozen', 'From real time'],
          Object.entries(states).map(
            ([service, s]) =>
              html`<tr>
                <td>${service}</td>
                <td data-service-clock="${service}">${s.now}</td>
                <td>${s.frozen ? 'frozen' : 'running'}</td>
                <td>${clockWords(s).replace(/^.*\(|\)$/g, '')}</td>
              </tr>`,
          ),
        )}
        <div class="columns">
          <form method="post" action="${action}" class="card">
            <h2>Advance</h2>
            ${csrf}<input type="hidden" name="action" value="advance" />
            ${inputField({ name: 'duration', label: 'By', value: '', placeholder: '31m, 8h, 30d', required: true, errors })}
            <button type="submit">Advance every clock</button>
          </form>
          <form method="post" action="${action}" class="card">
            <h2>Freeze or run</h2>
            ${csrf} <button type="submit" name="action" value="freeze">Freeze</button> <button type="submit" name="action" value="unfreeze">Run again</button>
            <button type="submit" name="action" value="reset">Back to real time</button> ${fieldError('action', errors)}
          </form>
        </div>`,
      status,
    );
  };

  const changeClock = async (req: Request, res: Response, org: Organization | undefined) => {
    const checked = checkForm(change, req.body);
    if (!checked.ok) return show(req, res, org, checked.errors, 400);
    const { action, duration } = checked.value;
    if (action === 'advance' && !parseDuration(duration)) return show(req, res, org, { duration: 'A duration such as 31m, 8h, 30d or PT1H.' }, 400);
    try {
      if (action === 'advance') await clock.advance(duration);
      else if (action === 'freeze') await clock.freeze();
      else if (action === 'unfreeze') await clock.unfreeze();
      else await clock.reset();
    } catch (err) {
      if (err instanceof ApiError && err.status < 500) return show(req, res, org, { [action === 'advance' ? 'duration' : 'action']: err.message }, err.status);
      throw err;
    }
    res.redirect(303, `${org ? `/orgs/${encodeURIComponent(org.id)}` : ''}/clock?done=${action}`);
  };

  const notice = (req: Request) => {
    const done = (req.query as Record<string, string | undefined>).done;
    return done && ['advance', 'freeze', 'unfreeze', 'reset'].includes(done)
      ? `Done: ${done === 'advance' ? 'every clock advanced' : done === 'reset' ? 'back to real time' : `${done}d`}.`
      : undefined;
  };

  /** The header's live clock (the page script polls it). */
  router.get('/clock.json', async (_req, res) => {
    const state = await ctx.services.core.call<ClockState>('GET', '/_rehearsal/clock');
    res.json({ ...state, words: clockWords(state), moved: state.frozen || state.offsetMs !== 0 });
  });
  router.get('/clock', (req, res) => show(req, res, undefined, {}, 200, notice(req)));
  router.post('/clock', (req, res) => changeClock(req, res, undefined));
  router.get('/orgs/:orgId/clock', async (req, res) => show(req, res, await orgOf(ctx, req), {}, 200, notice(req)));
  router.post('/orgs/:orgId/clock', async (req, res) => changeClock(req, res, await orgOf(ctx, req)));
  return router;
}
