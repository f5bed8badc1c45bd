import { Router, type Request, type Response } from 'express';
import type { PeoplePage } from '@rehearsal/core/client';
import { ApiError, type RolloutPreview } from '@rehearsal/runtime/client';
import { html, type Html } from '../web/html.ts';
import { describedBy, fieldError, inputField, policyChoices, selectField, table, UNCHANGED, UNCHANGED_YES_NO } from '../web/layout.ts';
import { csrfField, orgOf, orgPath, send, type Organization, type PageContext } from '../web/render.ts';
import { minutesWords } from './overview.ts';
import { checkRollout, MAX_PEOPLE, type RolloutChange, type RolloutFields } from './rollout-form.ts';

interface Policy {
  id: string;
  name: string;
  sso: string;
  twoStep: string;
  idleMinutes: number;
  billable: boolean;
}

export type Preview = RolloutPreview;

/** The same rule as `report rollout`: anyone locked out, a warning, or someone who cannot move. */
export const blocked = (p: Preview) => p.summary.lockedOut > 0 || p.warnings.length > 0 || p.refused.length > 0;

const side = (s: { method: string | null; reason: string; nextLogin: string }) => html`${s.nextLogin}<br /><code>${s.reason}</code>`;

/** The preview side by side: who changes how they log in, who is locked out (and why), who stood apart already, the bill. */
export function previewSection(preview: Preview): Html {
  const s = preview.summary;
  const shown = preview.accounts.filter((a) => a.category === 'locked-out' || a.category === 'fine');
  const apart = preview.accounts.filter((a) => a.category === 'already-inactive' || a.category === 'already-locked-out');
  const row = (a: Preview['accounts'][number]) =>
    html`<tr class="${a.category === 'locked-out' ? 'locked' : ''}">
      <td>${a.email}${a.admin ? html` <span class="tag admin">admin</span>` : ''}</td>
      <td>${a.why.join(', ')}</td>
      <td>${side(a.before)}</td>
      <td>${side(a.after)}</td>
      <td>
        ${
          a.category === 'locked-out'
            ? html`<strong>LOCKED OUT</strong>: ${a.lockOutReasons.map((r) => html`<code title="${r.message}">${r.code}</code> `)}`
            : 'can log in'
        }
      </td>
      <td>${a.billing.before.billable ? 'billable' : 'not billable'} → ${a.billing.after.billable ? 'billable' : 'not billable'}</td>
    </tr>`;
  return html`<section class="card preview" id="preview" aria-labelledby="preview-title">
    <h2 id="preview-title">Preview</h2>
    <p class="summary">
      ${s.affected} affected,
      <span class="${s.lockedOut ? 'bad' : 'good'}">${s.lockedOut} locked out</span
      >${s.alreadyInactive ? `, ${s.alreadyInactive} already inactive` : ''}${s.alreadyLockedOut ? `, ${s.alreadyLockedOut} could not log in before either` : ''}.
      Billable users ${preview.billing.before} → ${preview.billing.after} (<span class="${preview.billing.delta > 0 ? 'bad' : ''}"
        >${preview.billing.delta >= 0 ? '+' : ''}${preview.billing.delta}</span
      >).
    </p>
    ${preview.adminWarnings.map((w) => html`<p class="notice error" role="alert">Admin ${w.email}: <code>${w.code}</code> ${w.message}</p>`)}
    ${preview.warnings.map((w) => html`<p class="notice error" role="alert"><code>${w.code}</code> ${w.message}</p>`)}
    ${preview.refused.map((r) => html`<p class="notice error">Cannot move ${r.email}: <code>${r.code}</code> ${r.message}</p>`)}
    ${table('Before and after, per person', ['Person', 'Why', 'Before: next login', 'After: next login', 'Lock-out', 'Billing'], shown.map(row), 'Nobody changes how they log in.')}
    ${apart.length ? table('Apart: could not log in before either (deactivated or already locked out)', ['Person', 'Why', 'Before: next login', 'After: next login', 'Lock-out', 'Billing'], apart.map(row)) : ''}
  </section>`;
}

/** Rollout: pick a policy, add people or change settings, preview side by side, apply once nobody is locked out. */
export function rolloutRoutes(ctx: PageContext): Router {
  const router = Router();
  const { core } = ctx.services;

  const show = async (
    req: Request,
    res: Response,
    org: Organization,
    fields: Partial<RolloutFields>,
    extra: { errors?: Record<string, string>; preview?: Preview; change?: RolloutChange; notice?: { kind: 'ok' | 'error'; text: string } },
    status = 200,
  ) => {
    const [policies, people] = await Promise.all([
      core.call<Policy[]>('GET', orgPath(req, '/policies')),
      // The search box suggests the organization's people (the first thousand, by email).
      core.call<PeoplePage>('GET', orgPath(req, '/people?limit=1000')),
    ]);
    const errors = extra.errors ?? {};
    const policy = policies.find((p) => p.id === fields.policy);
    const value = (key: keyof RolloutFields) => (typeof fields[key] === 'string' ? fields[key] : '');
    const hidden = (preview: Preview) =>
      html`<form method="post" class="card apply" action="/orgs/${encodeURIComponent(org.id)}/rollout">
        ${csrfField(res)}<input type="hidden" name="action" value="apply" />
        ${(['policy', 'people', 'sso', 'twoStep', 'idleSession', 'billable'] as const).map((k) => html`<input type="hidden" name="${k}" value="${value(k)}" />`)}
        <div class="field">
          <input type="checkbox" id="confirm" name="confirm" value="yes" ${describedBy('confirm', errors)} />
          <label for="confirm"
            >I have read the preview: apply it to “${policy?.name ?? ''}” (${preview.summary.affected} people; it takes effect at each person’s next
            login).</label
          >${fieldError('confirm', errors)}
        </div>
        <button type="submit" class="primary">Apply this rollout</button>
      </form>`;
    const preview = extra.preview;
    await send(
      ctx,
      res,
      { title: 'Rollout', current: '/rollout', org, ...(extra.notice ? { notice: extra.notice } : {}) },
      html` <form method="post" class="card rollout" action="/orgs/${encodeURIComponent(org.id)}/rollout" novalidate>
          ${csrfField(res)}<input type="hidden" name="action" value="preview" />
          ${selectField({ name: 'policy', label: 'Policy', choices: policyChoices(policies), chosen: fields.policy, errors, required: true })}
          ${policy ? html`<small>Now: SSO ${policy.sso}, two-step ${policy.twoStep}, idle session ${minutesWords(policy.idleMinutes)}, ${policy.billable ? 'billable' : 'not billable'}.</small>` : ''}
          <div class="field wide">
            <label for="find">Find a person to add</label>
            <input id="find" name="find" type="search" list="people-emails" autocomplete="off" placeholder="email or name" />
            <datalist id="people-emails">
              ${people.people.map((p) => html`<option value="${p.email}">${p.displayName ?? ''} (${p.policy?.name ?? 'no policy'})</option>`)}
            </datalist>
          </div>
          <div class="field wide">
            <label for="people">People to add (emails, or a CSV with an <code>email</code> column; up to ${MAX_PEOPLE.toLocaleString('en')})</label>
            <textarea id="people" name="people" rows="5" ${describedBy('people', errors)}>${value('people')}</textarea>${fieldError('people', errors)}
            <label for="people-file">Or read a CSV file into the list</label>
            <input type="file" id="people-file" accept=".csv,text/csv,text/plain" data-into="people" />
          </div>
          <fieldset>
            <legend>Settings to change (leave unchanged to keep them)</legend>
            ${selectField({ name: 'sso', label: 'SSO', choices: [UNCHANGED, { value: 'enforced', label: 'enforced' }, { value: 'optional', label: 'optional' }, { value: 'disabled', label: 'disabled' }], chosen: value('sso'), errors })}
            ${selectField({ name: 'twoStep', label: 'Two-step verification', choices: [UNCHANGED, { value: 'mandatory', label: 'mandatory' }, { value: 'optional', label: 'optional' }, { value: 'idp', label: 'left to the IdP' }], chosen: value('twoStep'), errors })}
            ${inputField({ name: 'idleSession', label: 'Idle session timeout', value: value('idleSession'), placeholder: 'unchanged, or 30m, 8h, 30d', errors })}
            ${selectField({ name: 'billable', label: 'Billable', choices: UNCHANGED_YES_NO, chosen: value('billable'), errors })}
          </fieldset>
          ${errors.form ? html`<p class="field-error" role="alert">${errors.form}</p>` : ''}
          <button type="submit">Preview</button>
        </form>
        ${preview ? previewSection(preview) : ''}
        ${
          preview
            ? blocked(preview)
              ? html`<p class="notice error" role="alert" id="cannot-apply">
                  This rollout cannot be applied:
                  ${preview.summary.lockedOut ? `${preview.summary.lockedOut} locked out` : ''}${preview.warnings.length ? `, ${preview.warnings.length} warning(s)` : ''}${preview.refused.length ? `, ${preview.refused.length} cannot move` : ''}.
                  Fix that first (provision them from the IdP, or leave them out).
                </p>`
              : hidden(preview)
            : ''
        }`,
      status,
    );
  };

  router.get('/orgs/:orgId/rollout', async (req, res) => {
    const org = await orgOf(ctx, req);
    const q = req.query as Record<string, string | undefined>;
    const applied = q.applied && /^\d+$/.test(q.applied) ? Number(q.applied) : undefined;
    await show(
      req,
      res,
      org,
      { policy: q.policy ?? '' },
      applied === undefined ? {} : { notice: { kind: 'ok', text: `Applied: ${applied} people affected. It takes effect at each person’s next login.` } },
    );
  });

  router.post('/orgs/:orgId/rollout', async (req, res) => {
    const org = await orgOf(ctx, req);
    const { fields, change, errors } = checkRollout(req.body);
    if (!change) return show(req, res, org, fields, { errors }, 400);
    const policyPath = orgPath(req, `/policies/${encodeURIComponent(fields.policy!)}`);
    let preview: Preview;
    try {
      preview = await core.call<Preview>('POST', `${policyPath}/preview`, change);
    } catch (err) {
      // Core's refusal of the change itself (an unknown policy, settings its rules forbid): beside the form.
      if (err instanceof ApiError && err.status < 500)
        return show(req, res, org, fields, { errors: { form: `${err.code}: ${err.message.replace(/^core answered \d+ [\w-]+: /, '')}` } }, err.status);
      throw err;
    }
    if (fields.action !== 'apply') return show(req, res, org, fields, { preview, change });
    if (fields.confirm !== 'yes')
      return show(
        req,
        res,
        org,
        fields,
        { preview, change, errors: { confirm: 'Tick this box to confirm: the change takes effect at each person’s next login.' } },
        400,
      );
    if (blocked(preview))
      return show(
        req,
        res,
        org,
        fields,
        { preview, change, notice: { kind: 'error', text: 'Not applied: this rollout locks people out or cannot move them.' } },
        409,
      );
    const answer = await core.send<{ error?: { code: string; message: string } }>('POST', `${policyPath}/rollout`, change);
    if (answer.status !== 200)
      return show(
        req,
        res,
        org,
        fields,
        { preview, change, notice: { kind: 'error', text: `Not applied: ${answer.body.error?.code ?? answer.status} ${answer.body.error?.message ?? ''}` } },
        409,
      );
    res.redirect(303, `/orgs/${encodeURIComponent(org.id)}/rollout?policy=${encodeURIComponent(fields.policy!)}&applied=${preview.summary.affected}`);
  });
  return router;
}
