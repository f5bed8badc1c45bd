import { expect } from 'chai';
import { ControllableClock, memoryState } from '@rehearsal/runtime';
import { createGatewayApp } from '../src/app.ts';
import { skipWithoutServers, startRedis, type TestServer } from '@rehearsal/runtime/testing';
import { ADMIN_KEY, postResponse, sessionCookie, ssoLogin, SSO_TRACE_STEPS, startStack, type Stack } from './support/stack.ts';

const BOB = { email: 'bob@acme.com', password: 'bob-long-passphrase-1' };

/**
 * Two gateways sharing their state in Redis, each request handed to the next in
 * turn (no stickiness): every step of a login may land on the other replica,
 * and nothing a replica holds alone may matter.
 */
describe('gateway: two replicas on one Redis, no sticky sessions', function () {
  this.timeout(60_000);
  let redis: TestServer | undefined;
  let saved: string | undefined;
  let stack: Stack;
  before(async function () {
    saved = process.env.REDIS_URL;
    if (!saved) {
      skipWithoutServers(this);
      redis = await startRedis();
      process.env.REDIS_URL = redis.url;
    }
  });
  after(async () => {
    if (redis) {
      delete process.env.REDIS_URL;
      await redis.stop();
    }
  });
  beforeEach(async () => {
    stack = await startStack({ replicas: 2 });
  });
  afterEach(() => stack.close());

  const me = (cookie: string) => stack.request('GET', '/me', undefined, { cookie });

  it('finishes on one replica an SSO login started on the other, and both know the session', async () => {
    expect(stack.state.redis, 'state in Redis').not.to.equal(undefined);
    const { start, callback } = await ssoLogin(stack, 'alice@acme.com');
    expect(start.status).to.equal(302);
    expect(callback.status).to.equal(303);
    const cookie = sessionCookie(callback)!;
    for (let i = 0; i < 4; i++) expect((await me(cookie)).body).to.include({ email: 'alice@acme.com', method: 'sso' });
    const [first, second] = stack.balancer!.served();
    expect(first).to.be.greaterThan(2);
    expect(second).to.be.greaterThan(2);
  });

  it('keeps one trace of a login begun on one replica and answered on the other, whole on either', async () => {
    const { callback } = await ssoLogin(stack, 'alice@acme.com');
    expect(callback.status).to.equal(303);
    const seen = [];
    for (let i = 0; i < 2; i++) {
      const answer = await stack.request('GET', '/api/logins', undefined, { authorization: `Bearer ${ADMIN_KEY}` });
      expect(answer.status).to.equal(200);
      seen.push(answer.body as { logins: { id: string; outcome: string; steps: { service: string; step: string }[] }[]; version: number });
    }
    // The start and the callback went one to each replica, and so did the two reads.
    expect(stack.balancer!.served()).to.deep.equal([2, 2]);
    expect(seen[1]).to.deep.equal(seen[0]);
    const [trace] = seen[0]!.logins;
    expect(seen[0]!.logins).to.have.length(1);
    expect(trace!.outcome).to.equal('logged-in');
    expect(trace!.steps.map((s) => `${s.service}:${s.step}`)).to.deep.equal(SSO_TRACE_STEPS);
    // What changed since a version is asked of either replica alike.
    const after = await stack.request('GET', `/api/logins?after=${seen[0]!.version}`, undefined, { authorization: `Bearer ${ADMIN_KEY}` });
    expect(after.body).to.deep.equal({ logins: [], version: seen[0]!.version });
  });

  it('answers an AuthnRequest once: a second post of its response, to the other replica, finds it answered', async () => {
    const { callback, samlResponse, browser } = await ssoLogin(stack, 'alice@acme.com');
    expect(callback.status).to.equal(303);
    // The balancer hands the second post to the replica that did not take the first.
    const again = await postResponse(stack, samlResponse!, undefined, browser);
    expect([again.status, again.body.error.code]).to.deep.equal([401, 'saml-in-response-to-unknown']);
  });

  it('refuses an unsolicited assertion replayed to the other replica (the replay cache is shared)', async () => {
    await stack.close();
    stack = await startStack({ replicas: 2, allowIdpInitiated: true });
    const issued = await stack.idp.request('POST', '/api/login', { sp: stack.connection.spEntityId, user: 'alice@acme.com', relayState: '/jira' });
    expect((await postResponse(stack, issued.body.samlResponse, '/jira')).status).to.equal(303);
    const replay = await postResponse(stack, issued.body.samlResponse, '/jira');
    expect([replay.status, replay.body.error.code]).to.deep.equal([401, 'saml-assertion-replayed']);
    expect(stack.balancer!.served()).to.deep.equal([1, 1]);
  });

  it('counts wrong passwords once across replicas: the sixth guess is throttled whichever replica takes it', async () => {
    for (let i = 0; i < 5; i++) {
      const wrong = await stack.request('POST', '/login/password', { ...BOB, password: `wrong-${i}` });
      expect(wrong.body.error.code).to.equal('password-invalid');
    }
    for (let i = 0; i < 2; i++) {
      const blocked = await stack.request('POST', '/login/password', BOB);
      expect([blocked.status, blocked.body.error.code]).to.deep.equal([429, 'too-many-attempts']);
    }
    stack.clock.advance(15 * 60_000);
    expect((await stack.request('POST', '/login/password', BOB)).body).to.include({ loggedIn: true });
  });

  it('holds parallel guesses at the limit while they are in flight on both replicas', async () => {
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => stack.request('POST', '/login/password', { ...BOB, password: `wrong-${i}` })));
    const checked = answers.filter((a) => a.body.error?.code === 'password-invalid').length;
    expect(checked).to.be.at.most(5);
    expect(answers.filter((a) => a.status === 429).length).to.equal(12 - checked);
  });

  it('ends a session on both replicas: idle on the shared clock, and logout on either', async () => {
    await stack.core.patch(`/api/orgs/${stack.org.id}/policies/${stack.pilot.id}`, { idleMinutes: 60 });
    const first = sessionCookie((await ssoLogin(stack, 'alice@acme.com')).callback)!;
    stack.clock.advance(59 * 60_000);
    expect((await me(first)).status).to.equal(200);
    expect((await me(first)).status).to.equal(200);
    stack.clock.advance(61 * 60_000);
    for (let i = 0; i < 2; i++) expect((await me(first)).status).to.equal(401);

    const second = sessionCookie((await ssoLogin(stack, 'alice@acme.com')).callback)!;
    expect((await stack.request('POST', '/logout', {}, { cookie: second })).status).to.be.lessThan(400);
    for (let i = 0; i < 2; i++) expect((await me(second)).status).to.equal(401);
  });

  it('revokes an account’s sessions on every replica at once', async () => {
    const cookie = sessionCookie((await ssoLogin(stack, 'alice@acme.com')).callback)!;
    const revoked = await stack.request(
      'POST',
      '/api/sessions/revoke',
      { account: 'alice@acme.com' },
      { authorization: 'Bearer gateway-admin-key-0123456789' },
    );
    expect(revoked.body).to.deep.equal({ revoked: 1 });
    for (let i = 0; i < 2; i++) expect((await me(cookie)).status).to.equal(401);
  });
});

describe('gateway: its shared state reads its own clock', () => {
  it('refuses a state made on another clock (expiries would not follow the harness)', () => {
    const clock = new ControllableClock();
    const options = { publicUrl: 'http://localhost:8000', coreUrl: 'http://127.0.0.1:1', coreKey: 'k'.repeat(20), adminKey: 'a'.repeat(20) };
    expect(() => createGatewayApp({ ...options, clock, state: memoryState(new ControllableClock(), 'gateway') })).to.throw(/own clock/);
    expect(() => createGatewayApp({ ...options, clock, state: memoryState(clock, 'gateway') })).not.to.throw();
  });
});
