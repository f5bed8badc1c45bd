import { expect } from 'chai';
import { generateSync } from 'otplib';
import { sessionCookie, ssoLogin, startStack, type Stack } from './support/stack.ts';

describe('gateway: a staged SSO rollout, walked end to end', function () {
  this.timeout(60_000);
  let stack: Stack;
  beforeEach(async () => (stack = await startStack({ pilot: [] })));
  afterEach(() => stack.close());

  const preview = async (emails: string[]) =>
    (await stack.core.post(`/api/orgs/${stack.org.id}/policies/${stack.pilot.id}/preview`, { addMembers: emails })).body;
  const enforce = (emails: string[]) => stack.core.post(`/api/orgs/${stack.org.id}/policies/${stack.pilot.id}/members`, { emails });
  const passwordLogin = (email: string, password: string) => stack.request('POST', '/login/password', { email, password });

  it('previews, enforces for two users who then log in via SSO, keeps a third on password + 2SV, and widens the pilot', async () => {
    // Everyone outside the pilot logs in with a password and two-step verification.
    const policies = (await stack.core.get(`/api/orgs/${stack.org.id}/policies`)).body as { id: string; directoryId: string }[];
    const local = policies.find((p) => p.directoryId !== stack.directoryId)!.id;
    await stack.core.patch(`/api/orgs/${stack.org.id}/policies/${local}`, { twoStep: 'mandatory' });
    expect((await stack.request('POST', '/login', { email: 'alice@acme.com' })).body).to.include({ step: 'password' });

    // 1. Preview: two users move to SSO, nobody is locked out, nothing changes yet.
    const planned = await preview(['alice@acme.com', 'bob@acme.com']);
    expect(planned.summary).to.deep.equal({ affected: 2, lockedOut: 0, alreadyInactive: 0, alreadyLockedOut: 0, admins: 0, byNextLogin: { sso: 2 } });
    expect((await stack.request('POST', '/login', { email: 'alice@acme.com' })).body).to.include({ step: 'password' });

    // 2. Enforce for the pilot: their next login goes through the IdP, without restarting anything.
    expect((await enforce(['alice@acme.com', 'bob@acme.com'])).status).to.be.oneOf([200, 201]);
    for (const email of ['alice@acme.com', 'bob@acme.com']) {
      const { start, callback } = await ssoLogin(stack, email);
      expect(start.status, email).to.equal(302);
      expect(callback.status, `${email}: ${callback.text}`).to.equal(303);
      expect((await stack.request('GET', '/me', undefined, { cookie: sessionCookie(callback)! })).body).to.include({ email, method: 'sso' });
      expect((await passwordLogin(email, `${email.split('@')[0]}-long-passphrase-1`)).body.error.code).to.equal('sso-required');
    }

    // 3. Carol keeps her path: password, then two-step enrolment.
    const carol = await passwordLogin('carol@acme.com', 'carol-long-passphrase-1');
    expect(carol.body.step).to.equal('two-step-enrolment');
    const pending = carol.headers.getSetCookie()[0]!.split(';')[0]!;
    const code = generateSync({ secret: carol.body.secret, epoch: Math.floor(stack.core.clock.now().getTime() / 1000) });
    const enrolled = await stack.request('POST', '/login/two-step/enrol', { code }, { cookie: pending });
    expect(enrolled.body).to.include({ loggedIn: true, method: 'password' });
    const carolSession = sessionCookie(enrolled)!;

    // 4. Widen the pilot to Carol: the preview says so, and her next login is SSO; her current session runs on.
    await stack.idp.request('POST', '/api/users', { email: 'carol@acme.com', givenName: 'Carol', surname: 'Ray', password: 'carol-idp-pass' });
    const widened = await preview(['carol@acme.com']);
    expect(widened.summary).to.deep.equal({ affected: 1, lockedOut: 0, alreadyInactive: 0, alreadyLockedOut: 0, admins: 0, byNextLogin: { sso: 1 } });
    await enforce(['carol@acme.com']);
    expect((await stack.request('GET', '/me', undefined, { cookie: carolSession })).status, 'policy changes apply at the next login').to.equal(200);
    const next = await ssoLogin(stack, 'carol@acme.com');
    expect(next.callback.status, next.callback.text).to.equal(303);
    expect((await passwordLogin('carol@acme.com', 'carol-long-passphrase-1')).body.error.code).to.equal('sso-required');
  });

  it('refuses in the preview an account the organization does not manage, before anything is enforced', async () => {
    await stack.core.post('/api/accounts', { email: 'dave@partner.example', password: 'dave-long-passphrase-1' });
    const planned = await preview(['alice@acme.com', 'dave@partner.example']);
    // Dave is not a managed account of this organization: the preview names him instead of moving him.
    expect(planned.refused).to.deep.equal([
      { email: 'dave@partner.example', code: 'account-not-managed', message: 'dave@partner.example is not a managed account of this organization.' },
    ]);
    expect(planned.summary).to.deep.equal({ affected: 1, lockedOut: 0, alreadyInactive: 0, alreadyLockedOut: 0, admins: 0, byNextLogin: { sso: 1 } });
    expect((await stack.request('POST', '/login', { email: 'dave@partner.example' })).body).to.include({ step: 'password' });
  });
});
