import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { headlessLogin, ServiceClient, start, type Stack } from '@rehearsal/cli';
import { skipWithoutServers, startPostgres, startRedis, type PostgresServer, type TestServer } from '@rehearsal/runtime/testing';
import { product, scenarioPath } from './support/e2e-stack.ts';

const TARGET = '/api/provisioning/targets/core';

/** Stays dead for the test: the survivors must carry the load, not a restart. */
const NO_RESTART = [600_000];

/**
 * Issue 18 (faults): two cores on one PostgreSQL, two IdPs and two gateways on
 * one Redis behind HAProxy, as `rehearsal up --processes --replicas 2` runs them; one
 * replica is killed with SIGKILL in the middle of the work.
 */
describe('shared staging: replicas behind HAProxy, one killed mid-load', function () {
  this.timeout(600_000);
  let postgres: PostgresServer | undefined;
  let redis: TestServer | undefined;
  let schema = 0;
  before(async function () {
    skipWithoutServers(this);
    [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
  });
  after(async () => {
    await Promise.all([postgres?.stop(), redis?.stop()]);
  });

  const replicated = (scenario: string, events: { kind: string; service: string }[]) =>
    start({
      scenario: scenarioPath(scenario),
      mode: 'processes',
      shared: { replicas: 2, databaseUrl: postgres!.url, databaseSchema: `staging_${++schema}`, redisUrl: redis!.url },
      restartBackoffMs: NO_RESTART,
      onServiceEvent: (e) => events.push(e),
    });

  it('runs two cores, two IdPs, two gateways and HAProxy, and moves every replica’s clock together', async () => {
    const stack = await replicated('examples/acme.yaml', []);
    try {
      expect(Object.keys(stack.pids()).sort()).to.deep.equal(['console', 'core-1', 'core-2', 'gateway-1', 'gateway-2', 'haproxy', 'idp-1', 'idp-2']);
      await stack.clock.freeze(new Date('2026-11-23T09:00:00Z'));
      await stack.clock.advance('31m');
      // Every replica, asked directly (not through the proxy), reads the same instant.
      const config = readHaproxyBackends(stack);
      const clocks = await Promise.all(config.map((url) => fetch(`${url}/_rehearsal/clock`).then((r) => r.json() as Promise<{ now: string }>)));
      expect(clocks.map((c) => c.now)).to.deep.equal(Array(config.length).fill('2026-11-23T09:31:00.000Z'));
    } finally {
      await stack.close();
    }
  });

  it('kill -9 of a gateway mid-load: the other finishes the logins it is handed, no session is lost, nothing fails once it is dead', async () => {
    const events: { kind: string; service: string }[] = [];
    const stack = await replicated('examples/acme.yaml', events);
    // Dead once the supervisor has seen the process exit: from then on its port refuses, and HAProxy sends the request elsewhere.
    const dead = () => events.some((e) => e.kind === 'died' && e.service === 'gateway-1');
    try {
      const core = new ServiceClient('core', stack.urls.core, stack.credentials.coreAdminKey);
      await core.call('POST', `/api/orgs/${stack.applied!.orgId}/products/jira-software/access`, { emails: ['alice@acme.com', 'bob@acme.com'] });
      const sessions: string[] = [];
      const failures: { what: string; startedBeforeDeath: boolean }[] = [];
      let logins = 0;
      let killed = false;
      const attempt = async <T>(what: string, work: () => Promise<T>, ok: (value: T) => boolean): Promise<T | undefined> => {
        const startedBeforeDeath = !dead();
        try {
          const value = await work();
          if (!ok(value)) failures.push({ what: `${what}: ${JSON.stringify(value).slice(0, 300)}`, startedBeforeDeath });
          return value;
        } catch (err) {
          failures.push({ what: `${what}: ${(err as Error).message.slice(0, 300)}`, startedBeforeDeath });
          return undefined;
        }
      };
      const worker = async (email: string) => {
        for (let round = 0; round < 12; round++) {
          const login = await attempt(
            `login ${email}`,
            () => headlessLogin(stack.urls, email, { then: '/jira' }),
            (l) => l.outcome === 'logged-in' && l.page?.status === 200,
          );
          if (login?.cookie && login.page?.status === 200) sessions.push(login.cookie);
          // A third of the way through, one gateway dies with logins in flight on it.
          if (++logins === 16 && !killed) {
            process.kill(stack.pids()['gateway-1']!, 'SIGKILL');
            killed = true;
          }
          for (const cookie of sessions.slice(-3))
            await attempt(
              'product',
              () => product(stack, '/jira', cookie),
              (a) => a.status === 200,
            );
        }
      };
      await Promise.all(['alice@acme.com', 'bob@acme.com', 'alice@acme.com', 'bob@acme.com'].map(worker));
      expect(killed).to.equal(true);
      expect(events.filter((e) => e.kind === 'died').map((e) => e.service)).to.deep.equal(['gateway-1']);
      // Only what reached gateway-1 before it was gone may fail, as a 502 or a cut connection; everything sent after succeeds.
      expect(failures.filter((f) => !f.startedBeforeDeath)).to.deep.equal([]);
      for (const f of failures) expect(f.what).to.match(/502|other side closed|socket hang up|ECONNRESET/);
      expect(failures.length).to.be.at.most(8);
      expect(sessions.length).to.be.at.least(48 - failures.length);
      // Every session made before and after the kill still opens the product.
      for (const cookie of sessions) expect((await product(stack, '/jira', cookie)).status).to.equal(200);
    } finally {
      await stack.close();
    }
  });

  it('kill -9 of the IdP replica a client is on, mid-logins: the other answers from then on, and the logins it began finish there', async () => {
    const events: { kind: string; service: string }[] = [];
    const stack = await replicated('examples/acme.yaml', events);
    try {
      // HAProxy keeps a client on one IdP replica (by address): the one whose ledger holds the first login.
      await headlessLogin(stack.urls, 'alice@acme.com');
      const idps = readHaproxyBackends(stack).filter((url) => new RegExp(`:(${idpPorts(stack).join('|')})$`).test(url));
      const ledgers = await Promise.all(idps.map((url) => fetch(`${url}/api/ledger`).then((r) => r.json() as Promise<{ entries: unknown[] }>)));
      const serving = ledgers.findIndex((l) => l.entries.length > 0);
      expect(serving, 'one replica served the login').to.be.at.least(0);
      const name = `idp-${serving + 1}`;
      const dead = () => events.some((e) => e.kind === 'died' && e.service === name);
      const failures: { what: string; startedBeforeDeath: boolean }[] = [];
      let logins = 0;
      let killed = false;
      const worker = async (email: string) => {
        for (let round = 0; round < 10; round++) {
          const startedBeforeDeath = !dead();
          const login = await headlessLogin(stack.urls, email).catch((err: Error) => ({ outcome: err.message, reason: 'thrown' }));
          if (login.outcome !== 'logged-in') failures.push({ what: `${email}: ${login.outcome} ${login.reason}`, startedBeforeDeath });
          if (++logins === 10 && !killed) {
            process.kill(stack.pids()[name]!, 'SIGKILL');
            killed = true;
          }
        }
      };
      await Promise.all(['alice@acme.com', 'bob@acme.com', 'alice@acme.com'].map(worker));
      expect(killed).to.equal(true);
      expect(events.filter((e) => e.kind === 'died').map((e) => e.service)).to.deep.equal([name]);
      // Only a step that reached the dead replica may fail; everything begun once it was gone succeeds.
      expect(failures.filter((f) => !f.startedBeforeDeath)).to.deep.equal([]);
      expect(failures.length).to.be.at.most(3);
      // The survivor answers for the directory the first one loaded, with the same signing key the gateway trusts.
      const survivor = new ServiceClient('mock-idp', idps[1 - serving]!);
      expect((await survivor.call<{ users: unknown[] }>('GET', '/api/users')).users.length).to.be.greaterThan(1);
      expect((await headlessLogin(stack.urls, 'bob@acme.com', { then: '/jira' })).outcome).to.equal('logged-in');
    } finally {
      await stack.close();
    }
  });

  it('kill -9 of a core mid-provisioning of billing-surprise: the cycle completes through the other, with the counts of an uninterrupted run', async () => {
    const events: { kind: string; service: string }[] = [];
    const stack = await replicated('examples/billing-surprise.yaml', events);
    try {
      const idp = new ServiceClient('mock-idp', stack.urls.idp);
      const cycle = await idp.call<any>('POST', `${TARGET}/cycles`, { kind: 'initial' });
      for (;;) {
        const now = await idp.call<any>('GET', `${TARGET}/cycles/${cycle.id}`);
        if (now.status !== 'running' || (now.phase === 'writing' && now.done >= 1300)) break;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      process.kill(stack.pids()['core-1']!, 'SIGKILL');
      let finished;
      for (;;) {
        finished = await idp.call<any>('GET', `${TARGET}/cycles/${cycle.id}`);
        if (finished.status !== 'running') break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(finished.status, JSON.stringify(finished.failures?.slice(0, 3))).to.equal('succeeded');
      expect(events.filter((e) => e.kind === 'died').map((e) => e.service)).to.deep.equal(['core-1']);
      // The counts an uninterrupted run of billing-surprise reaches (e2e/test/faults.test.ts measures them on one core).
      const core = new ServiceClient('core', stack.urls.core, stack.credentials.coreAdminKey);
      const directory = stack.applied!.directories.find((d) => d.scim)!;
      const scim = new ServiceClient('core', directory.scim!.baseUrl, directory.scim!.token);
      expect((await scim.call<any>('GET', '/Users?count=0')).totalResults).to.equal(4005);
      const billing = await core.call<any>('GET', `/api/orgs/${stack.applied!.orgId}/billing`);
      expect(billing.billableCount).to.equal(3406);
      // A write core-1 committed but died before answering got HAProxy's 502; its retry found it done (a 409 for a
      // create). The next cycle links such a user and sends what waited on it (a group membership), creating nothing.
      const repair = await idp.call<any>('POST', `${TARGET}/cycles`, { kind: 'initial', wait: true });
      expect(repair.status, JSON.stringify(repair.failures?.slice(0, 3))).to.equal('succeeded');
      expect(repair.counts['users.create'] ?? 0, 'nothing created twice').to.equal(0);
      // And once converged, a cycle has nothing left to do.
      const settled = await idp.call<any>('POST', `${TARGET}/cycles`, { kind: 'initial', wait: true });
      expect(settled, JSON.stringify(settled.counts)).to.include({ status: 'succeeded', writes: 0 });
    } finally {
      await stack.close();
    }
  });
});

/** The IdP replicas' ports, from the `idp` backend of the HAProxy configuration. */
function idpPorts(stack: Stack): string[] {
  const config = readFileSync(join(stack.dataDir, 'haproxy.cfg'), 'utf8');
  return [...config.matchAll(/^\s+server idp-\d+ 127\.0\.0\.1:(\d+)/gm)].map((m) => m[1]!);
}

/** The replicas' own URLs, from the HAProxy configuration the stack wrote. */
function readHaproxyBackends(stack: Stack): string[] {
  const config = readFileSync(join(stack.dataDir, 'haproxy.cfg'), 'utf8');
  return [...config.matchAll(/^\s+server \S+ (127\.0\.0\.1:\d+)/gm)].map((m) => `http://${m[1]}`);
}
