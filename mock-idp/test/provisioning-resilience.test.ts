import { expect } from 'chai';
import { addTarget, flakyProxy, runCycle, startCoreTarget, wireOf, type CoreTarget, type Interception } from './support/core-target.ts';
import { startIdp, type TestIdp } from './support/idp.ts';
import { coreUser, memberNames, patchIdpUser } from './support/provisioning-helpers.ts';

describe('mock-idp: SCIM provisioning into core (retries, progress, deprovisioning, bad input)', function () {
  this.timeout(30_000);
  let idp: TestIdp;
  let core: CoreTarget;
  beforeEach(async () => {
    [idp, core] = await Promise.all([startIdp(), startCoreTarget()]);
  });
  afterEach(async () => {
    await Promise.all([idp.close(), core.close()]);
  });

  describe('retries and quarantine', () => {
    it('retries 429 and 503, honouring Retry-After on the clock, and logs every attempt', async () => {
      let failures = 0;
      const proxy = await flakyProxy(core, (method, path): Interception | 'pass' => {
        if (method === 'POST' && path.endsWith('/Users') && failures < 2) {
          failures += 1;
          return failures === 1 ? { status: 429, headers: { 'retry-after': '7' }, body: { detail: 'slow down' } } : { status: 503 };
        }
        return 'pass';
      });
      try {
        await addTarget(idp, { ...core, baseUrl: proxy.baseUrl }, { retry: { attempts: 3, delay: '2s' } });
        const clockBefore = Date.parse((await idp.request('GET', '/_rehearsal/clock')).body.now);
        const cycle = await runCycle(idp, 'initial');
        expect(cycle.status).to.equal('succeeded');
        expect(cycle.counts['users.create']).to.equal(2);
        // 7 s from Retry-After, then the second backoff step (2 s × 2), on the IdP's clock.
        expect(Date.parse((await idp.request('GET', '/_rehearsal/clock')).body.now) - clockBefore).to.equal(11_000);
        const attempts = (await idp.request('GET', `/api/provisioning/targets/core/log?cycle=${cycle.id}&user=alice@acme.com&writes=true`)).body.entries;
        expect(attempts.map((e: { status: number; attempt: number; outcome: string }) => `${e.attempt} ${e.status} ${e.outcome}`)).to.deep.equal([
          '1 429 retried',
          '2 503 retried',
          '3 201 ok',
        ]);
      } finally {
        await proxy.close();
      }
    });

    it("paces itself by core's own rate limit: every 429 waits Retry-After on both clocks, and the cycle completes", async () => {
      const orgId = (await core.core.get('/api/orgs')).body[0].id;
      const directoryId = core.baseUrl.split('/').pop();
      expect(
        (await core.core.patch(`/api/orgs/${orgId}/directories/${directoryId}`, { scimFidelity: 'atlassian', scimRateLimit: { requests: 5, perSeconds: 60 } }))
          .status,
      ).to.equal(200);
      // The IdP's waits pass on core's clock too, as they would in real time.
      const waited: number[] = [];
      const paced: TestIdp = await startIdp({
        sleep: (ms) => {
          waited.push(ms);
          paced.clock.advance(ms);
          core.core.clock.advance(ms);
          return Promise.resolve();
        },
      });
      try {
        await addTarget(paced, core);
        const cycle = await runCycle(paced, 'initial');
        expect(cycle).to.include({ status: 'succeeded', reads: 7, writes: 7 });
        // Five requests fit the burst; each of the other nine waits the 12 s core asks for, once.
        expect(waited).to.deep.equal(Array(9).fill(12_000));
        const wire = await wireOf(paced, cycle.id);
        expect(wire.filter((w) => w.status === 429)).to.have.length(9);
        const entries = (await paced.request('GET', `/api/provisioning/targets/core/log?cycle=${cycle.id}&limit=1000`)).body.entries as {
          status: number;
          outcome: string;
        }[];
        expect(entries.filter((e) => e.status === 429).every((e) => e.outcome === 'retried')).to.equal(true);
        await core.core.patch(`/api/orgs/${orgId}/directories/${directoryId}`, { scimRateLimit: 'off' });
        expect(await memberNames(core, 'engineering')).to.deep.equal(['alice@acme.com']);
      } finally {
        await paced.close();
      }
    });

    it('skips a bad record (a 400) and finishes the cycle', async () => {
      const proxy = await flakyProxy(core, (method, path, body) =>
        method === 'POST' && path.endsWith('/Users') && body.includes('bob@acme.com')
          ? {
              status: 400,
              body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '400', scimType: 'invalidValue', detail: 'bob is not welcome' },
            }
          : 'pass',
      );
      try {
        await addTarget(idp, { ...core, baseUrl: proxy.baseUrl });
        const cycle = await runCycle(idp, 'initial');
        expect(cycle.status).to.equal('succeeded');
        expect(cycle.failures).to.deep.equal([{ user: 'bob@acme.com', status: 400, reason: '400 invalidValue: bob is not welcome' }]);
        expect(await coreUser(core, 'alice@acme.com')).to.include({ userName: 'alice@acme.com' });
        const skipped = (await idp.request('GET', '/api/provisioning/targets/core/log?outcome=skipped')).body.entries;
        expect(skipped).to.have.length(1);
        expect(skipped[0]).to.include({ user: 'bob@acme.com', status: 400 });
      } finally {
        await proxy.close();
      }
    });

    it('quarantines a target that keeps failing, with the reason visible, until the quarantine is lifted', async () => {
      let down = true;
      const proxy = await flakyProxy(core, () => (down ? { status: 503, body: { detail: 'maintenance' } } : 'pass'));
      try {
        await addTarget(idp, { ...core, baseUrl: proxy.baseUrl }, { retry: { attempts: 1, delay: '1s' } });
        const cycle = await runCycle(idp, 'initial');
        expect(cycle.status).to.equal('quarantined');
        expect(cycle.error).to.match(/kept failing: 503: maintenance on 3 requests in a row, each tried 2 times/);
        const target = (await idp.request('GET', '/api/provisioning/targets/core')).body;
        expect(target.quarantine.reason).to.equal(cycle.error);
        // Once quarantined, nothing more is sent: three requests, two attempts each.
        expect((await idp.request('GET', `/api/provisioning/targets/core/log?cycle=${cycle.id}`)).body.entries).to.have.length(6);
        const refused = await idp.request('POST', '/api/provisioning/targets/core/cycles', { kind: 'incremental' });
        expect(refused.status).to.equal(409);
        expect(refused.body.error.code).to.equal('target-quarantined');

        down = false;
        expect((await idp.request('DELETE', '/api/provisioning/targets/core/quarantine')).status).to.equal(204);
        expect((await runCycle(idp, 'initial')).status).to.equal('succeeded');
        expect(await coreUser(core, 'bob@acme.com')).to.include({ userName: 'bob@acme.com' });
      } finally {
        await proxy.close();
      }
    });

    it('quarantines at once when the target refuses the token, and never logs the token', async () => {
      await addTarget(idp, { ...core, token: 'wrong-token-0123456789' });
      const cycle = await runCycle(idp, 'initial');
      expect(cycle.status).to.equal('quarantined');
      expect(cycle.error).to.match(/refused the token \(401 on GET \/Users\)/);
      const log = (await idp.request('GET', '/api/provisioning/targets/core/log')).text;
      expect(log).not.to.contain('wrong-token-0123456789');
      expect((await idp.request('GET', '/api/provisioning/targets/core')).text).not.to.contain('wrong-token-0123456789');
    });
  });

  describe('progress', () => {
    it('shows done/total while a cycle runs, and refuses a second cycle meanwhile', async () => {
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let posts = 0;
      const proxy = await flakyProxy(core, async (method, path): Promise<Interception | 'pass'> => {
        if (method === 'POST' && path.endsWith('/Users') && ++posts === 2) await held;
        return 'pass';
      });
      try {
        await addTarget(idp, { ...core, baseUrl: proxy.baseUrl });
        const started = await idp.request('POST', '/api/provisioning/targets/core/cycles', { kind: 'initial' });
        expect(started.status).to.equal(202);
        const location = started.headers.get('location')!;
        let progress = (await idp.request('GET', location)).body;
        // Polls only until the held request is reached: no timing, the proxy decides.
        while (progress.done < 1) progress = (await idp.request('GET', location)).body;
        expect(progress).to.include({ status: 'running', phase: 'writing', done: 1, total: 5 });
        const second = await idp.request('POST', '/api/provisioning/targets/core/cycles', { kind: 'incremental' });
        expect(second.status).to.equal(409);
        expect(second.body.error.code).to.equal('cycle-running');
        release();
        while (progress.status === 'running') progress = (await idp.request('GET', location)).body;
        expect(progress).to.include({ status: 'succeeded', done: 5, total: 5 });
      } finally {
        release();
        await proxy.close();
      }
    });
  });

  describe('deprovisioning: disable, soft delete, DELETE', () => {
    const DAY = 24 * 60 * 60 * 1000;
    const usersOn = async (cycle: { id: string }) =>
      (await wireOf(idp, cycle.id)).filter((w) => !w.request.startsWith('GET')).map((w) => w.request.replace(/\/Users\/[^/?]+$/, '/Users/{id}'));
    const coreStatus = async (id: string) => (await core.scim.request('GET', `/Users/${id}`)).status;

    it('entra: a user deleted at the IdP is disabled, then DELETEd once the 30-day soft-delete period has passed on the IdP clock', async () => {
      await addTarget(idp, core);
      await runCycle(idp, 'initial');
      const bob = await coreUser(core, 'bob@acme.com');
      expect((await idp.request('GET', '/api/provisioning/targets/core')).body.deprovision).to.equal('disable-then-delete');
      const deletedAt = idp.clock.now().getTime();
      expect((await idp.request('DELETE', '/api/users/bob@acme.com')).status).to.equal(204);

      const plan = (await idp.request('POST', '/api/provisioning/targets/core/plan', { kind: 'incremental' })).body;
      const bobPlan = plan.users.find((u: { user: string }) => u.user === 'bob@acme.com');
      expect(bobPlan).to.include({ operation: 'deprovision', deleteAfter: new Date(deletedAt + 30 * DAY).toISOString() });
      const disabled = await runCycle(idp, 'incremental');
      expect(disabled.counts).to.include({ 'users.deprovision': 1 });
      expect(await usersOn(disabled)).to.deep.include('PATCH /Users/{id}');
      expect((await coreUser(core, 'bob@acme.com')).active).to.equal(false);

      idp.clock.advance(30 * DAY - 1000);
      expect(await runCycle(idp, 'incremental')).to.include({ reads: 0, writes: 0 });
      idp.clock.advance(1000);
      const due = (await idp.request('POST', '/api/provisioning/targets/core/plan', { kind: 'incremental' })).body;
      expect(due.summary).to.deep.equal({ 'users.delete': 1 });
      const deleted = await runCycle(idp, 'incremental');
      expect(deleted.counts).to.include({ 'users.delete': 1 });
      expect(await usersOn(deleted)).to.deep.equal(['DELETE /Users/{id}']);
      expect(await coreStatus(bob.id)).to.equal(404);
      const logged = (await idp.request('GET', `/api/provisioning/targets/core/log?cycle=${deleted.id}&writes=true`)).body.entries;
      expect(logged.map((e: { operation: string; user: string; outcome: string }) => `${e.operation} ${e.user} ${e.outcome}`)).to.deep.equal([
        'delete bob@acme.com ok',
      ]);
      // Nothing left to do: the IdP forgot bob, and core took him out of his groups.
      expect(await memberNames(core, 'sales')).to.deep.equal([]);
      expect(await runCycle(idp, 'incremental')).to.include({ reads: 0, writes: 0 });
      expect((await idp.request('GET', '/api/provisioning/targets/core')).body.provisioned.users).to.equal(1);
    });

    it('entra: a user restored within the soft-delete period is enabled again and never deleted', async () => {
      await addTarget(idp, core);
      await runCycle(idp, 'initial');
      const bob = (await idp.request('GET', '/api/users/bob@acme.com')).body;
      await idp.request('DELETE', '/api/users/bob@acme.com');
      await runCycle(idp, 'incremental');
      idp.clock.advance(10 * DAY);
      expect(
        (
          await idp.request('POST', '/api/users', {
            email: bob.email,
            givenName: bob.givenName,
            surname: bob.surname,
            department: bob.department,
            groups: ['sales'],
          })
        ).status,
      ).to.equal(201);
      const restored = await runCycle(idp, 'incremental');
      expect(restored.counts).to.include({ 'users.update': 1 });
      expect((await coreUser(core, 'bob@acme.com')).active).to.equal(true);
      idp.clock.advance(60 * DAY);
      const later = await runCycle(idp, 'initial');
      expect(later.writes).to.equal(0);
      expect((await coreUser(core, 'bob@acme.com')).active).to.equal(true);
    });

    it('entra: a user disabled at the IdP is only disabled, however long it stays so', async () => {
      await addTarget(idp, core);
      await runCycle(idp, 'initial');
      await patchIdpUser(idp, 'alice@acme.com', { active: false });
      expect((await runCycle(idp, 'incremental')).counts).to.include({ 'users.deprovision': 1 });
      idp.clock.advance(90 * DAY);
      expect((await runCycle(idp, 'initial')).writes).to.equal(0);
      expect((await coreUser(core, 'alice@acme.com')).active).to.equal(false);
    });

    it('okta: deactivates with a PUT and never sends DELETE', async () => {
      await addTarget(idp, core, { profile: 'okta' });
      await runCycle(idp, 'initial');
      await idp.request('DELETE', '/api/users/bob@acme.com');
      const cycle = await runCycle(idp, 'incremental');
      expect(await usersOn(cycle)).to.deep.include('PUT /Users/{id}');
      expect(cycle.counts).to.include({ 'users.deprovision': 1 });
      idp.clock.advance(90 * DAY);
      expect((await runCycle(idp, 'initial')).writes).to.equal(0);
      expect((await coreUser(core, 'bob@acme.com')).active).to.equal(false);
    });

    it('deprovision: delete sends DELETE at once, for a disabled user too; back in the IdP, the user is created again', async () => {
      await addTarget(idp, core, { deprovision: 'delete' });
      await runCycle(idp, 'initial');
      const alice = await coreUser(core, 'alice@acme.com');
      await patchIdpUser(idp, 'alice@acme.com', { active: false });
      const plan = (await idp.request('POST', '/api/provisioning/targets/core/plan', { kind: 'incremental' })).body;
      expect(plan.users.map((u: { user: string; operation: string }) => `${u.user} ${u.operation}`)).to.deep.equal(['alice@acme.com delete']);
      const cycle = await runCycle(idp, 'incremental');
      expect(await usersOn(cycle)).to.deep.equal(['DELETE /Users/{id}']);
      expect(await coreStatus(alice.id)).to.equal(404);
      expect(await memberNames(core, 'engineering')).to.deep.equal([]);
      await patchIdpUser(idp, 'alice@acme.com', { active: true });
      const back = await runCycle(idp, 'incremental');
      expect(back.counts).to.include({ 'users.create': 1, 'groups.update': 1 });
      expect(await memberNames(core, 'engineering')).to.deep.equal(['alice@acme.com']);
    });

    it("softDeletePeriod: the period is the target's to choose", async () => {
      await addTarget(idp, core, { softDeletePeriod: '1h' });
      await runCycle(idp, 'initial');
      await idp.request('DELETE', '/api/users/bob@acme.com');
      await runCycle(idp, 'incremental');
      idp.clock.advance(60 * 60 * 1000);
      expect((await runCycle(idp, 'incremental')).counts).to.include({ 'users.delete': 1 });
    });
  });

  describe('bad input', () => {
    it('refuses bad targets with a 400 naming the field, and adds nothing', async () => {
      const base = { baseUrl: core.baseUrl, token: core.token };
      const cases: [Record<string, unknown>, string, RegExp][] = [
        [{ ...base, baseUrl: 'ftp://x' }, 'invalid-request', /baseUrl/],
        [{ ...base, profile: 'azure' }, 'invalid-request', /profile/],
        [{ ...base, token: '' }, 'invalid-request', /token/],
        [
          { ...base, mappings: [{ target: 'displayName', source: 'Join(" ", [givenName], [nickname])' }] },
          'invalid-mapping',
          /mappings\[0\]\.source: displayName <- .*: at position 24: unknown attribute \[nickname\]/,
        ],
        [{ ...base, mappings: [{ target: 'displayName', source: 'Foo([givenName])' }] }, 'invalid-mapping', /at position 1: unknown function Foo/],
        [
          { ...base, mappings: [{ target: 'emails[type eq "work"]', source: '[email]' }] },
          'invalid-mapping',
          /mappings\[0\]\.target: .* is not a SCIM attribute path/,
        ],
        [
          {
            ...base,
            mappings: [
              { target: 'externalId', source: '[id]', matching: true },
              { target: 'nickName', source: '[givenName]', matching: true },
            ],
          },
          'invalid-mapping',
          /only one matching attribute/,
        ],
        [
          { ...base, scope: 'assigned', assignments: { users: ['nobody@acme.com'] } },
          'unknown-assignment',
          /assignments\.users\[0\]: no user nobody@acme\.com/,
        ],
        [{ ...base, extra: 1 }, 'invalid-request', /extra/],
        [{ ...base, deprovision: 'purge' }, 'invalid-request', /deprovision/],
        [{ ...base, softDeletePeriod: 'soon' }, 'invalid-request', /softDeletePeriod/],
      ];
      for (const [body, code, message] of cases) {
        const res = await idp.request('POST', '/api/provisioning/targets', body);
        expect(res.status, JSON.stringify(body)).to.equal(400);
        expect(res.body.error.code, JSON.stringify(body)).to.equal(code);
        expect(JSON.stringify(res.body.error), JSON.stringify(body)).to.match(message);
      }
      expect((await idp.request('GET', '/api/provisioning/targets')).body.targets).to.deep.equal([]);
    });

    it('refuses bad cycle, plan and log requests', async () => {
      await addTarget(idp, core);
      expect((await idp.request('POST', '/api/provisioning/targets/core/cycles', { kind: 'full' })).status).to.equal(400);
      expect((await idp.request('POST', '/api/provisioning/targets/nope/cycles', { kind: 'initial' })).status).to.equal(404);
      expect((await idp.request('POST', '/api/provisioning/targets/core/plan', { user: 'nobody@acme.com' })).status).to.equal(404);
      expect((await idp.request('GET', '/api/provisioning/targets/core/log?limit=0')).status).to.equal(400);
      expect((await idp.request('GET', '/api/provisioning/targets/core/cycles/nope')).status).to.equal(404);
      expect((await idp.request('POST', '/api/provisioning/targets', { id: 'core', baseUrl: core.baseUrl, token: 't' })).status).to.equal(409);
      expect((await idp.request('GET', '/api/provisioning/targets/core/cycles')).body.cycles).to.deep.equal([]);
    });

    it('reset forgets what was provisioned and the log; configured targets come back', async () => {
      await addTarget(idp, core);
      await runCycle(idp, 'initial');
      await idp.request('POST', '/api/reset');
      expect((await idp.request('GET', '/api/provisioning/targets')).body.targets).to.deep.equal([]);
    });
  });
});
