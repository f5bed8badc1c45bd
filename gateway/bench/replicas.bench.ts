/**
 * Shared-staging benchmark: gateways on Redis. Prints, in one run on this
 * machine:
 *   - complete SP-initiated logins per second with one gateway and with two
 *     (each request of a login to the next gateway in turn, as HAProxy does);
 *   - product requests per second through one gateway and through two;
 *   - memory per 100,000 live sessions in Redis against in a gateway's memory.
 * Core (SQLite), the mock IdP, Redis and the gateways are real processes on
 * loopback. Never fails on a number.
 *
 *   npm run bench                 (from the root or gateway/)
 *   BENCH_SECONDS=2 npm run bench
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { ControllableClock, redisState } from '@rehearsal/runtime';
import { freePort, serversMissing, startRedis, waitUntilHealthy } from '@rehearsal/runtime/testing';
import { entryArgs } from '../../scripts/dist.mjs';
import { RedisSessionStore } from '../src/sessions/redis-session-store.ts';
import { MemorySessionStore, type Session } from '../src/sessions/session-store.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const SESSIONS = 100_000;
const ADMIN_KEY = 'bench-admin-key-0123456789abcdef';

const missing = serversMissing();
if (missing) {
  console.log(`shared-staging bench: not measured, ${missing}`);
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), 'rehearsal-replicas-bench-'));
const redis = await startRedis();
const [corePort, idpPort, publicPort, gateway1Port, gateway2Port] = await Promise.all(Array.from({ length: 5 }, () => freePort()));
const coreUrl = `http://127.0.0.1:${corePort}`;
const idpUrl = `http://127.0.0.1:${idpPort}`;
// What browsers would reach (HAProxy in `up --replicas`); the client here hands each request to a gateway itself.
const publicUrl = `http://127.0.0.1:${publicPort}`;
const gateways = [gateway1Port, gateway2Port].map((p) => `http://127.0.0.1:${p}`);
const root = fileURLToPath(new URL('../..', import.meta.url));
const children: ChildProcess[] = [];
const start = (entry: 'core' | 'mock-idp' | 'gateway', env: Record<string, string>) => {
  const child = spawn(process.execPath, entryArgs(entry, root), {
    env: { ...process.env, REHEARSAL_DATA_DIR: dir, LOG_LEVEL: 'error', DATABASE_URL: '', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  return child;
};

const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
function request(url: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }>((resolve, reject) => {
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
const json = async (url: string, method: string, body?: unknown) => {
  const r = await request(url, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json', accept: 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${r.text.slice(0, 300)}`);
  return r.text ? JSON.parse(r.text) : undefined;
};

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

/** Bytes Redis holds for data (INFO memory's used_memory). */
async function redisBytes(state: Awaited<ReturnType<typeof redisState>>): Promise<number> {
  const info = await state.redis!.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)![1]);
}

const session = (i: number, now: number): Session => ({
  id: `${i.toString(36).padStart(8, '0')}-${'x'.repeat(34)}`,
  email: `user${i}@bench.example`,
  accountId: `01a2${i.toString(16).padStart(28, '0')}`,
  method: 'sso',
  connectionId: '01a23a17-813b-7b83-8c53-2a610b343ccc',
  sessionIndex: `_${i.toString(16).padStart(40, '0')}`,
  createdAt: now,
  lastSeenAt: now,
  idleMs: 3_600_000,
  absoluteMs: null,
});

try {
  start('core', {
    CORE_PORT: String(corePort),
    CORE_ADMIN_KEY: ADMIN_KEY,
    GATEWAY_URL: publicUrl,
    // Both gateways sign identity tokens with the one key they share through Redis.
    CORE_GATEWAY_JWKS_URL: `${gateways[0]}/.well-known/jwks.json`,
    CORE_DB: join(dir, 'core.sqlite'),
  });
  start('mock-idp', { IDP_PORT: String(idpPort), IDP_PUBLIC_URL: idpUrl });
  await Promise.all([waitUntilHealthy(coreUrl, 'core'), waitUntilHealthy(idpUrl, 'the mock IdP')]);
  gateways.forEach((url, i) =>
    start('gateway', {
      GATEWAY_PORT: new URL(url).port,
      GATEWAY_PUBLIC_URL: publicUrl,
      CORE_URL: coreUrl,
      REDIS_URL: redis.url,
      REHEARSAL_SIBLINGS: gateways.filter((_, j) => j !== i).join(','),
    }),
  );
  await Promise.all(gateways.map((url) => waitUntilHealthy(url, 'a gateway')));

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
  await json(`${coreUrl}/api/accounts`, 'POST', { email: 'alice@bench.example', password: 'alice-long-passphrase-1' });
  await json(`${coreUrl}/api/orgs/${org.id}/policies/${pilot.id}/members`, 'POST', { emails: ['alice@bench.example'] });
  await json(`${coreUrl}/api/orgs/${org.id}/products/jira-software`, 'PUT', { plan: 'standard' });
  await json(`${coreUrl}/api/orgs/${org.id}/products/jira-software/access`, 'POST', { emails: ['alice@bench.example'] });
  await json(`${idpUrl}/api/users`, 'POST', { email: 'alice@bench.example', givenName: 'Alice', surname: 'Bench' });
  await json(`${idpUrl}/api/service-providers`, 'POST', { entityId: saml.spEntityId, acsUrls: [saml.acsUrl] });

  /** The next gateway for each request: one of them, or each in turn. */
  const picker = (count: number) => {
    let next = 0;
    return () => gateways[next++ % count]!;
  };
  const login = async (pick: () => string): Promise<string> => {
    const begin = await request(`${pick()}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ email: 'alice@bench.example' }),
    });
    const issued = await json(`${idpUrl}/api/login`, 'POST', { sp: saml.spEntityId, user: 'alice@bench.example', authnRequest: begin.headers.location });
    const acs = new URL(saml.acsUrl);
    const browser = String((begin.headers['set-cookie'] ?? []).find((c) => c.startsWith('rehearsal_gw_authn='))!.split(';')[0]);
    const done = await request(`${pick()}${acs.pathname}${acs.search}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: browser },
      body: `SAMLResponse=${encodeURIComponent(issued.samlResponse)}&RelayState=%2F`,
    });
    if (done.status !== 303) throw new Error(`login failed: ${done.status} ${done.text.slice(0, 300)}`);
    return String((done.headers['set-cookie'] ?? []).find((c) => c.startsWith('rehearsal_gw_session='))!.split(';')[0]);
  };
  const cookie = await login(picker(2));
  const product = (pick: () => string) => async () => {
    const r = await request(`${pick()}/api/products/jira`, { headers: { cookie, accept: 'application/json' } });
    if (r.status !== 200) throw new Error(`product ${r.status} ${r.text.slice(0, 200)}`);
  };
  for (let i = 0; i < 100; i++) await product(picker(2))();

  const loginsOne = await rate(4, async () => void (await login(picker(1))));
  const loginsTwo = await rate(4, async () => void (await login(picker(2))));
  const productsOne = await rate(8, product(picker(1)));
  const productsTwo = await rate(8, product(picker(2)));

  // Memory per 100,000 sessions: in a gateway's memory (V8 heap), and in Redis (its own accounting).
  const clock = new ControllableClock();
  const now = clock.now().getTime();
  (globalThis as { gc?: () => void }).gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const memory = new MemorySessionStore(clock);
  for (let i = 0; i < SESSIONS; i++) await memory.set(session(i, now));
  (globalThis as { gc?: () => void }).gc?.();
  const heapBytes = process.memoryUsage().heapUsed - heapBefore;
  // Still referenced here, so that the collection above could not take the sessions away.
  if (memory.size !== SESSIONS) throw new Error(`the memory store holds ${memory.size} sessions`);
  const state = await redisState(redis.url, clock, 'bench');
  const redisBefore = await redisBytes(state);
  const inRedis = new RedisSessionStore(state.redis!, `${state.prefix}sessions:`, clock);
  for (let i = 0; i < SESSIONS; i += 500) await Promise.all(Array.from({ length: 500 }, (_, j) => inRedis.set(session(i + j, now))));
  const redisUsed = (await redisBytes(state)) - redisBefore;
  await state.close();

  const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB (${(bytes / SESSIONS).toFixed(0)} bytes a session)`;
  console.log(`shared-staging bench (${SECONDS} s per figure; core, mock IdP, Redis and the gateways on this machine's two cores)`);
  console.log(`  complete SSO logins, one gateway:            ${loginsOne.toFixed(0)} logins/s`);
  console.log(`  complete SSO logins, two gateways in turn:   ${loginsTwo.toFixed(0)} logins/s (${(loginsTwo / loginsOne).toFixed(2)}x one)`);
  console.log(`  product requests, one gateway:               ${productsOne.toFixed(0)} requests/s`);
  console.log(`  product requests, two gateways in turn:      ${productsTwo.toFixed(0)} requests/s (${(productsTwo / productsOne).toFixed(2)}x one)`);
  console.log(
    `  100,000 live sessions in a gateway's memory: ${mib(heapBytes)}${(globalThis as { gc?: unknown }).gc ? '' : ' (run with --expose-gc for a steadier figure)'}`,
  );
  console.log(`  100,000 live sessions in Redis:              ${mib(redisUsed)} (the session, and its account and email indexes)`);
} finally {
  agent.destroy();
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(children.map((c) => new Promise((resolve) => (c.exitCode !== null ? resolve(null) : c.once('exit', resolve)))));
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
}
