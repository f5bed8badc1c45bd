import { Router, type Request } from 'express';
import { z } from 'zod';
import { checkForm } from '../web/forms.ts';
import { html, query, type Html } from '../web/html.ts';
import { ANY, fieldError, inputField, selectField } from '../web/layout.ts';
import { prettyXml } from '../web/pretty-xml.ts';
import { orgOf, orgPath, send, type PageContext } from '../web/render.ts';

interface Step {
  at: string;
  service: 'gateway' | 'core' | 'idp';
  step: string;
  summary: string;
  reason?: string;
  xml?: string;
  checks?: string[];
}
interface Trace {
  id: string;
  version: number;
  startedAt: string;
  email: string | null;
  method: string;
  connectionId: string | null;
  requestId: string | null;
  outcome: 'pending' | 'logged-in' | 'refused';
  reason: string | null;
  steps: Step[];
}
interface LedgerEntry {
  time: string;
  direction: 'received' | 'sent';
  message: string;
  user?: string;
  id?: string;
  inResponseTo?: string;
  outcome: string;
  faults: { kind?: string }[];
}

const filters = z
  .object({
    person: z.string().max(320, 'At most 320 characters.').optional(),
    outcome: z.enum(['', 'logged-in', 'refused', 'pending'], 'Logged in, refused, pending or any.').optional(),
    after: z
      .string()
      .regex(/^\d{1,12}$/, 'A version number.')
      .optional(),
  })
  .strict();

const SERVICE_NAMES = { gateway: 'Gateway', core: 'Core', idp: 'IdP' } as const;

/** One step of a timeline: the gateway's record of it, or the IdP ledger's. */
const stepItem = (item: { step?: Step; entry?: LedgerEntry }) => {
  const { step: s, entry: e } = item;
  if (e)
    return html`<li class="step idp">
      <span class="service">IdP ledger</span> <span class="step-name">${e.direction} ${e.message}</span> ${e.user ?? ''} <code>${e.outcome}</code>${
        e.faults.length ? ` (faults: ${e.faults.map((f) => f.kind).join(', ')})` : ''
      }
    </li>`;
  if (!s) return '';
  return html`<li class="step ${s.service}">
    <span class="service">${SERVICE_NAMES[s.service]}</span>
    <span class="step-name">${s.step}</span> ${s.summary}${s.reason ? html` <code>${s.reason}</code>` : ''}
    ${
      s.checks
        ? html`<ul class="checks">
            ${s.checks.map((c) => html`<li>✓ ${c}</li>`)}
          </ul>`
        : ''
    }
    ${
      s.xml
        ? html`<details class="xml">
            <summary>${s.step === 'authn-request' ? 'AuthnRequest' : 'Response'}, decoded</summary>
            <pre><code>${prettyXml(s.xml)}</code></pre>
          </details>`
        : ''
    }
  </li>`;
};

/** One login's timeline: each step with its service, reason code, checks and SAML message, decoded and laid out. */
export function traceItem(trace: Trace, ledger: LedgerEntry[]): Html {
  // The IdP's own view of this login, from its ledger: the AuthnRequest it took, the Response it sent.
  const atIdp = trace.requestId ? ledger.filter((e) => e.id === trace.requestId || e.inResponseTo === trace.requestId) : [];
  const timeline = [...trace.steps.map((s) => ({ at: s.at, step: s })), ...atIdp.map((e) => ({ at: e.time, entry: e }))].sort(
    (a, b) => Date.parse(a.at) - Date.parse(b.at),
  );
  return html`<li class="login ${trace.outcome}" data-trace="${trace.id}" data-version="${trace.version}">
    <details>
      <summary>
        <time datetime="${trace.startedAt}">${trace.startedAt.replace('T', ' ').slice(0, 19)}</time> <strong>${trace.email ?? 'unknown person'}</strong> ·
        ${trace.method} · <span class="outcome">${trace.outcome}</span>${trace.reason ? html` <code>${trace.reason}</code>` : ''}
      </summary>
      <ol class="timeline">
        ${timeline.map(stepItem)}
      </ol>
    </details>
  </li>`;
}

/** Logins: a live trace of recent logins across the gateway, the IdP and core, filtered by person and outcome. */
export function loginRoutes(ctx: PageContext): Router {
  const router = Router();
  const { core, gateway, idp } = ctx.services;

  /** This organization's logins: people on its domains, or through its connections (a connection has its directory's id). */
  const traces = async (req: Request, chosen: z.output<typeof filters>) => {
    const [domains, directories, found] = await Promise.all([
      core.call<{ name: string }[]>('GET', orgPath(req, '/domains')),
      core.call<{ id: string }[]>('GET', orgPath(req, '/directories')),
      gateway.call<{ logins: Trace[]; version: number }>(
        'GET',
        `/api/logins${query({ email: chosen.person, outcome: chosen.outcome, after: chosen.after, limit: 100 })}`,
      ),
    ]);
    const names = new Set(domains.map((d) => d.name.toLowerCase()));
    const ids = new Set(directories.map((d) => d.id));
    const ours = found.logins.filter((t) => (t.email && names.has(t.email.slice(t.email.lastIndexOf('@') + 1))) || (t.connectionId && ids.has(t.connectionId)));
    // The IdP's side of these logins: its newest ledger entries (each holds a whole message), only as many as they can need.
    const asked = ours.filter((t) => t.requestId).length;
    const ledger = asked
      ? await idp.call<{ entries: LedgerEntry[] }>('GET', `/api/ledger?limit=${Math.min(1000, 20 + 4 * asked)}`).catch(() => ({ entries: [] as LedgerEntry[] }))
      : { entries: [] as LedgerEntry[] };
    return { logins: ours.reverse(), version: found.version, ledger: ledger.entries };
  };

  router.get('/orgs/:orgId/logins.json', async (req, res) => {
    const checked = checkForm(filters, req.query);
    if (!checked.ok) return void res.status(400).json({ error: { code: 'invalid-filter', message: Object.values(checked.errors).join(' ') } });
    await orgOf(ctx, req);
    const { logins, version, ledger } = await traces(req, checked.value);
    res.json({ version, items: logins.map((t) => ({ id: t.id, html: traceItem(t, ledger).text })) });
  });

  router.get('/orgs/:orgId/logins', async (req, res) => {
    const org = await orgOf(ctx, req);
    const checked = checkForm(filters, req.query);
    const errors = checked.ok ? {} : checked.errors;
    const chosen = checked.ok ? checked.value : {};
    const { logins, version, ledger } = await traces(req, chosen);
    const live = `/orgs/${encodeURIComponent(org.id)}/logins.json${query({ person: chosen.person, outcome: chosen.outcome })}`;
    await send(
      ctx,
      res,
      { title: 'Logins', current: '/logins', org },
      html`<form method="get" class="card filters" role="search" aria-label="Filter logins">
          ${inputField({ name: 'person', label: 'Person', type: 'search', value: chosen.person ?? '', placeholder: 'email or part of it', errors })}
          ${selectField({ name: 'outcome', label: 'Outcome', choices: [ANY, { value: 'logged-in', label: 'logged in' }, { value: 'refused', label: 'refused' }, { value: 'pending', label: 'pending' }], chosen: chosen.outcome, errors })}
          ${errors.after ? fieldError('after', errors) : ''}
          <div class="field"><button type="submit">Filter</button></div>
        </form>
        <p id="logins-live" role="status" aria-live="polite">Newest first; new logins appear here as they happen.</p>
        <ol class="logins" id="logins" data-live="${live}" data-version="${version}">
          ${logins.map((t) => traceItem(t, ledger))}
        </ol>
        ${logins.length ? '' : html`<p id="no-logins">No login yet: log someone in at <a href="${ctx.services.urls.gateway}/login">${ctx.services.urls.gateway}/login</a>.</p>`}`,
      checked.ok ? 200 : 400,
    );
  });
  return router;
}
