import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { dropNamespace, redisState, systemClock, type RunningService } from '@rehearsal/runtime';
import { freePort, skipWithoutServers, startRedis, type TestServer } from '@rehearsal/runtime/testing';
import { serveIdp } from '../src/serve.ts';
import { ACS, authnRequestXml, decodeResponse, formFields, HARNESS_KEY, httpRequest, redirectParam, scenario, sharedTestState, SP } from './support/idp.ts';

const PUBLIC_URL = 'http://localhost:7000';
const harness = { authorization: `Bearer ${HARNESS_KEY}` };

/**
 * Two mock IdPs, each its own server with its own data directory (so its own
 * generated signing key), sharing their state in one Redis. Each step below
 * is sent to the replica named, so a login started on one is finished on the
 * other deliberately, not by the luck of a balancer.
 */
describe('mock-idp on Redis', function () {
  this.timeout(60_000);
  let redis: TestServer | undefined;
  let url: string;
  before(async function () {
    url = process.env.REDIS_URL ?? '';
    if (!url) {
      skipWithoutServers(this);
      redis = await startRedis();
      url = redis.url;
    }
  });
  after(() => redis?.stop());

  describe('two replicas on one Redis', function () {
    let namespace: string;
    let dirs: string[];
    let replicas: RunningService[];
    let a: string;
    let b: string;

    beforeEach(async () => {
      namespace = `idp-replicas-${randomBytes(4).toString('hex')}`;
      const ports = [await freePort(), await freePort()];
      dirs = ports.map(() => mkdtempSync(join(tmpdir(), 'rehearsal-idp-replica-')));
      const config = join(dirs[0]!, 'idp.json');
      writeFileSync(config, JSON.stringify({ ...scenario, serviceProviders: [{ entityId: SP, acsUrls: [ACS] }] }));
      // Started together: the start lock lets one load the configured directory, the other takes it up.
      replicas = await Promise.all(
        ports.map((port, i) =>
          serveIdp({
            IDP_PORT: String(port),
            IDP_PUBLIC_URL: PUBLIC_URL,
            IDP_CONFIG: config,
            REHEARSAL_DATA_DIR: dirs[i]!,
            REDIS_URL: url,
            REDIS_NAMESPACE: namespace,
            REHEARSAL_HARNESS_KEY: HARNESS_KEY,
            REHEARSAL_SIBLINGS: `http://127.0.0.1:${ports[1 - i]}`,
            LOG_LEVEL: 'error',
          }),
        ),
      );
      [a, b] = ports.map((port) => `http://127.0.0.1:${port}`) as [string, string];
    });
    afterEach(async () => {
      await Promise.all(replicas.map((r) => r.close()));
      await dropNamespace(url, namespace);
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    });

    const users = async (at: string) => ((await httpRequest(at, 'GET', '/api/users')).body as { users: { id: string; email: string }[] }).users;

    it('started together, they hold one directory and sign with one key: the first replica’s', async () => {
      const [onA, onB] = [await users(a), await users(b)];
      expect(onA.map((u) => u.email)).to.deep.equal(scenario.users.map((u) => u.email));
      expect(onB).to.deep.equal(onA);
      const [metaA, metaB] = [(await httpRequest(a, 'GET', '/saml/metadata')).text, (await httpRequest(b, 'GET', '/saml/metadata')).text];
      const certificate = (xml: string) => /<ds:X509Certificate>([^<]+)</.exec(xml)?.[1];
      expect(certificate(metaA)).to.be.a('string');
      expect(certificate(metaB)).to.equal(certificate(metaA));
      expect(replicas[0]!.banner.join('\n')).to.contain('Redis redis://127.0.0.1');
      // Each replica says which key it signs with: one its own file holds, or the replicas' own from Redis.
      const fingerprints = replicas.map((r) => /SHA-256 ([0-9A-F:]+)/.exec(r.banner.join('\n'))?.[1]);
      expect(fingerprints[1]).to.equal(fingerprints[0]);
      expect(replicas.filter((r) => r.banner.join('\n').includes("the replicas' own, from Redis"))).to.have.length(1);
    });

    it('finishes on one replica a login started on the other, and the IdP session makes the next login silent on either', async () => {
      const start = await httpRequest(a, 'GET', `/saml/sso?SAMLRequest=${redirectParam(authnRequestXml({ id: '_req-on-a' }))}`);
      expect(start.status).to.equal(303);
      const loginPage = start.headers.get('location')!;
      expect((await httpRequest(b, 'GET', loginPage)).status).to.equal(200);
      const posted = await httpRequest(b, 'POST', loginPage, 'username=alice%40acme.com&password=alice-pass');
      expect(posted.status).to.equal(200);
      expect(decodeResponse(formFields(posted.text).samlResponse!)).to.contain('InResponseTo="_req-on-a"');
      const cookie = posted.headers.get('set-cookie')!.split(';')[0]!;
      // The pending login was used once, wherever it is asked for again.
      const reused = await httpRequest(a, 'POST', loginPage, 'username=alice%40acme.com&password=alice-pass');
      expect([reused.status, reused.text.includes('login-not-found')]).to.deep.equal([404, true]);
      for (const [at, id] of [
        [a, '_req-silent-a'],
        [b, '_req-silent-b'],
      ] as const) {
        const silent = await httpRequest(at, 'GET', `/saml/sso?SAMLRequest=${redirectParam(authnRequestXml({ id }))}`, undefined, { cookie });
        expect(silent.status, at).to.equal(200);
        expect(decodeResponse(formFields(silent.text).samlResponse!)).to.contain(`InResponseTo="${id}"`);
      }
      const sessions = (await httpRequest(b, 'GET', '/api/sessions')).body as { sessions: { user: string }[] };
      expect(sessions.sessions.map((s) => s.user)).to.deep.equal(['alice@acme.com']);
    });

    it('sees at once what the other changed: a user created, a service provider removed, a user deactivated', async () => {
      const created = await httpRequest(a, 'POST', '/api/users', { email: 'carol@acme.com', password: 'carol-pass' });
      expect(created.status).to.equal(201);
      expect((await users(b)).map((u) => u.email)).to.include('carol@acme.com');
      const headless = await httpRequest(b, 'POST', '/api/login', { sp: SP, user: 'carol@acme.com' });
      expect(headless.status).to.equal(200);

      // A session started on A ends on B when its user is deactivated there.
      const start = await httpRequest(a, 'GET', `/saml/sso?SAMLRequest=${redirectParam(authnRequestXml())}`);
      const posted = await httpRequest(a, 'POST', start.headers.get('location')!, 'username=carol%40acme.com&password=carol-pass');
      const cookie = posted.headers.get('set-cookie')!.split(';')[0]!;
      expect((await httpRequest(b, 'PATCH', '/api/users/carol@acme.com', { active: false })).status).to.equal(200);
      const again = await httpRequest(a, 'GET', `/saml/sso?SAMLRequest=${redirectParam(authnRequestXml({ id: '_req-after' }))}`, undefined, { cookie });
      expect(again.status, 'the login page, not a silent answer').to.equal(303);

      expect((await httpRequest(b, 'DELETE', `/api/service-providers/${encodeURIComponent(SP)}`)).status).to.equal(204);
      const refused = await httpRequest(a, 'GET', `/saml/sso?SAMLRequest=${redirectParam(authnRequestXml({ id: '_req-gone' }))}`);
      expect([refused.status, refused.text.includes('sp-not-registered')]).to.deep.equal([403, true]);
    });

    it('reset and clock changes made on one replica reach both; the directory is back to its configuration on each', async () => {
      await httpRequest(b, 'POST', '/api/users', { email: 'dave@acme.com' });
      const frozen = await httpRequest(a, 'POST', '/_rehearsal/clock', { freeze: true, at: '2026-12-01T08:00:00.000Z' }, harness);
      expect(frozen.status).to.equal(200);
      for (const at of [a, b]) expect((await httpRequest(at, 'GET', '/_rehearsal/clock')).body).to.include({ now: '2026-12-01T08:00:00.000Z', frozen: true });
      expect((await httpRequest(a, 'POST', '/_rehearsal/reset', undefined, harness)).status).to.equal(200);
      for (const at of [a, b]) expect((await users(at)).map((u) => u.email)).to.deep.equal(scenario.users.map((u) => u.email));
      expect(await users(b)).to.deep.equal(await users(a));
    });
  });

  describe('the Redis state two replicas share', () => {
    it('takes up the other’s puts and removals by key, and reads everything again after a reset or once the journal was trimmed past it', async () => {
      const namespace = `idp-state-${randomBytes(4).toString('hex')}`;
      const [one, other] = [await sharedTestState(url, namespace, 6), await sharedTestState(url, namespace, 6)];
      try {
        one.state.put('directory:user:a', { n: 1 });
        one.state.put('directory:user:b', { n: 2 });
        await one.state.flush();
        expect([...((await other.state.catchUp()) as Set<string>)]).to.deep.equal(['directory:user:a', 'directory:user:b']);
        expect(other.state.get('directory:user:b')).to.deep.equal({ n: 2 });
        one.state.remove('directory:user:a');
        await one.state.flush();
        await other.state.catchUp();
        expect(other.state.get('directory:user:a')).to.equal(undefined);
        // Its own writes are not read back as changes.
        other.state.put('sp:x', { entityId: 'x' });
        await other.state.flush();
        expect([...((await other.state.catchUp()) as Set<string>)]).to.deep.equal([]);
        // Ten changes in a journal of six: the other cannot follow line by line, and reads it all, in first-put order.
        for (let i = 0; i < 10; i++) one.state.put(`directory:user:${i}`, { i });
        await one.state.flush();
        expect(await other.state.catchUp()).to.equal('all');
        expect(other.state.entries('directory:user:').map(([key]) => key)).to.deep.equal([
          'directory:user:b',
          ...Array.from({ length: 10 }, (_, i) => `directory:user:${i}`),
        ]);
        expect(other.state.get('sp:x')).to.deep.equal({ entityId: 'x' });
        one.state.clear();
        await one.state.flush();
        expect(await other.state.catchUp()).to.equal('all');
        expect(other.state.entries('')).to.deep.equal([]);
      } finally {
        await one.close();
        await other.close();
      }
    });

    it('lands one replica’s writes in the order it made them, even on a server that lost its scripts', async () => {
      const namespace = `idp-order-${randomBytes(4).toString('hex')}`;
      const one = await sharedTestState(url, namespace);
      const admin = await redisState(url, systemClock, namespace);
      try {
        one.state.put('targets:saved', true);
        await one.state.flush();
        // A server that forgot its scripts (restarted, SCRIPT FLUSH): a removal then a put of one key, at once.
        await admin.redis!.script('FLUSH');
        one.state.put('sp:a', { entityId: 'a' });
        await one.state.flush();
        one.state.remove('targets:saved');
        one.state.put('targets:saved', true);
        await one.state.flush();
        const fresh = await sharedTestState(url, namespace);
        expect(fresh.state.get('targets:saved')).to.equal(true);
        await fresh.close();
      } finally {
        await one.close();
        await admin.close();
      }
    });
  });
});
