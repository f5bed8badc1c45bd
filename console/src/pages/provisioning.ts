import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { checkForm, pageParam } from '../web/forms.ts';
import { html, query } from '../web/html.ts';
import { fieldError, selectField, table } from '../web/layout.ts';
import { formOf, csrfField, orgOf, send, type Organization, type PageContext } from '../web/render.ts';
import { targetPath, targetsOf, type Cycle, type Target } from './provisioning-data.ts';
import { planSection } from './provisioning-plan.ts';

const pageQuery = z
  .object({
    target: z.string().max(128).optional(),
    page: pageParam,
    plan: z.literal('now', 'plan=now shows the plan in the page.').optional(),
  })
  .strict();
const runForm = z
  .object({
    csrf: z.string().optional(),
    target: z.string().min(1, 'Choose a target.').max(128),
    kind: z.enum(['incremental', 'initial'], 'Incremental or initial.'),
  })
  .strict();

/** A cycle's progress, as the bar and its words show it (the page's script keeps them live). */
export const progressOf = (cycle: Cycle) => ({
  status: cycle.status,
  phase: cycle.phase,
  done: cycle.done,
  total: cycle.total,
  words: `${cycle.status}: ${cycle.phase}, ${cycle.done} of ${cycle.total} (${cycle.reads} reads, ${cycle.writes} writes${
    Object.keys(cycle.counts).length
      ? `; ${Object.entries(cycle.counts)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`
      : ''
  })${cycle.error ? ` ${cycle.error}` : ''}`,
});

/** Provisioning: the next cycle's plan as a diff, the product values it overwrites, running a cycle with live progress, the last cycles. */
export function provisioningRoutes(ctx: PageContext): Router {
  const router = Router();
  const { idp } = ctx.services;

  const chosenTarget = async (req: Request, id: string | undefined): Promise<{ targets: Target[]; target: Target | undefined }> => {
    const targets = await targetsOf(ctx.services, req);
    return { targets, target: targets.find((t) => t.id === id) ?? (id === undefined ? targets[0] : undefined) };
  };

  const show = async (
    req: Request,
    res: Response,
    org: Organization,
    input: { target?: string; page?: string; plan?: 'now' },
    errors: Record<string, string>,
    status = 200,
  ) => {
    const { targets, target } = await chosenTarget(req, input.target);
    const base = `/orgs/${encodeURIComponent(org.id)}/provisioning`;
    if (!target) {
      const why = input.target
        ? `No SCIM target ${input.target} provisions this organization.`
        : 'No SCIM target provisions this organization: a scenario with idp.provisioning makes one.';
      return send(ctx, res, { title: 'Provisioning', current: '/provisioning', org, notice: { kind: 'error', text: why } }, '', input.target ? 404 : 200);
    }
    const pageNumber = Number(input.page ?? 1);
    const { cycles } = await idp.call<{ cycles: Cycle[] }>('GET', targetPath(target, '/cycles'));
    // The plan reads everyone the target holds (seconds for thousands): the page's script fills it in once the
    // page is shown; without the script, `?plan=now` works it out here.
    const planUrl = `${base}/plan.json${query({ target: target.id, page: input.page })}`;
    const plan =
      input.plan === 'now'
        ? await planSection(ctx.services, req, org, target, pageNumber, errors)
        : html`<section class="card" id="plan" data-fill="${planUrl}" aria-live="polite">
            <h2>Next cycle’s plan</h2>
            <p><a href="${base}${query({ target: target.id, page: input.page, plan: 'now' })}">Show the next cycle’s plan</a></p>
          </section>`;
    await send(
      ctx,
      res,
      { title: 'Provisioning', current: '/provisioning', org },
      html` ${
          targets.length > 1
            ? html`<form method="get" class="card filters">
                ${selectField({ name: 'target', label: 'Target', choices: targets.map((t) => ({ value: t.id, label: t.name ?? t.id })), chosen: target.id, errors: {} })}
                <button type="submit">Show</button>
              </form>`
            : ''
        }
        ${target.quarantine ? html`<p class="notice error" role="alert">This target is quarantined: ${target.quarantine.reason ?? ''}</p>` : ''}
        <form method="post" action="${base}/cycles" class="card run">
          ${csrfField(res)}<input type="hidden" name="target" value="${target.id}" />
          ${selectField({
            name: 'kind',
            label: 'Cycle',
            choices: [
              { value: 'incremental', label: 'incremental (what changed)' },
              { value: 'initial', label: 'initial (everyone in scope)' },
            ],
            chosen: 'incremental',
            errors,
          })}${fieldError('target', errors)}
          <button type="submit" class="primary">Run the cycle now</button>
        </form>
        ${plan}
        ${table(
          'Last cycles',
          ['Started', 'Kind', 'Status', 'Progress', 'Log'],
          [...cycles]
            .reverse()
            .slice(0, 10)
            .map(
              (c) =>
                html`<tr>
                  <td>${c.startedAt.replace('T', ' ').slice(0, 19)}</td>
                  <td>${c.kind}</td>
                  <td>${c.status}</td>
                  <td>${progressOf(c).words}</td>
                  <td><a href="${base}/cycles/${encodeURIComponent(c.id)}${query({ target: target.id })}">log</a></td>
                </tr>`,
            ),
          'No cycle has run yet.',
        )}`,
      status,
    );
  };

  /** The plan's section, for the page's script to fill in. */
  router.get('/orgs/:orgId/provisioning/plan.json', async (req, res) => {
    const org = await orgOf(ctx, req);
    const checked = checkForm(pageQuery, req.query);
    if (!checked.ok) return void res.status(400).json({ error: { code: 'invalid-filter', message: Object.values(checked.errors).join(' ') } });
    const { target } = await chosenTarget(req, checked.value.target);
    if (!target) return void res.status(404).json({ error: { code: 'target-not-found', message: 'No such target for this organization.' } });
    res.json({ html: (await planSection(ctx.services, req, org, target, Number(checked.value.page ?? 1), {})).text });
  });

  router.get('/orgs/:orgId/provisioning', async (req, res) => {
    const org = await orgOf(ctx, req);
    const checked = checkForm(pageQuery, req.query);
    const q = req.query as Record<string, string | undefined>;
    if (!checked.ok) return show(req, res, org, { ...(q.target ? { target: q.target } : {}) }, checked.errors, 400);
    await show(req, res, org, checked.value, {});
  });

  router.post('/orgs/:orgId/provisioning/cycles', async (req, res) => {
    const org = await orgOf(ctx, req);
    const checked = checkForm(runForm, req.body);
    const posted = formOf(req).target;
    const target = typeof posted === 'string' ? posted : undefined;
    if (!checked.ok) return show(req, res, org, target ? { target } : {}, checked.errors, 400);
    const { target: found } = await chosenTarget(req, checked.value.target);
    if (!found) return show(req, res, org, { target: checked.value.target }, { target: 'No such target for this organization.' }, 404);
    const cycle = await idp.call<Cycle>('POST', targetPath(found, '/cycles'), { kind: checked.value.kind });
    res.redirect(303, `/orgs/${encodeURIComponent(org.id)}/provisioning/cycles/${encodeURIComponent(cycle.id)}${query({ target: found.id })}`);
  });

  /** One cycle: a progress bar kept live by the page's script (from the .json twin), then its log. */
  router.get('/orgs/:orgId/provisioning/cycles/:cycle', async (req, res) => {
    const org = await orgOf(ctx, req);
    const { target } = await chosenTarget(req, (req.query as Record<string, string | undefined>).target);
    if (!target) return show(req, res, org, {}, { target: 'No such target for this organization.' }, 404);
    const id = String(req.params.cycle);
    if (id.endsWith('.json')) {
      const cycle = await idp.call<Cycle>('GET', targetPath(target, `/cycles/${encodeURIComponent(id.slice(0, -5))}`));
      return void res.json(progressOf(cycle));
    }
    const [cycle, log] = await Promise.all([
      idp.call<Cycle>('GET', targetPath(target, `/cycles/${encodeURIComponent(id)}`)),
      idp.call<{
        entries: { seq: number; user?: string; group?: string; operation: string; method: string; status: number; outcome: string; reason?: string }[];
      }>('GET', targetPath(target, `/log?cycle=${encodeURIComponent(id)}&limit=200`)),
    ]);
    const progress = progressOf(cycle);
    await send(
      ctx,
      res,
      { title: `Provisioning cycle (${cycle.kind})`, current: '/provisioning', org },
      html`<section
          class="card"
          data-progress="/orgs/${encodeURIComponent(org.id)}/provisioning/cycles/${encodeURIComponent(id)}.json${query({ target: target.id })}"
        >
          <label for="cycle-progress">Progress</label>
          <progress id="cycle-progress" max="${Math.max(progress.total, 1)}" value="${progress.done}">${progress.done} of ${progress.total}</progress>
          <p id="cycle-status" role="status" aria-live="polite" data-status="${progress.status}">${progress.words}</p>
          <p class="when-done" ${cycle.status === 'running' ? html` hidden` : ''}>
            <a href="/orgs/${encodeURIComponent(org.id)}/provisioning${query({ target: target.id })}">Back to the plan</a> ·
            <a href="/orgs/${encodeURIComponent(org.id)}/billing">See the bill now</a>
          </p>
        </section>
        ${table(
          `Log (${log.entries.length} requests${log.entries.length === 200 ? ', the last 200' : ''})`,
          ['#', 'Person or group', 'Operation', 'Request', 'Status', 'Outcome'],
          log.entries.map(
            (e) =>
              html`<tr>
                <td>${e.seq}</td>
                <td>${e.user ?? e.group ?? ''}</td>
                <td>${e.operation}</td>
                <td>${e.method}</td>
                <td>${e.status}</td>
                <td>${e.outcome}${e.reason ? html` <code>${e.reason}</code>` : ''}</td>
              </tr>`,
          ),
          cycle.status === 'running' ? 'Running: reload for the log once it ends.' : 'No request was sent.',
        )}`,
    );
  });
  return router;
}
