/**
 * Gateway benchmark: core, the mock IdP and the gateway as real processes on
 * loopback. Prints authenticated product requests per second through the
 * gateway beside the same core endpoint called directly (target: at least 70%),
 * and complete SP-initiated logins per second through gateway, mock IdP and
 * core with a headless client. Never fails on a number.
 *
 *   npm run bench                 (from the root or gateway/)
 *   BENCH_SECONDS=2 npm run bench
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createPrivateKey } from 'node:crypto';
import { SignJWT } from 'jose';
import { freePort, waitUntilHealthy } from '@rehearsal/runtime/testing';
import { entryArgs } from '../../scripts/dist.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONCURRENCY = 8;
const ADMIN_KEY = 'bench-admin-key-0123456789abcdef';

const dir = mkdtempSync(join(tmpdir(), 'rehearsal-gateway-bench-'));
const [corePort, idpPort, gatewayPort] = [await freePort(), await freePort(), await freePort()];
const coreUrl = `http://127.0.0.1:${corePort}`;
const idpUrl = `http://127.0.0.1:${idpPort}`;
const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
const root = fileURLToPath(new URL('../..', import.meta.url));
const common = { REHEARSAL_DATA_DIR: dir, LOG_LEVEL: 'error' };
const children: ChildProcess[] = [];
/** A service as its own process: the compiled bundle (dist/, as npm run bench builds it), else its source through tsx. */
const start = (entry: string, env: Record<string, string>, nodeArgs: string[] = []) => {
  const child = spawn(process.execPath, [...nodeArgs, ...entryArgs(entry.split('/')[0] as 'core' | 'mock-idp' | 'gateway', root)], {
    env: { ...process.env, ...common, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  return child;
};

/** keep-alive client: fetch's per-request cost would be measured instead of the gateway's. */
const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY * 2 });
function request(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
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
}
const json = (url: string, method: string, body: unknown, key = ADMIN_KEY) =>
  request(url, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
  }).then((r) => {
    if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${r.text.slice(0, 300)}`);
    return r.text ? JSON.parse(r.text) : undefined;
  });

/** RSA-2048 signatures per second on one core, as `openssl speed` measures them in this run; undefined without openssl. */
function opensslSignRate(): number | undefined {
  const run = spawnSync('openssl', ['speed', '-seconds', '2', 'rsa2048'], { encoding: 'utf8' });
  const line = run.stdout?.split('\n').find((l) => l.startsWith('rsa 2048 bits'));
  return line ? Number(line.trim().split(/\s+/)[5]) : undefined;
}

/** Runs `work` from CONCURRENCY loops for SECONDS; returns completions per second. */
async function rate(concurrency: number, work: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  let count = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() - t0 < SECONDS * 1000) {
        await work();
        count++;
      }
    }),
  );
  return count / ((performance.now() - t0) / 1000);
}

try {
  start('core/src/main.ts', { CORE_PORT: String(corePort), CORE_ADMIN_KEY: ADMIN_KEY, GATEWAY_URL: gatewayUrl, CORE_DB: join(dir, 'core.sqlite') });
  start('mock-idp/src/main.ts', { IDP_PORT: String(idpPort), IDP_PUBLIC_URL: idpUrl });
  await Promise.all([waitUntilHealthy(coreUrl, 'core'), waitUntilHealthy(idpUrl, 'the mock IdP')]);
  start(
    'gateway/src/main.ts',
    { GATEWAY_PORT: String(gatewayPort), GATEWAY_PUBLIC_URL: gatewayUrl, CORE_URL: coreUrl },
    process.env.BENCH_GATEWAY_NODE_ARGS?.split(' ').filter(Boolean),
  );
  await waitUntilHealthy(gatewayUrl, 'the gateway');

  // An organization with an SSO pilot through the mock IdP, and Jira access for the pilot user.
  const org = await json(`${coreUrl}/api/orgs`, 'POST', { name: 'Bench', plan: 'enterprise', admins: ['root@bench.example'] });
  const domain = await json(`${coreUrl}/api/orgs/${org.id}/domains`, 'POST', { name: 'bench.example' });
  await json(`${coreUrl}/_rehearsal/dns`, 'POST', { domain: 'bench.example', txt: domain.verification.dns.value });
  await json(`${coreUrl}/api/orgs/${org.id}/domains/${domain.id}/verify`, 'POST', { method: 'dns' });
  const directory = await json(`${coreUrl}/api/orgs/${org.id}/directories`, 'POST', { name: 'Mock IdP' });
  const saml = await json(`${coreUrl}/api/orgs/${org.id}/directories/${directory.id}/saml`, 'PUT', {
    idpEntityId: `${idpUrl}/saml/metadata`,
    ssoUrl: `${idpUrl}/saml/sso`,
    certificate: readFileSync(join(dir, 'idp-signing.cert.pem'), 'utf8'),
  });
  await json(`${coreUrl}/api/orgs/${org.id}/domains/${domain.id}/directory`, 'PUT', { directoryId: directory.id });
  const pilot = await json(`${coreUrl}/api/orgs/${org.id}/policies`, 'POST', { name: 'Pilot', directoryId: directory.id, sso: 'enforced' });
  const account = await json(`${coreUrl}/api/accounts`, 'POST', { email: 'alice@bench.example', password: 'alice-long-passphrase-1' });
  await json(`${coreUrl}/api/orgs/${org.id}/policies/${pilot.id}/members`, 'POST', { emails: ['alice@bench.example'] });
  await json(`${coreUrl}/api/orgs/${org.id}/products/jira-software`, 'PUT', { plan: 'standard' });
  await json(`${coreUrl}/api/orgs/${org.id}/products/jira-software/access`, 'POST', { emails: ['alice@bench.example'] });
  await json(`${idpUrl}/api/users`, 'POST', { email: 'alice@bench.example', givenName: 'Alice', surname: 'Bench' });
  await json(`${idpUrl}/api/service-providers`, 'POST', { entityId: saml.spEntityId, acsUrls: [saml.acsUrl] });

  /** One complete SP-initiated login, as a browser would make it, without a browser. */
  const login = async (): Promise<string> => {
    const startLogin = await request(`${gatewayUrl}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ email: 'alice@bench.example' }),
    });
    const issued = await json(`${idpUrl}/api/login`, 'POST', { sp: saml.spEntityId, user: 'alice@bench.example', authnRequest: startLogin.headers.location });
    const acs = new URL(saml.acsUrl);
    // The browser that started the login carries the cookie its AuthnRequest was bound to.
    const browser = String((startLogin.headers['set-cookie'] ?? []).find((c) => c.startsWith('rehearsal_gw_authn='))!.split(';')[0]);
    const done = await request(`${gatewayUrl}${acs.pathname}${acs.search}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: browser },
      body: `SAMLResponse=${encodeURIComponent(issued.samlResponse)}&RelayState=%2F`,
    });
    if (done.status !== 303) throw new Error(`login failed: ${done.status} ${done.text.slice(0, 300)}`);
    return String((done.headers['set-cookie'] ?? []).find((c) => c.startsWith('rehearsal_gw_session='))!.split(';')[0]);
  };
  const cookie = await login();

  // Direct: core's endpoint with a token signed by the gateway's own key (read from its data directory).
  const key = createPrivateKey(readFileSync(join(dir, 'gateway-identity-key.pem'), 'utf8'));
  const kid = (await json(`${gatewayUrl}/.well-known/jwks.json`, 'GET', undefined)).keys[0].kid;
  const token = await new SignJWT({ email: 'alice@bench.example' })
    .setProtectedHeader({ alg: 'ES256', kid })
    .setIssuer(gatewayUrl)
    .setAudience('rehearsal-core')
    .setSubject(account.id)
    .setExpirationTime('10m')
    .sign(key);
  const direct = () =>
    request(`${coreUrl}/api/me/products/jira-software`, { headers: { authorization: `Bearer ${token}` } }).then(
      (r) => void (r.status === 200 || Promise.reject(new Error(`direct ${r.status}`))),
    );
  const through = () =>
    request(`${gatewayUrl}/api/products/jira`, { headers: { cookie, accept: 'application/json' } }).then(
      (r) => void (r.status === 200 || Promise.reject(new Error(`gateway ${r.status} ${r.text}`))),
    );
  for (let i = 0; i < 200; i++) await Promise.all([direct(), through()]);

  const cpu = (child: ChildProcess) => {
    const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  };
  const [coreProcess, , gatewayProcess] = children as [ChildProcess, ChildProcess, ChildProcess];
  let c0 = cpu(coreProcess);
  let t0 = performance.now();
  const directRate = await rate(CONCURRENCY, direct);
  const coreMsDirect = ((cpu(coreProcess) - c0) * 1000) / (directRate * ((performance.now() - t0) / 1000));
  c0 = cpu(coreProcess);
  const g0 = cpu(gatewayProcess);
  t0 = performance.now();
  const gatewayRate = await rate(CONCURRENCY, through);
  const requests = gatewayRate * ((performance.now() - t0) / 1000);
  const coreMsThrough = ((cpu(coreProcess) - c0) * 1000) / requests;
  const gatewayMs = ((cpu(gatewayProcess) - g0) * 1000) / requests;
  // Where a login's CPU goes: each process's CPU-seconds over the logins made (the client is this process).
  const [, idpProcess] = children as [ChildProcess, ChildProcess, ChildProcess];
  const before = { core: cpu(coreProcess), idp: cpu(idpProcess), gateway: cpu(gatewayProcess), client: process.cpuUsage() };
  t0 = performance.now();
  const loginRate = await rate(4, async () => void (await login()));
  const logins = loginRate * ((performance.now() - t0) / 1000);
  const clientUsage = process.cpuUsage(before.client);
  const perLogin = {
    gateway: ((cpu(gatewayProcess) - before.gateway) * 1000) / logins,
    idp: ((cpu(idpProcess) - before.idp) * 1000) / logins,
    core: ((cpu(coreProcess) - before.core) * 1000) / logins,
    client: (clientUsage.user + clientUsage.system) / 1000 / logins,
  };
  const signRate = opensslSignRate();
  console.log(`gateway bench (${SECONDS} s per figure, ${CONCURRENCY} clients, three processes on this machine)`);
  console.log(`  core product endpoint, called directly:      ${directRate.toFixed(0)} requests/s`);
  console.log(
    `  the same through the gateway (session+JWT):  ${gatewayRate.toFixed(0)} requests/s — ${((gatewayRate / directRate) * 100).toFixed(0)}% of direct (target: at least 70%)`,
  );
  console.log(
    `  CPU per request: core ${coreMsDirect.toFixed(2)} ms direct, ${coreMsThrough.toFixed(2)} ms behind the gateway; gateway ${gatewayMs.toFixed(2)} ms`,
  );
  console.log(`  complete SP-initiated logins (gateway, mock IdP, core, headless): ${loginRate.toFixed(0)} logins/s`);
  const total = perLogin.gateway + perLogin.idp + perLogin.core + perLogin.client;
  console.log(
    `  CPU per login: ${total.toFixed(2)} ms — gateway ${perLogin.gateway.toFixed(2)}, mock IdP ${perLogin.idp.toFixed(2)}, core ${perLogin.core.toFixed(2)}, client ${perLogin.client.toFixed(2)} (ms; two cores give at most ${(2000 / total).toFixed(0)} logins/s)`,
  );
  if (signRate) {
    console.log(`  RSA-2048 signatures per second on one core (openssl speed rsa2048): ${signRate.toFixed(0)}`);
    console.log(`  logins/s as a ratio of the signing rate: ${(loginRate / signRate).toFixed(3)} (target: at least 0.10)`);
    console.log(`  through the gateway as a share of direct: ${(gatewayRate / directRate).toFixed(2)} (target: at least 0.85)`);
  }
} finally {
  agent.destroy();
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(children.map((c) => new Promise((resolve) => (c.exitCode !== null ? resolve(null) : c.once('exit', resolve)))));
  rmSync(dir, { recursive: true, force: true });
}
