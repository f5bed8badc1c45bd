import { expect } from 'chai';
import { ServiceClient, start, type ServiceName, type Stack } from '@rehearsal/cli';
import { scenarioPath } from './support/e2e-stack.ts';

const SCENARIO = scenarioPath('examples/billing-surprise.yaml');
const TARGET = '/api/provisioning/targets/core';

/** What a provisioning cycle leaves in core: the counts an interrupted run must reach too. */
async function counts(stack: Stack) {
  const core = new ServiceClient('core', stack.urls.core, stack.credentials.coreAdminKey);
  const idp = stack.applied!.directories.find((d) => d.scim)!;
  const scim = new ServiceClient('core', idp.scim!.baseUrl, idp.scim!.token);
  const users = await scim.call<any>('GET', '/Users?count=0');
  const groups = await scim.call<any>('GET', '/Groups?count=10');
  const billing = await core.call<any>('GET', `/api/orgs/${stack.applied!.orgId}/billing`);
  const accounts = await core.call<any>('GET', `/api/orgs/${stack.applied!.orgId}/accounts?limit=1`);
  const members = await Promise.all(
    (groups.Resources as { id: string; displayName: string }[]).map(
      async (g) => [g.displayName, ((await scim.call<any>('GET', `/Groups/${g.id}`)).members ?? []).length] as const,
    ),
  );
  return {
    scimUsers: users.totalResults as number,
    scimGroups: Object.fromEntries(members.sort()),
    managedAccounts: accounts.total as number,
    billable: billing.billableCount as number,
    byReason: billing.byReason as Record<string, number>,
  };
}

/** Waits (on the cycle's own progress, polled) until `until` holds for the running cycle, or it ends. */
async function watchCycle(idp: ServiceClient, id: string, until: (cycle: { done: number; total: number; status: string; phase: string }) => boolean) {
  for (;;) {
    const cycle = await idp.call<any>('GET', `${TARGET}/cycles/${id}`);
    if (cycle.status !== 'running' || until(cycle)) return cycle;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Kills a service of the stack with SIGKILL and resolves once the stack's supervisor has it running again. */
function killAndAwaitRestart(stack: Stack, events: { kind: string; service: string }[], service: ServiceName): Promise<void> {
  const before = events.filter((e) => e.kind === 'restarted' && e.service === service).length;
  process.kill(stack.pids()[service]!, 'SIGKILL');
  return new Promise((resolve) => {
    const check = () => (events.filter((e) => e.kind === 'restarted' && e.service === service).length > before ? resolve() : setTimeout(check, 25));
    check();
  });
}

/**
 * Issue 13 (done when): kill -9 core, then the mock IdP, in the middle of
 * provisioning the billing-surprise example; each restarts with the same data
 * directory; the next cycle converges to the counts of an uninterrupted run,
 * with nothing duplicated.
 */
describe('faults: services killed in the middle of provisioning 4,005 users', function () {
  this.timeout(600_000);
  let reference: Awaited<ReturnType<typeof counts>>;

  before(async () => {
    const clean = await start({ scenario: SCENARIO });
    try {
      const idp = new ServiceClient('mock-idp', clean.urls.idp);
      expect((await idp.call<any>('POST', `${TARGET}/cycles`, { kind: 'initial', wait: true })).status).to.equal('succeeded');
      reference = await counts(clean);
    } finally {
      await clean.close();
    }
    expect(reference.scimUsers).to.equal(4005);
    expect(reference.billable).to.equal(3406);
  });

  it('converges to the same counts after core and then the IdP are killed mid-cycle and restarted', async () => {
    const events: { kind: string; service: string }[] = [];
    const stack = await start({ scenario: SCENARIO, mode: 'processes', restartBackoffMs: [0, 0, 0, 0], onServiceEvent: (e) => events.push(e) });
    try {
      const idp = new ServiceClient('mock-idp', stack.urls.idp);
      // Core dies a third of the way through the first cycle.
      const first = await idp.call<any>('POST', `${TARGET}/cycles`, { kind: 'initial' });
      await watchCycle(idp, first.id, (c) => c.phase === 'writing' && c.done >= 1300);
      await killAndAwaitRestart(stack, events, 'core');
      const interrupted = await watchCycle(idp, first.id, () => false);
      expect(interrupted.status, 'the cycle saw core go').to.be.oneOf(['succeeded', 'quarantined', 'failed']);
      const target = await idp.call<any>('GET', TARGET);
      if (target.quarantine) await idp.send<any>('DELETE', `${TARGET}/quarantine`);

      // The IdP dies two thirds of the way through the next one.
      const second = await idp.call<any>('POST', `${TARGET}/cycles`, { kind: 'initial' });
      await watchCycle(idp, second.id, (c) => c.phase === 'writing' && c.done >= Math.min(2600, Math.max(1, c.total - 50)));
      await killAndAwaitRestart(stack, events, 'idp');
      // Restarted from its state file: the target, its records and no cycle running.
      const restored = await idp.call<any>('GET', TARGET);
      expect(restored).to.include({ running: null });
      expect(restored.provisioned.users).to.be.greaterThan(1000);

      const last = await idp.call<any>('POST', `${TARGET}/cycles`, { kind: 'initial', wait: true });
      expect(last.status, JSON.stringify(last.failures?.slice(0, 3))).to.equal('succeeded');
      expect(last.counts['users.create'] ?? 0, 'nothing created twice').to.be.at.most(4005 - 1300);
      expect(await counts(stack)).to.deep.equal(reference);
      // And once converged, a cycle has nothing left to do.
      const settled = await idp.call<any>('POST', `${TARGET}/cycles`, { kind: 'initial', wait: true });
      expect(settled).to.include({ status: 'succeeded', writes: 0 });
      expect(events.filter((e) => e.kind === 'died').map((e) => e.service)).to.deep.equal(['core', 'idp']);
    } finally {
      await stack.close();
    }
  });
});
