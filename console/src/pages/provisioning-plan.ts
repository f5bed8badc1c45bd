import type { Request } from 'express';
import { PROFILE_ATTRIBUTES, textOf } from '@rehearsal/runtime/client';
import type { Services } from '../services.ts';
import { html, query, type Html } from '../web/html.ts';
import { fieldError, table } from '../web/layout.ts';
import type { Organization } from '../web/render.ts';
import { planPage, PLAN_PAGE, sourceOf, type Target } from './provisioning-data.ts';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:';

/** A SCIM path as it fits a table: the enterprise extension's long URN shortened, whole in its title. */
const pathWords = (path: string) => (path.startsWith(ENTERPRISE) ? html`<abbr title="${path}">enterprise:${path.slice(ENTERPRISE.length)}</abbr>` : path);

/**
 * The next cycle's plan as a diff, one page of people: person x attribute, the IdP's
 * value and the product's, the change, and who wrote the product's value; then the
 * group changes.
 */
export async function planSection(
  services: Services,
  req: Request,
  org: Organization,
  target: Target,
  pageNumber: number,
  errors: Record<string, string>,
): Promise<Html> {
  const base = `/orgs/${encodeURIComponent(org.id)}/provisioning`;
  const { plan, users, changing, overwrites } = await planPage(services, req, target, pageNumber);
  const pages = Math.max(1, Math.ceil(changing / PLAN_PAGE));
  const overwriteOf = new Map(overwrites.map((o) => [`${o.user.toLowerCase()} ${o.field}`, o]));
  const rows = users.flatMap((u) => {
    const changed = u.attributes.filter((a) => a.change !== 'unchanged');
    const list = changed.length ? changed : [undefined];
    return list.map((a, i) => {
      const field = a ? PROFILE_ATTRIBUTES[a.path] : undefined;
      const over = field ? overwriteOf.get(`${u.user.toLowerCase()} ${field}`) : undefined;
      return html`<tr class="${a?.change === 'overwrite' || over ? 'overwrite' : ''}">
        ${
          i === 0
            ? html`<td rowspan="${list.length}">${u.user}</td>
                <td rowspan="${list.length}">${u.operation}</td>`
            : ''
        }
        <td>${a ? pathWords(a.path) : '-'}</td>
        <td>${a ? textOf(a.desired) : ''}</td>
        <td>${a ? textOf(over?.product ?? a.current) : ''}</td>
        <td>
          ${a ? html`<span class="change ${a.change}">${over && a.change !== 'overwrite' ? `${a.change}, overwrites the product` : a.change}</span>` : ''}
        </td>
        <td>${a ? sourceOf(a, over) : ''}</td>
      </tr>`;
    });
  });
  const summary =
    Object.entries(plan.summary)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'nothing to do';
  return html`<section class="card" id="plan">
    <h2>Next cycle’s plan</h2>
    <p class="summary" id="plan-summary">Target ${target.name ?? target.id} (${target.baseUrl}): ${summary}.</p>
    ${errors.page ? html`<p>${fieldError('page', errors)}</p>` : ''}
    ${table(`Attributes, person by person (${changing} people change${changing > PLAN_PAGE ? `; page ${pageNumber} of ${pages}` : ''})`, ['Person', 'Operation', 'Attribute', 'IdP value', 'Product value', 'Change', 'Product value came from'], rows, 'Nobody changes.')}
    ${pages > 1 ? html`<nav class="pager" aria-label="Pages of the plan">${pageNumber > 1 ? html`<a href="${base}${query({ target: target.id, page: pageNumber - 1 })}" rel="prev">Previous</a>` : ''} <span>Page ${pageNumber} of ${pages}</span> ${pageNumber < pages ? html`<a href="${base}${query({ target: target.id, page: pageNumber + 1 })}" rel="next">Next</a>` : ''}</nav>` : ''}
    ${table(
      'Group changes',
      ['Group', 'Operation', 'Members added', 'Members removed'],
      plan.groups
        .filter((g) => g.operation !== 'none')
        .map(
          (g) =>
            html`<tr>
              <td>${g.group}</td>
              <td>${g.operation}</td>
              <td>${g.addMembers.length}</td>
              <td>${g.removeMembers.length}</td>
            </tr>`,
        ),
      'No group changes.',
    )}
  </section>`;
}
