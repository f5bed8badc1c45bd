/**
 * SCIM server benchmark: a real core process on loopback, on a real SQLite file,
 * then on a real PostgreSQL server (Debian's, started for the run), the same
 * work on each and the figures side by side. Prints figures and ratios to the
 * targets; never fails on a number.
 *
 *   npm run bench              (from the root or core/)
 *   BENCH_USERS=20000 npm run bench   (a quicker, smaller run)
 *   BENCH_STORES=sqlite npm run bench (one store only: sqlite or postgres)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { freePort, serversMissing, startPostgres, waitUntilHealthy } from '@rehearsal/runtime/testing';
import { entryArgs } from '../../scripts/dist.mjs';

const USERS = Number(process.env.BENCH_USERS ?? 150_000);
const GROUP_SIZE = Math.min(35_000, USERS - 1000);
const CONCURRENCY = 16;
const LOOKUPS = 2000;
const ADMIN_KEY = 'bench-admin-key-0123456789abcdef';

interface Figures {
  createsPerSecond: number;
  lookupP50Ms: number;
  lookupP99Ms: number;
  patchMs: number;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const ratio = (value: number, target: number, better: 'higher' | 'lower') =>
  `${better === 'higher' ? (value / target).toFixed(2) : (target / value).toFixed(2)}x the target`;

/** The whole run against one core process; `storeEnv` picks its store (nothing: SQLite; DATABASE_URL: PostgreSQL). */
async function benchStore(label: string, storeEnv: NodeJS.ProcessEnv): Promise<Figures> {
  console.log(`\n== ${label} ==`);
  const dir = mkdtempSync(join(tmpdir(), 'rehearsal-bench-'));
  const port = await freePort();
  const core = spawn(process.execPath, [...(process.env.BENCH_CORE_NODE_ARGS?.split(' ').filter(Boolean) ?? []), ...entryArgs('core')], {
    env: {
      ...process.env,
      DATABASE_URL: '',
      CORE_PORT: String(port),
      CORE_DB: join(dir, 'core.sqlite'),
      REHEARSAL_DATA_DIR: dir,
      CORE_ADMIN_KEY: ADMIN_KEY,
      LOG_LEVEL: 'error',
      ...storeEnv,
    },
    stdio: ['ignore', 'inherit', 'ignore'],
  });
  const url = `http://127.0.0.1:${port}`;

  function memory() {
    const status = readFileSync(`/proc/${core.pid}/status`, 'utf8');
    const kb = (field: string) => Number(/(\d+) kB/.exec(status.split('\n').find((l) => l.startsWith(field)) ?? '')?.[1] ?? 0);
    return { rssMiB: (kb('VmRSS:') / 1024).toFixed(0), peakMiB: (kb('VmHWM:') / 1024).toFixed(0) };
  }

  // node's http client with keep-alive: lighter than fetch, which matters when client and
  // server share two cores.
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  function call(method: string, path: string, body: unknown, key: string): Promise<any> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const request = http.request(
        {
          host: '127.0.0.1',
          port,
          path,
          method,
          agent,
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...(payload ? { 'content-length': Buffer.byteLength(payload) } : {}) },
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk) => (text += chunk));
          response.on('end', () => {
            if ((response.statusCode ?? 500) >= 400) reject(new Error(`${method} ${path}: ${response.statusCode} ${text.slice(0, 300)}`));
            else resolve(text ? JSON.parse(text) : undefined);
          });
        },
      );
      request.on('error', reject);
      request.end(payload);
    });
  }

  /** CPU seconds the core process has used (user + system): steadier than wall time on a shared machine. */
  function coreCpuSeconds() {
    const fields = readFileSync(`/proc/${core.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  }

  try {
    await waitUntilHealthy(url, 'core');
    const org = await call('POST', '/api/orgs', { name: 'Bench', plan: 'enterprise', admins: ['admin@bench.example'] }, ADMIN_KEY);
    const domain = await call('POST', `/api/orgs/${org.id}/domains`, { name: 'bench.example' }, ADMIN_KEY);
    await call('POST', '/_rehearsal/dns', { domain: 'bench.example', txt: domain.verification.dns.value }, ADMIN_KEY);
    await call('POST', `/api/orgs/${org.id}/domains/${domain.id}/verify`, { method: 'dns' }, ADMIN_KEY);
    const directory = await call('POST', `/api/orgs/${org.id}/directories`, { name: 'Bench IdP' }, ADMIN_KEY);
    const scim = `/scim/directory/${directory.id}`;
    const token = directory.scim.token as string;
    console.log(`core pid ${core.pid} on ${url}; ${USERS.toLocaleString('en')} users, ${CONCURRENCY} requests in flight`);

    // 1. creates over HTTP
    const ids: string[] = new Array(USERS);
    const cpuBefore = coreCpuSeconds();
    let next = 0;
    const started = performance.now();
    let firstTenThousand = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < USERS) {
          const i = next++;
          const user = await call(
            'POST',
            `${scim}/Users`,
            {
              schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
              userName: `user${i}@bench.example`,
              externalId: `ext-${i}`,
              name: { givenName: 'User', familyName: String(i) },
              emails: [{ value: `user${i}@bench.example`, type: 'work', primary: true }],
              active: true,
            },
            token,
          );
          ids[i] = user.id;
          if (i === 10_000) firstTenThousand = performance.now() - started;
        }
      }),
    );
    const createSeconds = (performance.now() - started) / 1000;
    const createRate = USERS / createSeconds;
    console.log(
      `creates: ${createRate.toFixed(0)} users/s over HTTP (${createSeconds.toFixed(1)} s for ${USERS.toLocaleString('en')}; first 10,000 at ${firstTenThousand ? (10_000 / (firstTenThousand / 1000)).toFixed(0) : 'n/a'}/s) — target 2,000/s: ${ratio(createRate, 2000, 'higher')}`,
    );
    console.log(
      `core CPU per create: ${(((coreCpuSeconds() - cpuBefore) / USERS) * 1000).toFixed(3)} ms (one core's limit: ${(USERS / (coreCpuSeconds() - cpuBefore)).toFixed(0)} creates/s)`,
    );
    console.log(`memory after creates: RSS ${memory().rssMiB} MiB (peak ${memory().peakMiB} MiB)`);

    // 2. userName eq lookups at full size
    const latencies: number[] = [];
    for (let n = 0; n < LOOKUPS; n++) {
      const i = Math.floor(Math.random() * USERS);
      const t0 = performance.now();
      const result = await call('GET', `${scim}/Users?filter=${encodeURIComponent(`userName eq "USER${i}@bench.example"`)}`, undefined, token);
      latencies.push(performance.now() - t0);
      if (result.totalResults !== 1) throw new Error(`lookup of user${i} found ${result.totalResults}`);
    }
    latencies.sort((a, b) => a - b);
    const p99 = percentile(latencies, 99);
    console.log(
      `userName eq lookup at ${USERS.toLocaleString('en')} users, ${LOOKUPS} requests: p50 ${percentile(latencies, 50).toFixed(2)} ms, p99 ${p99.toFixed(2)} ms — target p99 < 5 ms: ${ratio(p99, 5, 'lower')}`,
    );

    // 3. 1,000 members into a group of 35,000
    const group = await call('POST', `${scim}/Groups`, { displayName: 'Everyone' }, token);
    for (let i = 0; i < GROUP_SIZE; i += 5000) {
      const chunk = ids.slice(i, Math.min(i + 5000, GROUP_SIZE)).map((value) => ({ value }));
      await call(
        'PATCH',
        `${scim}/Groups/${group.id}`,
        { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'add', path: 'members', value: chunk }] },
        token,
      );
    }
    const extra = ids.slice(GROUP_SIZE, GROUP_SIZE + 1000).map((value) => ({ value }));
    const t0 = performance.now();
    await call(
      'PATCH',
      `${scim}/Groups/${group.id}`,
      { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'Add', path: 'members', value: extra }] },
      token,
    );
    const patchMs = performance.now() - t0;
    const check = await call('GET', `${scim}/Groups/${group.id}?attributes=members`, undefined, token);
    console.log(
      `PATCH add 1,000 members to a group of ${GROUP_SIZE.toLocaleString('en')}: ${patchMs.toFixed(1)} ms (group now ${check.members.length.toLocaleString('en')}) — target < 200 ms: ${ratio(patchMs, 200, 'lower')}`,
    );
    console.log(`core process memory at the end: RSS ${memory().rssMiB} MiB, peak ${memory().peakMiB} MiB`);
    return { createsPerSecond: createRate, lookupP50Ms: percentile(latencies, 50), lookupP99Ms: p99, patchMs };
  } finally {
    agent.destroy();
    core.kill('SIGTERM');
    await new Promise((resolve) => core.once('exit', resolve));
    rmSync(dir, { recursive: true, force: true });
  }
}

const stores = (process.env.BENCH_STORES ?? 'sqlite,postgres').split(',');
const results: [string, Figures][] = [];
if (stores.includes('sqlite')) results.push(['SQLite', await benchStore('SQLite (one file, WAL)', {})]);
if (stores.includes('postgres')) {
  const missing = serversMissing();
  if (missing) console.log(`\nPostgreSQL: not measured, ${missing}`);
  else {
    const postgres = await startPostgres();
    try {
      results.push(['PostgreSQL', await benchStore('PostgreSQL (Debian, local, fsync off)', { DATABASE_URL: postgres.url })]);
    } finally {
      await postgres.stop();
    }
  }
}
console.log(`\n== side by side (${USERS.toLocaleString('en')} users, a group of ${GROUP_SIZE.toLocaleString('en')}) ==`);
console.log('store        creates/s   userName eq p50   p99       +1,000 members PATCH');
for (const [name, f] of results)
  console.log(
    `${name.padEnd(12)} ${f.createsPerSecond.toFixed(0).padStart(9)}   ${f.lookupP50Ms.toFixed(2).padStart(9)} ms   ${f.lookupP99Ms.toFixed(2).padStart(6)} ms   ${f.patchMs.toFixed(1).padStart(8)} ms`,
  );
