import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { AccountBilling, BillingReport } from '@rehearsal/runtime/client';
import { checkForm, pageParam, reasonParam } from '../web/forms.ts';
import { html, query, type Html } from '../web/html.ts';
import { table } from '../web/layout.ts';
import { formOf, csrfField, orgOf, orgPath, send, type Organization, type PageContext } from '../web/render.ts';
import { reasonChart } from './billing-chart.ts';
import { whatIfFields } from './billing-what-if.ts';
import { directoryOf, targetPath, targetsOf } from './provisioning-data.ts';
import { checkRollout } from './rollout-form.ts';
import { blocked, type Preview } from './rollout.ts';

type Report = BillingReport & { accounts: AccountBilling[] };

const LIST_PAGE = 100;
const listQuery = z
  .object({
    reason: reasonParam,
    page: pageParam,
    pending: z.literal('1', 'pending=1 works out the bill after the pending cycle.').optional(),
  })
  .strict();

/** A CSV field: quoted when it must be, and never a formula a spreadsheet would run. */
const csvField = (value: string) => {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
};

/** What the pending provisioning cycle does to the bill: the accounts it links land in the directory's default policy (core's rule), previewed by core. */
async function provisioningWhatIf(ctx: PageContext, req: Request): Promise<{ preview: Preview; policy: string; newAccounts: number } | undefined> {
  const [target] = await targetsOf(ctx.services, req);
  if (!target) return undefined;
  const plan = await ctx.services.idp.call<{ users: { user: string; operation: string }[] }>('POST', targetPath(target, '/plan'), { kind: 'incremental' });
  const emails = plan.users.filter((u) => u.operation === 'create' || u.operation === 'update').map((u) => u.user.toLowerCase());
  const policies = await ctx.services.core.call<{ id: string; name: string; directoryId: string; isDefault: boolean }[]>('GET', orgPath(req, '/policies'));
  const landing = policies.find((p) => p.isDefault && p.directoryId === directoryOf(target));
  if (!landing || !emails.length) return undefined;
  const preview = await ctx.services.core.call<Preview>('POST', orgPath(req, `/policies/${encodeURIComponent(landing.id)}/preview`), {
    addMembers: emails.slice(0, 10_000),
  });
  return { preview, policy: landing.name, newAccounts: preview.refused.filter((r) => r.code === 'account-not-found').length };
}

/** The pending cycle's bill, in words. */
async function pendingWhatIf(ctx: PageContext, req: Request): Promise<Html> {
  const pending = await provisioningWhatIf(ctx, req);
  if (!pending) return html`<p id="what-if-provisioning">No pending provisioning changes.</p>`;
  return html`<p id="what-if-provisioning">
    Its accounts land in “${pending.policy}”: billable users
    ${delta(pending.preview)}.${pending.newAccounts ? ` ${pending.newAccounts} new accounts are not counted (no product access yet).` : ''}
  </p>`;
}

const delta = (p: Preview) =>
  html`${p.billing.before} → <strong>${p.billing.after}</strong> (<span class="${p.billing.delta > 0 ? 'bad' : ''}"
      >${p.billing.delta >= 0 ? '+' : ''}${p.billing.delta}</span
    >)`;

/** Billing: billable users by reason as a chart, the list behind each bar, the bill after the pending cycle or a rollout, CSV. */
export function billingRoutes(ctx: PageContext): Router {
  const router = Router();
  const { core } = ctx.services;

  const show = async (req: Request, res: Response, org: Organization, whatIf: Html | string, errors: Record<string, string> = {}, status = 200) => {
    const checked = checkForm(listQuery, req.query);
    const listErrors = checked.ok ? {} : checked.errors;
    const chosen = checked.ok ? checked.value : {};
    // The pending cycle's bill needs the IdP's whole plan (seconds for thousands of users): the page's
    // script fetches it once the page is shown; without the script, `?pending=1` works it out here.
    const inline = (req.query as Record<string, string | undefined>).pending === '1';
    const [report, pending, policies] = await Promise.all([
      core.call<Report>('GET', orgPath(req, '/billing?accounts=true')),
      inline ? pendingWhatIf(ctx, req) : undefined,
      core.call<{ id: string; name: string }[]>('GET', orgPath(req, '/policies')),
    ]);
    const base = `/orgs/${encodeURIComponent(org.id)}/billing`;
    const billableReasons = new Set(report.accounts.filter((a) => a.billable).map((a) => a.reason));
    const listed = chosen.reason ? report.accounts.filter((a) => a.reason === chosen.reason) : [];
    const pageNumber = Number(chosen.page ?? 1);
    const pages = Math.max(1, Math.ceil(listed.length / LIST_PAGE));
    await send(
      ctx,
      res,
      { title: 'Billing', current: '/billing', org },
      html` <div class="columns">
          <section class="card">
            <h2>Now</h2>
            <p class="summary" id="billable-count">
              Billable users: <strong>${report.billableCount}</strong>, estimate $${report.estimate.monthly}/month (${report.estimate.basis}).
            </p>
            ${report.ifSubscribed ? html`<p>No Atlassian Guard subscription: nothing is billed for it. With one, ${report.ifSubscribed.billableCount} users would be ($${report.ifSubscribed.monthly}/month).</p>` : ''}
            ${reasonChart(report.byReason, billableReasons, (reason) => `${base}${query({ reason })}#list`)}
            ${table(
              'Users by reason',
              ['Reason', 'Users'],
              Object.entries(report.byReason).map(
                ([reason, count]) =>
                  html`<tr>
                    <td><a href="${base}${query({ reason })}#list">${reason}</a></td>
                    <td data-reason-count="${reason}">${count}</td>
                  </tr>`,
              ),
            )}
            <p><a href="${base}.csv" download>Export every account as CSV</a></p>
          </section>
          <section class="card what-if" aria-labelledby="what-if-title">
            <h2 id="what-if-title">What if</h2>
            <h3>After the pending provisioning cycle</h3>
            ${
              pending ??
              html`<p id="what-if-provisioning" data-fill="${base}/pending.json" aria-live="polite">
                <a href="${base}?pending=1">Work out the bill after the pending cycle</a>
              </p>`
            }
            <h3>After a rollout</h3>
            <form method="post" action="${base}/what-if" class="stacked">
              ${csrfField(res)} ${whatIfFields(policies, req.method === 'POST' ? formOf(req) : {}, errors)}
              <button type="submit">Show the bill</button>
            </form>
            ${whatIf}
          </section>
        </div>
        <section class="card" id="list">
          <h2>${chosen.reason ? html`Accounts with reason <code>${chosen.reason}</code> (${listed.length})` : 'Accounts behind a bar'}</h2>
          ${Object.keys(listErrors).length ? html`<p class="field-error" role="alert">${Object.values(listErrors).join(' ')}</p>` : ''}
          ${
            chosen.reason
              ? html`${table(
                  `Accounts: ${chosen.reason}`,
                  ['Email', 'Billable', 'Products', 'Why'],
                  listed.slice((pageNumber - 1) * LIST_PAGE, pageNumber * LIST_PAGE).map(
                    (a) =>
                      html`<tr>
                        <td>${a.email}</td>
                        <td>${a.billable ? 'yes' : 'no'}</td>
                        <td>${a.products.join(', ')}</td>
                        <td>${a.message}</td>
                      </tr>`,
                  ),
                  'No account has this reason.',
                )}
                ${pages > 1 ? html`<nav class="pager" aria-label="Pages of accounts">${pageNumber > 1 ? html`<a href="${base}${query({ reason: chosen.reason, page: pageNumber - 1 })}#list" rel="prev">Previous</a>` : ''} <span>Page ${pageNumber} of ${pages}</span> ${pageNumber < pages ? html`<a href="${base}${query({ reason: chosen.reason, page: pageNumber + 1 })}#list" rel="next">Next</a>` : ''}</nav>` : ''}`
              : html`<p>Choose a bar or a reason to see its accounts.</p>`
          }
        </section>`,
      Object.keys(listErrors).length ? 400 : status,
    );
  };

  router.get('/orgs/:orgId/billing', async (req, res) => show(req, res, await orgOf(ctx, req), ''));

  /** The pending cycle's bill, for the page's script to fill in. */
  router.get('/orgs/:orgId/billing/pending.json', async (req, res) => {
    await orgOf(ctx, req);
    res.json({ html: (await pendingWhatIf(ctx, req)).text });
  });

  router.post('/orgs/:orgId/billing/what-if', async (req, res) => {
    const org = await orgOf(ctx, req);
    const { change, errors } = checkRollout({ ...formOf(req), action: 'preview' });
    if (!change) return show(req, res, org, '', errors, 400);
    const preview = await core.send<Preview & { error?: { code: string; message: string } }>(
      'POST',
      orgPath(req, `/policies/${encodeURIComponent(String(formOf(req).policy))}/preview`),
      change,
    );
    if (preview.status !== 200)
      return show(req, res, org, '', { form: `${preview.body.error?.code}: ${preview.body.error?.message}` }, preview.status >= 500 ? 502 : preview.status);
    const p = preview.body;
    await show(
      req,
      res,
      org,
      html`<p id="what-if-rollout" role="status">
          After this rollout: billable users
          ${delta(p)}${blocked(p) ? html`; <span class="bad">it would lock ${p.summary.lockedOut} out, so it cannot be applied as it is</span>` : ''}.
        </p>
        ${table(
          'Whose bill changes',
          ['Email', 'Before', 'After'],
          p.billing.changes.slice(0, 100).map(
            (c) =>
              html`<tr>
                <td>${c.email}</td>
                <td><code>${c.before.reason}</code></td>
                <td><code>${c.after.reason}</code></td>
              </tr>`,
          ),
          'Nobody’s bill changes.',
        )}`,
    );
  });

  router.get('/orgs/:orgId/billing.csv', async (req, res) => {
    const report = await core.call<Report>('GET', orgPath(req, '/billing?accounts=true'));
    const lines = [
      'email,billable,reason,products',
      ...report.accounts.map((a) => [a.email, String(a.billable), a.reason, a.products.join(' ')].map(csvField).join(',')),
    ];
    res
      .type('text/csv')
      .attachment('billing.csv')
      .send(lines.join('\r\n') + '\r\n');
  });
  return router;
}
