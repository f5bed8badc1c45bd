import { X509Certificate } from 'node:crypto';
import { Router } from 'express';
import type { ClockState } from '@rehearsal/runtime/client';
import { html } from '../web/html.ts';
import { table } from '../web/layout.ts';
import { orgOf, orgPath, send, type PageContext } from '../web/render.ts';

interface Domain {
  id: string;
  name: string;
  status: string;
  method: string | null;
  verifiedAt: string | null;
  directoryId: string | null;
}
interface Directory {
  id: string;
  name: string;
  kind: 'local' | 'idp';
}
interface Connection {
  idpEntityId: string;
  ssoUrl: string;
  certificate: string;
  lastLoginAt: string | null;
  updatedAt: string;
  spEntityId?: string;
}
interface Policy {
  id: string;
  name: string;
  directoryId: string;
  isDefault: boolean;
  sso: string;
  twoStep: string;
  idleMinutes: number;
  sessionExpiryMinutes: number | null;
  billable: boolean;
  memberCount?: number;
  members?: number;
}
interface Target {
  id: string;
  name?: string;
  baseUrl: string;
  profile: string;
  provisioned: { users: number; groups: number };
  quarantine: unknown;
  running: unknown;
}

const DAY = 86_400_000;

/** A certificate's expiry, in words, on the stack's clock (an advanced clock can expire it). */
function certificateWords(pem: string, now: number): { text: string; warn: boolean } {
  try {
    const validTo = Date.parse(new X509Certificate(pem).validTo);
    const days = Math.floor((validTo - now) / DAY);
    if (days < 0) return { text: `expired ${new Date(validTo).toISOString().slice(0, 10)}`, warn: true };
    return { text: `expires ${new Date(validTo).toISOString().slice(0, 10)} (in ${days} days)`, warn: days < 30 };
  } catch {
    return { text: 'unreadable certificate', warn: true };
  }
}

const ago = (iso: string | null, now: number) => {
  if (!iso) return 'never';
  const minutes = Math.round((now - Date.parse(iso)) / 60_000);
  if (minutes < 60) return `${minutes} min ago`;
  if (minutes < 2 * 1440) return `${Math.round(minutes / 60)} h ago`;
  return `${Math.round(minutes / 1440)} days ago`;
};

export const minutesWords = (minutes: number | null) =>
  minutes === null ? 'none' : minutes % 1440 === 0 ? `${minutes / 1440}d` : minutes % 60 === 0 ? `${minutes / 60}h` : `${minutes}m`;

/** Overview: the organization, its subscription, domains, directories and connections, SCIM targets, policies. */
export function overviewRoutes(ctx: PageContext): Router {
  const router = Router();
  const { core, idp } = ctx.services;

  router.get('/orgs/:orgId', async (req, res) => {
    const org = await orgOf(ctx, req);
    const [domains, directories, policies, targets, clock] = await Promise.all([
      core.call<Domain[]>('GET', orgPath(req, '/domains')),
      core.call<Directory[]>('GET', orgPath(req, '/directories')),
      core.call<Policy[]>('GET', orgPath(req, '/policies')),
      idp.call<{ targets: Target[] }>('GET', '/api/provisioning/targets').catch(() => ({ targets: [] as Target[] })),
      core.call<ClockState>('GET', '/_rehearsal/clock'),
    ]);
    const now = Date.parse(clock.now);
    const connections = await Promise.all(
      directories.map(async (d) =>
        d.kind === 'idp' ? await core.send<Connection>('GET', orgPath(req, `/directories/${encodeURIComponent(d.id)}/saml`)) : undefined,
      ),
    );
    const directoryName = new Map(directories.map((d) => [d.id, d.name]));
    // Only the targets that provision this organization's directories.
    const ours = targets.targets.filter((t) => directories.some((d) => t.baseUrl.includes(`/scim/directory/${d.id}`)));

    await send(
      ctx,
      res,
      { title: `Overview of ${org.name}`, current: '', org },
      html` <section class="card">
          <h2>Organization</h2>
          <dl class="facts">
            <dt>Plan</dt>
            <dd>${org.plan}</dd>
            <dt>Atlassian Guard</dt>
            <dd>
              ${org.guard === 'included-in-enterprise-plan' ? 'included in the Enterprise plan' : org.guard === 'subscribed' ? 'subscribed' : 'none: no SSO, no provisioning, one policy'}
            </dd>
          </dl>
        </section>
        ${table(
          'Domains',
          ['Domain', 'Status', 'How', 'Linked directory'],
          domains.map(
            (d) =>
              html`<tr>
                <td>${d.name}</td>
                <td><span class="tag ${d.status}">${d.status === 'verified' ? 'verified (claimed)' : d.status}</span></td>
                <td>${d.method ?? '-'}${d.verifiedAt ? `, ${d.verifiedAt.slice(0, 10)}` : ''}</td>
                <td>${d.directoryId ? directoryName.get(d.directoryId) : '-'}</td>
              </tr>`,
          ),
          'No domain claimed yet.',
        )}
        ${table(
          'Directories and SAML connections',
          ['Directory', 'Kind', 'IdP', 'Metadata', 'Certificate', 'Last SSO login'],
          directories.map((d, i) => {
            const reply = connections[i];
            const connection = reply && reply.status === 200 ? reply.body : undefined;
            if (!connection)
              return html`<tr>
                <td>${d.name}</td>
                <td>${d.kind === 'idp' ? 'identity provider' : 'local'}</td>
                <td colspan="4">${d.kind === 'idp' ? 'no SAML connection yet' : '-'}</td>
              </tr>`;
            const cert = certificateWords(connection.certificate, now);
            return html`<tr>
              <td>${d.name}</td>
              <td>identity provider</td>
              <td>${connection.idpEntityId}<br /><small>${connection.ssoUrl}</small></td>
              <td>updated ${ago(connection.updatedAt, now)}</td>
              <td class="${cert.warn ? 'bad' : ''}">${cert.text}</td>
              <td>${ago(connection.lastLoginAt, now)}</td>
            </tr>`;
          }),
        )}
        ${table(
          'SCIM provisioning (mock IdP targets)',
          ['Target', 'SCIM base URL', 'Profile', 'Provisioned', 'State'],
          ours.map(
            (t) =>
              html`<tr>
                <td><a href="/orgs/${encodeURIComponent(org.id)}/provisioning?target=${encodeURIComponent(t.id)}">${t.name ?? t.id}</a></td>
                <td>${t.baseUrl}</td>
                <td>${t.profile}</td>
                <td>${t.provisioned.users} users, ${t.provisioned.groups} groups</td>
                <td>${t.quarantine ? html`<span class="bad">quarantined</span>` : t.running ? 'cycle running' : 'idle'}</td>
              </tr>`,
          ),
          'No SCIM target provisions this organization.',
        )}
        ${table(
          'Authentication policies',
          ['Policy', 'Directory', 'SSO', 'Two-step', 'Idle session', 'Session expiry', 'Billable', 'Members'],
          policies.map(
            (p) =>
              html`<tr>
                <td>
                  <a href="/orgs/${encodeURIComponent(org.id)}/rollout?policy=${encodeURIComponent(p.id)}">${p.name}</a
                  >${p.isDefault ? html` <span class="tag">default</span>` : ''}
                </td>
                <td>${directoryName.get(p.directoryId)}</td>
                <td>${p.sso}</td>
                <td>${p.twoStep}</td>
                <td>${minutesWords(p.idleMinutes)}</td>
                <td>${minutesWords(p.sessionExpiryMinutes)}</td>
                <td>${p.billable ? 'yes' : 'no'}</td>
                <td><a href="/orgs/${encodeURIComponent(org.id)}/people?policy=${encodeURIComponent(p.id)}">${p.memberCount ?? p.members ?? 0}</a></td>
              </tr>`,
          ),
        )}`,
    );
  });
  return router;
}
