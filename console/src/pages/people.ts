import { Router } from 'express';
import type { PeoplePage, Person } from '@rehearsal/core/client';
import { z } from 'zod';
import { checkForm, pageParam, reasonParam } from '../web/forms.ts';
import { html, query } from '../web/html.ts';
import { ANY, fieldError, inputField, selectField, table, UNCHANGED_YES_NO } from '../web/layout.ts';
import { orgOf, orgPath, send, type PageContext } from '../web/render.ts';

/** People shown per page: a page of the 4,005 people of billing-surprise renders at once. */
export const PAGE_SIZE = 100;

const filters = z
  .object({
    q: z.string().max(320, 'At most 320 characters.').optional(),
    policy: z.string().max(64).optional(),
    directory: z.string().max(64).optional(),
    billable: z.enum(['', 'true', 'false'], 'Choose yes, no or any.').optional(),
    reason: reasonParam,
    page: pageParam,
  })
  .strict();

/** One row of a person: where they sit, how they log in next and why, what they cost and why. */
export const personRow = (p: Person) =>
  html`<tr class="${p.login.next === 'locked-out' ? 'locked' : ''}">
    <td>${p.email}${p.admin ? html` <span class="tag admin">admin</span>` : ''}${p.displayName ? html`<br /><small>${p.displayName}</small>` : ''}</td>
    <td>${p.directory?.name ?? '-'}</td>
    <td>${p.policy?.name ?? '-'}</td>
    <td>${p.managed ? 'managed' : 'not managed'}${p.active ? '' : html`<br /><span class="tag">deactivated</span>`}</td>
    <td>${p.twoStepEnrolled ? 'enrolled' : 'not enrolled'}</td>
    <td>${p.lastLoginAt ? p.lastLoginAt.replace('T', ' ').slice(0, 16) : 'never'}</td>
    <td>${p.billable ? 'billable' : 'not billable'}<br /><code>${p.billingReason}</code></td>
    <td>${p.login.next}<br /><code title="${p.login.message}">${p.login.reason}</code></td>
  </tr>`;

export const PEOPLE_HEADERS = ['Person', 'Directory', 'Policy', 'Managed', 'Two-step', 'Last login', 'Billable (why)', 'Next login (reason)'];

/** People: every account, its next login with core's reason code, filters and pages. */
export function peopleRoutes(ctx: PageContext): Router {
  const router = Router();

  router.get('/orgs/:orgId/people', async (req, res) => {
    const org = await orgOf(ctx, req);
    const checked = checkForm(filters, req.query);
    const errors = checked.ok ? {} : checked.errors;
    // A bad filter is said beside its field and left out; the others still apply.
    const raw = req.query as Record<string, string>;
    const chosen = Object.fromEntries(Object.entries(raw).filter(([key]) => !errors[key] && key in filters.shape)) as z.output<typeof filters>;
    const pageNumber = Number(chosen.page ?? 1);
    const found = await ctx.services.core.call<PeoplePage>(
      'GET',
      orgPath(
        req,
        `/people${query({ q: chosen.q, policy: chosen.policy, directory: chosen.directory, billable: chosen.billable, reason: chosen.reason, limit: PAGE_SIZE, offset: (pageNumber - 1) * PAGE_SIZE })}`,
      ),
    );
    const pages = Math.max(1, Math.ceil(found.total / PAGE_SIZE));
    const link = (n: number) => `/orgs/${encodeURIComponent(org.id)}/people${query({ ...chosen, page: n === 1 ? undefined : n })}`;
    const reasons = [...new Set([...Object.keys(found.facets.loginReasons), ...Object.keys(found.facets.billingReasons)])].sort();
    await send(
      ctx,
      res,
      { title: 'People', current: '/people', org },
      html` <form method="get" class="filters card" role="search" aria-label="Filter people">
          ${inputField({ name: 'q', label: 'Search', type: 'search', value: chosen.q ?? '', placeholder: 'email or name', errors })}
          ${selectField({ name: 'policy', label: 'Policy', choices: [ANY, ...found.facets.policies.map((p) => ({ value: p.id, label: `${p.name} (${p.count})` }))], chosen: chosen.policy, errors })}
          ${selectField({ name: 'directory', label: 'Directory', choices: [ANY, ...found.facets.directories.map((d) => ({ value: d.id, label: `${d.name} (${d.count})` }))], chosen: chosen.directory, errors })}
          ${selectField({ name: 'billable', label: 'Billable', choices: [ANY, ...UNCHANGED_YES_NO.slice(1)], chosen: chosen.billable, errors })}
          ${selectField({ name: 'reason', label: 'Reason', choices: [ANY, ...reasons.map((r) => ({ value: r, label: `${r} (${(found.facets.loginReasons[r] ?? 0) + (found.facets.billingReasons[r] ?? 0)})` }))], chosen: chosen.reason, errors })}
          ${errors.page ? html`<div class="field">${fieldError('page', errors)}</div>` : ''}
          <div class="field"><button type="submit">Filter</button> <a href="/orgs/${encodeURIComponent(org.id)}/people">Clear</a></div>
        </form>
        <p class="count" id="people-count">${found.total} of ${found.all} people${found.total > PAGE_SIZE ? `, page ${pageNumber} of ${pages}` : ''}.</p>
        ${table('People', PEOPLE_HEADERS, found.people.map(personRow), 'Nobody matches these filters.')}
        ${
          pages > 1
            ? html`<nav class="pager" aria-label="Pages of people">
                ${pageNumber > 1 ? html`<a href="${link(pageNumber - 1)}" rel="prev">Previous</a>` : ''}
                <span>Page ${pageNumber} of ${pages}</span> ${pageNumber < pages ? html`<a href="${link(pageNumber + 1)}" rel="next">Next</a>` : ''}
              </nav>`
            : ''
        }`,
      checked.ok ? 200 : 400,
    );
  });
  return router;
}
