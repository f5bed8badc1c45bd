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
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ControllableClock, redisState } from '@rehearsal/runtime';
import { freePort, serversMissing, startRedis, waitUntilHealthy } from '@rehearsal/runtime/testing';
import { entryArgs } from '../../scripts/dist.mjs';
import { ADMIN_KEY, benchClient, rate, ssoLogin, ssoPilot } from './bench-support.ts';
import { RedisSessionStore } from '../src/sessions/redis-session-store.ts';
import { MemorySessionStore, type Session } from '../src/sessions/session-store.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const SESSIONS = 100_000;

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

const client = benchClient(32);
const { request } = client;

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

  const { saml } = await ssoPilot(client, coreUrl, idpUrl, dir);

  /** The next gateway for each request: one of them, or each in turn. */
  const picker = (count: number) => {
    let next = 0;
    return () => gateways[next++ % count]!;
  };
  const login = (pick: () => string) => ssoLogin(client, pick, idpUrl, saml);
  const cookie = await login(picker(2));
  const product = (pick: () => string) => async () => {
    const r = await request(`${pick()}/api/products/jira`, { headers: { cookie, accept: 'application/json' } });
    if (r.status !== 200) throw new Error(`product ${r.status} ${r.text.slice(0, 200)}`);
  };
  for (let i = 0; i < 100; i++) await product(picker(2))();

  const loginsOne = await rate(SECONDS, 4, async () => void (await login(picker(1))));
  const loginsTwo = await rate(SECONDS, 4, async () => void (await login(picker(2))));
  const productsOne = await rate(SECONDS, 8, product(picker(1)));
  const productsTwo = await rate(SECONDS, 8, product(picker(2)));

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
  client.close();
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(children.map((c) => new Promise((resolve) => (c.exitCode !== null ? resolve(null) : c.once('exit', resolve)))));
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
}
