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
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createPrivateKey } from 'node:crypto';
import { SignJWT } from 'jose';
import { freePort, waitUntilHealthy } from '@rehearsal/runtime/testing';
import { entryArgs } from '../../scripts/dist.mjs';
import { ADMIN_KEY, benchClient, rate, ssoLogin, ssoPilot } from './bench-support.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONCURRENCY = 8;

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

const client = benchClient(CONCURRENCY * 2);
const { request } = client;

/** RSA-2048 signatures per second on one core, as `openssl speed` measures them in this run; undefined without openssl. */
function opensslSignRate(): number | undefined {
  const run = spawnSync('openssl', ['speed', '-seconds', '2', 'rsa2048'], { encoding: 'utf8' });
  const line = run.stdout?.split('\n').find((l) => l.startsWith('rsa 2048 bits'));
  return line ? Number(line.trim().split(/\s+/)[5]) : undefined;
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

  const { saml, account } = await ssoPilot(client, coreUrl, idpUrl, dir);
  const login = () => ssoLogin(client, () => gatewayUrl, idpUrl, saml);
  const cookie = await login();

  // Direct: core's endpoint with a token signed by the gateway's own key (read from its data directory).
  const key = createPrivateKey(readFileSync(join(dir, 'gateway-identity-key.pem'), 'utf8'));
  const kid = (await client.json(`${gatewayUrl}/.well-known/jwks.json`, 'GET')).keys[0].kid;
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
  const directRate = await rate(SECONDS, CONCURRENCY, direct);
  const coreMsDirect = ((cpu(coreProcess) - c0) * 1000) / (directRate * ((performance.now() - t0) / 1000));
  c0 = cpu(coreProcess);
  const g0 = cpu(gatewayProcess);
  t0 = performance.now();
  const gatewayRate = await rate(SECONDS, CONCURRENCY, through);
  const requests = gatewayRate * ((performance.now() - t0) / 1000);
  const coreMsThrough = ((cpu(coreProcess) - c0) * 1000) / requests;
  const gatewayMs = ((cpu(gatewayProcess) - g0) * 1000) / requests;
  // Where a login's CPU goes: each process's CPU-seconds over the logins made (the client is this process).
  const [, idpProcess] = children as [ChildProcess, ChildProcess, ChildProcess];
  const before = { core: cpu(coreProcess), idp: cpu(idpProcess), gateway: cpu(gatewayProcess), client: process.cpuUsage() };
  t0 = performance.now();
  const loginRate = await rate(SECONDS, 4, async () => void (await login()));
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
  client.close();
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(children.map((c) => new Promise((resolve) => (c.exitCode !== null ? resolve(null) : c.once('exit', resolve)))));
  rmSync(dir, { recursive: true, force: true });
}
