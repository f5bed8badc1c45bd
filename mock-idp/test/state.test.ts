import { expect } from 'chai';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControllableClock } from '@rehearsal/runtime';
import { createIdpApp } from '../src/app.ts';
import { StateFile } from '../src/state/state-file.ts';
import { addTarget, runCycle, startCoreTarget, type CoreTarget } from './support/core-target.ts';
import { HARNESS_KEY, httpRequest, scenario, SP, ACS, testCredential } from './support/idp.ts';

describe('mock-idp: state kept across restarts (issue 13.8)', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'rehearsal-idp-state-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  describe('the state file', () => {
    it('replays puts and removals, ignores a line cut short by a crash, and is 0600', () => {
      const path = join(dir, 'state.jsonl');
      const first = new StateFile(path);
      first.put('user:1', { email: 'a@x' });
      first.put('user:2', { email: 'b@x' });
      first.remove('user:1');
      first.put('user:2', { email: 'b2@x' });
      first.close();
      appendFileSync(path, '{"k":"user:3","v":{"email":"c@'); // a torn write
      const second = new StateFile(path);
      expect(second.entries('user:')).to.deep.equal([['user:2', { email: 'b2@x' }]]);
      expect(statSync(path).mode & 0o777).to.equal(0o600);
      second.close();
    });

    it('rewrites itself as a snapshot once the journal outgrows the state', () => {
      const path = join(dir, 'state.jsonl');
      const state = new StateFile(path);
      const big = 'x'.repeat(10_000);
      for (let i = 0; i < 1000; i++) state.put('counter', { i, big });
      state.close();
      // 1,000 changes of 10 KB, one entry left: the file holds far less than the journal wrote.
      expect(readFileSync(path, 'utf8').length).to.be.below(4 * 1024 * 1024);
      const reopened = new StateFile(path);
      expect((reopened.get('counter') as { i: number }).i).to.equal(999);
      reopened.close();
    });
  });

  describe('an IdP started again on the same state', () => {
    let core: CoreTarget;
    beforeEach(async () => (core = await startCoreTarget()));
    afterEach(() => core.close());

    /** One IdP on a state file; `close` stops it as a kill would leave it (no flush step exists to skip). */
    async function idpOn(path: string) {
      const state = new StateFile(path);
      const clock = new ControllableClock();
      clock.freeze(new Date('2026-11-23T09:00:00Z'));
      const app = createIdpApp({
        publicUrl: 'http://localhost:7000',
        credential: await testCredential(),
        clock,
        directory: scenario,
        serviceProviders: [{ entityId: SP, acsUrls: [ACS] }],
        harnessKey: HARNESS_KEY,
        state,
      });
      const server: Server = await new Promise((resolve) => {
        const s = app.listen(0, '127.0.0.1', () => resolve(s));
      });
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      return {
        request: (method: string, path: string, body?: unknown) => httpRequest(url, method, path, body, { authorization: `Bearer ${HARNESS_KEY}` }),
        close: async () => {
          await new Promise((resolve) => server.close(resolve));
          state.close();
        },
      };
    }

    it('keeps users, groups, service providers, fault rules and provisioning targets, and the next cycle sends nothing twice', async () => {
      const path = join(dir, 'idp-state.jsonl');
      const first = await idpOn(path);
      await first.request('POST', '/api/groups', { name: 'support' });
      await first.request('POST', '/api/users', { email: 'carol@acme.com', givenName: 'Carol', surname: 'Danvers', groups: ['support'] });
      await first.request('PATCH', '/api/users/alice@acme.com', { department: 'Research' });
      await first.request('DELETE', '/api/users/bob@acme.com');
      await first.request('POST', '/api/service-providers', { entityId: 'https://app.example.test/saml', acsUrls: ['https://app.example.test/acs'] });
      await first.request('POST', '/api/faults', { user: 'alice@acme.com', faults: ['expired'], times: 2 });
      await first.request('POST', '/api/login', { sp: SP, user: 'alice@acme.com' }); // uses one of the two
      await addTarget({ request: first.request } as never, core);
      const initial = await runCycle({ request: first.request } as never, 'initial');
      expect(initial.status).to.equal('succeeded');
      const before = (await first.request('GET', '/api/provisioning/targets/core')).body;
      await first.close();

      const second = await idpOn(path);
      try {
        expect((await second.request('GET', '/api/users')).body.users.map((u: { email: string }) => u.email).sort()).to.deep.equal([
          'alice@acme.com',
          'carol@acme.com',
        ]);
        expect((await second.request('GET', '/api/users/alice@acme.com')).body.department).to.equal('Research');
        expect((await second.request('GET', '/api/groups/support')).body.members).to.deep.equal(['carol@acme.com']);
        expect((await second.request('GET', '/api/service-providers')).body.serviceProviders.map((s: { entityId: string }) => s.entityId)).to.include(
          'https://app.example.test/saml',
        );
        expect((await second.request('GET', '/api/faults')).body.rules[0]).to.include({ user: 'alice@acme.com', remaining: 1 });
        const target = (await second.request('GET', '/api/provisioning/targets/core')).body;
        expect(target).to.deep.include({ watermark: before.watermark, provisioned: before.provisioned, quarantine: null, running: null });

        // Nothing changed at the IdP since: the next cycle writes nothing and duplicates nothing.
        const next = await runCycle({ request: second.request } as never, 'incremental');
        expect(next).to.include({ status: 'succeeded', writes: 0 });
        const again = await runCycle({ request: second.request } as never, 'initial');
        expect(again).to.include({ status: 'succeeded', writes: 0 });
        expect((await core.scim.request('GET', '/Users')).body.totalResults).to.equal(2);
        // A change after the restart goes out as one update.
        await second.request('PATCH', '/api/users/carol@acme.com', { jobTitle: 'Captain' });
        const change = await runCycle({ request: second.request } as never, 'incremental');
        expect(change.counts).to.deep.equal({ 'users.update': 1 });
      } finally {
        await second.close();
      }
    });

    it("keeps a soft-deleted user's DELETE due across a restart", async () => {
      const path = join(dir, 'idp-state.jsonl');
      const first = await idpOn(path);
      await addTarget({ request: first.request } as never, core);
      await runCycle({ request: first.request } as never, 'initial');
      await first.request('DELETE', '/api/users/bob@acme.com');
      expect((await runCycle({ request: first.request } as never, 'incremental')).counts).to.include({ 'users.deprovision': 1 });
      await first.close();

      const second = await idpOn(path);
      try {
        expect((await second.request('POST', '/_rehearsal/clock', { advance: '30d' })).status).to.equal(200);
        const cycle = await runCycle({ request: second.request } as never, 'incremental');
        expect(cycle.counts).to.deep.equal({ 'users.delete': 1 });
        expect((await core.scim.request('GET', '/Users')).body.totalResults).to.equal(1);
      } finally {
        await second.close();
      }
    });

    it('goes back to the configured content on reset, and stays there after a restart', async () => {
      const path = join(dir, 'idp-state.jsonl');
      const first = await idpOn(path);
      await first.request('POST', '/api/users', { email: 'carol@acme.com' });
      expect((await first.request('POST', '/api/reset')).status).to.equal(200);
      await first.close();
      const second = await idpOn(path);
      try {
        expect((await second.request('GET', '/api/users')).body.users.map((u: { email: string }) => u.email).sort()).to.deep.equal([
          'alice@acme.com',
          'bob@acme.com',
        ]);
      } finally {
        await second.close();
      }
    });
  });
});
