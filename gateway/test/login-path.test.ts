import { expect } from 'chai';
import { generateSync } from 'otplib';
import { browserCookie, ssoLogin, startStack, type Reply, type Stack } from './support/stack.ts';

const BOB = { email: 'bob@acme.com', password: 'bob-long-passphrase-1' };
const cookiesOf = (...replies: Reply[]) =>
  replies
    .flatMap((r) => r.headers.getSetCookie())
    .map((c) => c.split(';')[0]!)
    .filter((c) => !c.endsWith('='))
    .join('; ');

/**
 * The login path as the gateway walks it: one core call starts a login, one
 * completes it (issue 15.2). Counted at an HTTP proxy in front of core.
 */
describe('gateway: two core calls per login', function () {
  this.timeout(30_000);
  let stack: Stack;
  beforeEach(async () => (stack = await startStack({ countCoreCalls: true })));
  afterEach(() => stack.close());

  it('SP-initiated SSO: start, then complete from the assertion, with no connection look-up between', async () => {
    const { callback } = await ssoLogin(stack, 'alice@acme.com');
    expect(callback.status).to.equal(303);
    expect(stack.coreCalls!.calls()).to.deep.equal({ '/api/login/start': 1, '/api/login/complete': 1 });
  });

  it('password with two-step verification: the password (with the decision), then the code with the completion', async () => {
    const policies = (await stack.core.get(`/api/orgs/${stack.org.id}/policies`)).body as { id: string; directoryId: string }[];
    await stack.core.patch(`/api/orgs/${stack.org.id}/policies/${policies.find((p) => p.directoryId !== stack.directoryId)!.id}`, { twoStep: 'mandatory' });
    const codeAt = (secret: string) => generateSync({ secret, epoch: Math.floor(stack.core.clock.now().getTime() / 1000) });

    stack.coreCalls!.reset();
    const first = await stack.request('POST', '/login/password', BOB);
    const enrolled = await stack.request('POST', '/login/two-step/enrol', { code: codeAt(first.body.secret) }, { cookie: cookiesOf(first) });
    expect(enrolled.body).to.include({ loggedIn: true });
    expect(stack.coreCalls!.calls()).to.deep.equal({ '/api/login/password': 1, '/api/login/complete': 1 });

    stack.clock.advance(60_000);
    stack.core.clock.advance(60_000);
    stack.coreCalls!.reset();
    const again = await stack.request('POST', '/login/password', BOB);
    expect(again.body.step).to.equal('two-step');
    const done = await stack.request('POST', '/login/two-step', { code: codeAt(first.body.secret) }, { cookie: cookiesOf(again) });
    expect(done.body).to.include({ loggedIn: true, secondFactor: 'totp-valid' });
    expect(stack.coreCalls!.calls()).to.deep.equal({ '/api/login/password': 1, '/api/login/complete': 1 });
  });

  it("refuses, with core's reason, an assertion for someone whose policy moved away from this IdP while they were at it", async () => {
    const start = await stack.request('POST', '/login', { email: 'alice@acme.com' });
    const policies = (await stack.core.get(`/api/orgs/${stack.org.id}/policies`)).body as { id: string; directoryId: string }[];
    await stack.core.post(`/api/orgs/${stack.org.id}/policies/${policies.find((p) => p.directoryId !== stack.directoryId)!.id}/members`, {
      emails: ['alice@acme.com'],
    });
    const issued = await stack.idp.request('POST', '/api/login', {
      sp: stack.connection.spEntityId,
      user: 'alice@acme.com',
      authnRequest: start.headers.get('location'),
    });
    const form = `SAMLResponse=${encodeURIComponent(issued.body.samlResponse)}`;
    const refused = await stack.request('POST', `/login/callback?connection=saml-${stack.connection.id}`, form, { cookie: browserCookie(start)! });
    expect(refused.status).to.equal(403);
    expect(refused.body.error.code).to.equal('authentication-policy-strategy-mismatch');
    expect(refused.body.error.message).to.contain('policy-password');
  });
});
