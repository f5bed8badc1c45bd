// What the gateway's benches share: a keep-alive HTTP client, a rate counter, the
// organization with an SSO pilot through the mock IdP, and a headless SSO login.
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

export const ADMIN_KEY = 'bench-admin-key-0123456789abcdef';

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** A keep-alive client: fetch's per-request cost would be measured instead of the gateway's. */
export function benchClient(maxSockets: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const request = (url: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}) =>
    new Promise<Answer>((resolve, reject) => {
      const req = http.request(
        url,
        {
          method: options.method ?? 'GET',
          agent,
          headers: { ...options.headers, ...(options.body ? { 'content-length': Buffer.byteLength(options.body) } : {}) },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
        },
      );
      req.on('error', reject);
      req.end(options.body);
    });
  /** A JSON call with the admin key; anything but 2xx throws. */
  const json = async (url: string, method: string, body?: unknown, key = ADMIN_KEY) => {
    const r = await request(url, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', accept: 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${r.text.slice(0, 300)}`);
    return r.text ? JSON.parse(r.text) : undefined;
  };
  return { request, json, close: () => agent.destroy() };
}

export type BenchClient = ReturnType<typeof benchClient>;

/** Runs `work` from `concurrency` loops for `seconds`; returns completions per second. */
export async function rate(seconds: number, concurrency: number, work: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  let count = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() - t0 < seconds * 1000) {
        await work();
        count++;
      }
    }),
  );
  return count / ((performance.now() - t0) / 1000);
}

/** An organization with an SSO pilot through the mock IdP, and Jira access for its one member, alice@bench.example. */
export async function ssoPilot(client: BenchClient, coreUrl: string, idpUrl: string, dataDir: string) {
  const { json } = client;
  const org = await json(`${coreUrl}/api/orgs`, 'POST', { name: 'Bench', plan: 'enterprise', admins: ['root@bench.example'] });
  const domain = await json(`${coreUrl}/api/orgs/${org.id}/domains`, 'POST', { name: 'bench.example' });
  await json(`${coreUrl}/_rehearsal/dns`, 'POST', { domain: 'bench.example', txt: domain.verification.dns.value });
  await json(`${coreUrl}/api/orgs/${org.id}/domains/${domain.id}/verify`, 'POST', { method: 'dns' });
  const directory = await json(`${coreUrl}/api/orgs/${org.id}/directories`, 'POST', { name: 'Mock IdP' });
  const saml = (await json(`${coreUrl}/api/orgs/${org.id}/directories/${directory.id}/saml`, 'PUT', {
    idpEntityId: `${idpUrl}/saml/metadata`,
    ssoUrl: `${idpUrl}/saml/sso`,
    certificate: readFileSync(join(dataDir, 'idp-signing.cert.pem'), 'utf8'),
  })) as { spEntityId: string; acsUrl: string };
  await json(`${coreUrl}/api/orgs/${org.id}/domains/${domain.id}/directory`, 'PUT', { directoryId: directory.id });
  const pilot = await json(`${coreUrl}/api/orgs/${org.id}/policies`, 'POST', { name: 'Pilot', directoryId: directory.id, sso: 'enforced' });
  const account = (await json(`${coreUrl}/api/accounts`, 'POST', { email: 'alice@bench.example', password: 'alice-long-passphrase-1' })) as { id: string };
  await json(`${coreUrl}/api/orgs/${org.id}/policies/${pilot.id}/members`, 'POST', { emails: ['alice@bench.example'] });
  await json(`${coreUrl}/api/orgs/${org.id}/products/jira-software`, 'PUT', { plan: 'standard' });
  await json(`${coreUrl}/api/orgs/${org.id}/products/jira-software/access`, 'POST', { emails: ['alice@bench.example'] });
  await json(`${idpUrl}/api/users`, 'POST', { email: 'alice@bench.example', givenName: 'Alice', surname: 'Bench' });
  await json(`${idpUrl}/api/service-providers`, 'POST', { entityId: saml.spEntityId, acsUrls: [saml.acsUrl] });
  return { saml, account };
}

/**
 * One complete SP-initiated login of alice, as a browser would make it, without a
 * browser: `gateway()` names the gateway each request goes to. The session cookie.
 */
export async function ssoLogin(client: BenchClient, gateway: () => string, idpUrl: string, saml: { spEntityId: string; acsUrl: string }): Promise<string> {
  const begin = await client.request(`${gateway()}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ email: 'alice@bench.example' }),
  });
  const issued = await client.json(`${idpUrl}/api/login`, 'POST', { sp: saml.spEntityId, user: 'alice@bench.example', authnRequest: begin.headers.location });
  const acs = new URL(saml.acsUrl);
  // The browser that started the login carries the cookie its AuthnRequest was bound to.
  const browser = String((begin.headers['set-cookie'] ?? []).find((c) => c.startsWith('rehearsal_gw_authn='))!.split(';')[0]);
  const done = await client.request(`${gateway()}${acs.pathname}${acs.search}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: browser },
    body: `SAMLResponse=${encodeURIComponent(issued.samlResponse)}&RelayState=%2F`,
  });
  if (done.status !== 303) throw new Error(`login failed: ${done.status} ${done.text.slice(0, 300)}`);
  return String((done.headers['set-cookie'] ?? []).find((c) => c.startsWith('rehearsal_gw_session='))!.split(';')[0]);
}
