/**
 * SCIM provisioning into a real core process on loopback: an initial cycle of
 * 10,000 users and 200 groups (50 members each), an incremental cycle with no
 * change, then one with 100 changed users. Prints figures and ratios to the
 * targets; never fails on a number.
 *
 *   npm run bench                          (from the root or mock-idp/)
 *   BENCH_PROVISION_USERS=2000 npm run bench
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ControllableClock } from '@rehearsal/runtime';
import { freePort, waitUntilHealthy } from '@rehearsal/runtime/testing';
import { entryArgs } from '../../scripts/dist.mjs';
import { Directory } from '../src/directory/directory.ts';
import { ProvisioningService } from '../src/provisioning/provisioning-service.ts';

const USERS = Number(process.env.BENCH_PROVISION_USERS ?? 10_000);
const GROUPS = Math.max(1, Math.round(USERS / 50));
const CHANGED = Math.min(100, USERS);
const ADMIN_KEY = 'bench-admin-key-0123456789abcdef';

async function admin(base: string, method: string, path: string, body?: unknown): Promise<any> {
  const response = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

const dir = mkdtempSync(join(tmpdir(), 'rehearsal-provisioning-bench-'));
const port = await freePort();
const core = spawn(process.execPath, entryArgs('core'), {
  env: { ...process.env, CORE_PORT: String(port), CORE_DB: join(dir, 'core.sqlite'), REHEARSAL_DATA_DIR: dir, CORE_ADMIN_KEY: ADMIN_KEY, LOG_LEVEL: 'error' },
  stdio: ['ignore', 'ignore', 'inherit'],
});
const base = `http://127.0.0.1:${port}`;
/** CPU seconds the core process has used (user + system). */
const coreCpuSeconds = () => {
  const fields = readFileSync(`/proc/${core.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};

try {
  await waitUntilHealthy(base, 'core');
  const org = await admin(base, 'POST', '/api/orgs', { name: 'Bench', plan: 'enterprise', admins: ['admin@bench.example'] });
  const domain = await admin(base, 'POST', `/api/orgs/${org.id}/domains`, { name: 'bench.example' });
  await admin(base, 'POST', '/_rehearsal/dns', { domain: 'bench.example', txt: domain.verification.dns.value });
  await admin(base, 'POST', `/api/orgs/${org.id}/domains/${domain.id}/verify`, { method: 'dns' });
  const directoryRecord = await admin(base, 'POST', `/api/orgs/${org.id}/directories`, { name: 'Bench IdP' });

  const groups = Array.from({ length: GROUPS }, (_, g) => ({ name: `team-${g}` }));
  const users = Array.from({ length: USERS }, (_, i) => ({
    email: `user${i}@bench.example`,
    givenName: 'User',
    surname: String(i),
    department: `Department ${i % 17}`,
    jobTitle: 'Engineer',
    groups: [`team-${i % GROUPS}`],
  }));
  const directory = new Directory({ users, groups });
  const clock = new ControllableClock();
  const service = new ProvisioningService(directory, clock, (ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  const target = service.add({
    id: 'core',
    baseUrl: `${base}/scim/directory/${directoryRecord.id}`,
    token: directoryRecord.scim.token,
    profile: 'entra',
    concurrency: Number(process.env.BENCH_CONCURRENCY ?? 8),
  });
  console.log(`mock-idp provisioning bench: ${USERS.toLocaleString('en')} users, ${GROUPS} groups of ${Math.round(USERS / GROUPS)}, into core pid ${core.pid}`);

  const cycle = async (kind: 'initial' | 'incremental') => {
    const started = performance.now();
    const cpu0 = process.cpuUsage();
    const core0 = coreCpuSeconds();
    const result = await service.engine.start(target, kind).finished;
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpu0);
    console.log(`    CPU: IdP ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s, core ${(coreCpuSeconds() - core0).toFixed(1)} s`);
    if (result.status !== 'succeeded') throw new Error(`${kind} cycle ${result.status}: ${result.error ?? JSON.stringify(result.failures.slice(0, 3))}`);
    return { seconds, result };
  };
  const line = (label: string, seconds: number, target: number, result: { reads: number; writes: number; counts: Record<string, number> }) =>
    console.log(
      `  ${label.padEnd(34)} ${seconds.toFixed(2).padStart(6)} s  (target under ${target} s: ${(target / seconds).toFixed(1)}x)  ${result.reads} reads, ${result.writes} writes  ${JSON.stringify(result.counts)}`,
    );

  const initial = await cycle('initial');
  line('initial cycle', initial.seconds, 30, initial.result);
  const unchanged = await cycle('incremental');
  line('incremental, no change', unchanged.seconds, 2, unchanged.result);
  for (let i = 0; i < CHANGED; i++) directory.updateUser(`user${i * Math.floor(USERS / CHANGED)}@bench.example`, { department: 'Moved' });
  const changed = await cycle('incremental');
  line(`incremental, ${CHANGED} changed users`, changed.seconds, 3, changed.result);
  const users0 = await (
    await fetch(`${base}/scim/directory/${directoryRecord.id}/Users?count=1`, { headers: { authorization: `Bearer ${directoryRecord.scim.token}` } })
  ).json();
  console.log(`  CPU: this process ${(process.cpuUsage().user / 1e6).toFixed(1)} s user`);
  console.log(`  core holds ${users0.totalResults.toLocaleString('en')} users from this directory`);
} finally {
  core.kill('SIGTERM');
  await new Promise((resolve) => core.once('exit', resolve));
  rmSync(dir, { recursive: true, force: true });
}
