import { expect } from 'chai';
import { generateSync } from 'otplib';
import { namesFromAttributes, passwordCompletionRefusal, ssoCompletionRefusal } from '../../src/login/login-completion.ts';
import type { LoginDecision } from '../../src/login/login-decision.ts';
import { GATEWAY_KEY, startCore, type TestCore } from '../support/core.ts';
import { rolloutFixture } from '../support/org-fixture.ts';

const decision = (overrides: Partial<LoginDecision> & { required?: boolean } = {}): LoginDecision => ({
  email: 'alice@acme.com',
  allowed: true,
  method: 'sso',
  reason: 'policy-sso-enforced',
  message: '',
  accountId: 'acc-1',
  orgId: 'org-1',
  policy: { id: 'pol-1', name: 'Pilot', directoryId: 'dir-idp', sso: 'enforced' },
  idp: null,
  twoStep: { mode: null, required: overrides.required ?? false, enrolled: false, enrolmentRequired: false },
  password: { set: true, expired: false, minStrength: null },
  session: { idleMinutes: 60, absoluteMinutes: null },
  ...overrides,
});

describe('login completion rules (pure)', () => {
  const sso: [string, LoginDecision, string, string | undefined][] = [
    ['SSO enforced, through the policy directory', decision(), 'dir-idp', undefined],
    ['SSO optional, through the policy directory', decision({ method: 'sso-or-password', reason: 'policy-sso-optional' }), 'dir-idp', undefined],
    ['another directory', decision(), 'dir-other', 'authentication-policy-strategy-mismatch'],
    ['a password policy', decision({ method: 'password', reason: 'policy-password' }), 'dir-idp', 'authentication-policy-strategy-mismatch'],
    [
      'a locked-out account',
      decision({ allowed: false, method: null, reason: 'no-identity-in-idp-directory' }),
      'dir-idp',
      'authentication-policy-strategy-mismatch',
    ],
    ['no policy', decision({ policy: null, method: 'password', reason: 'policy-missing' }), 'dir-idp', 'authentication-policy-strategy-mismatch'],
  ];
  for (const [name, d, directoryId, expected] of sso) {
    it(`an assertion for ${name}: ${expected ?? 'completes'}`, () => expect(ssoCompletionRefusal(d, { directoryId })).to.equal(expected));
  }

  const password: [string, LoginDecision, 'none' | 'code' | 'enrolment', string | undefined][] = [
    ['a password policy without 2SV', decision({ method: 'password' }), 'none', undefined],
    ['SSO enforced', decision(), 'none', 'sso-required'],
    ['mandatory 2SV without a code', decision({ method: 'password', required: true }), 'none', 'two-step-code-required'],
    ['mandatory 2SV with a code', decision({ method: 'password', required: true }), 'code', undefined],
    ['mandatory 2SV with an enrolment', decision({ method: 'sso-or-password', required: true }), 'enrolment', undefined],
    ['a deactivated account', decision({ allowed: false, method: null, reason: 'account-deactivated' }), 'code', 'login-refused'],
  ];
  for (const [name, d, factor, expected] of password) {
    it(`a password login under ${name}: ${expected ?? 'completes'}`, () => expect(passwordCompletionRefusal(d, factor)).to.equal(expected));
  }

  it('reads given name and surname under the names IdPs use, first non-blank wins', () => {
    expect(namesFromAttributes({ 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname': ['Alice'], sn: ['Liddell'] })).to.deep.equal({
      givenName: 'Alice',
      surname: 'Liddell',
    });
    expect(namesFromAttributes({ givenName: ['  '], firstName: ['Al'], 'urn:oid:2.5.4.4': ['L'] })).to.deep.equal({ givenName: 'Al', surname: 'L' });
    expect(namesFromAttributes({ email: ['a@acme.com'] })).to.deep.equal({});
  });
});

describe('login start and completion (POST /api/login/start, /api/login/complete)', () => {
  let core: TestCore;
  beforeEach(async () => (core = await startCore()));
  afterEach(() => core.close());
  const call = (path: string, body: unknown) => core.post(path, body, { key: GATEWAY_KEY });

  it('starts a login with the decision and the connection the AuthnRequest goes to', async () => {
    const { org, pilot } = await rolloutFixture(core);
    await core.post(`/api/orgs/${org.id}/policies/${pilot.id}/members`, { emails: ['alice@acme.com'] });
    const sso = (await call('/api/login/start', { email: 'alice@acme.com' })).body;
    expect(sso.decision).to.deep.include({ allowed: true, method: 'sso' });
    expect(sso.connection).to.deep.include({ id: sso.decision.idp.connectionId, acsUrl: sso.decision.idp.acsUrl });
    expect(sso.connection.certificate).to.match(/BEGIN CERTIFICATE/);
    const password = (await call('/api/login/start', { email: 'bob@acme.com' })).body;
    expect(password).to.deep.include({ connection: null });
    expect(password.decision).to.include({ method: 'password' });
  });

  it("completes an SSO login: records it, sets the display name by the connection's rule, answers the session", async () => {
    const { org, pilot } = await rolloutFixture(core);
    await core.post(`/api/orgs/${org.id}/policies/${pilot.id}/members`, { emails: ['alice@acme.com'] });
    const { connection } = (await call('/api/login/start', { email: 'alice@acme.com' })).body;
    const done = await call('/api/login/complete', {
      method: 'sso',
      connectionId: connection.id,
      nameId: 'Alice@acme.com',
      attributes: { givenName: ['Alice'], surname: ['Liddell'] },
      sessionIndex: '_s1',
    });
    expect(done.status).to.equal(200);
    expect(done.body).to.deep.include({
      completed: true,
      email: 'alice@acme.com',
      method: 'sso',
      connectionId: connection.id,
      sessionIndex: '_s1',
      firstLogin: true,
      displayNameUpdated: true,
    });
    expect(done.body.session).to.deep.equal({ idleMinutes: 43_200, absoluteMinutes: null });
    const alice = (await core.get('/api/accounts?email=alice@acme.com')).body[0];
    expect(alice).to.include({ displayName: 'Alice Liddell', firstLoginAt: '2026-11-23T09:00:00.000Z' });
  });

  it('refuses to complete an SSO login through a connection that is not the policy’s, and records nothing', async () => {
    const { connection } = await rolloutFixture(core).then(async () => (await call('/api/login/start', { email: 'x@acme.com' })).body);
    expect(connection).to.equal(null);
    const { org } = await core.get('/api/orgs').then((r) => ({ org: r.body[0] }));
    const directories = (await core.get(`/api/orgs/${org.id}/directories`)).body as { id: string }[];
    const saml = (await Promise.all(directories.map((d) => core.get(`/api/orgs/${org.id}/directories/${d.id}/saml`)))).find((r) => r.status === 200)!.body;
    const refused = await call('/api/login/complete', { method: 'sso', connectionId: saml.id, nameId: 'bob@acme.com', attributes: {} });
    expect(refused.body).to.deep.include({ completed: false, reason: 'authentication-policy-strategy-mismatch' });
    expect(refused.body.message).to.contain('policy-password');
    expect((await core.get('/api/accounts?email=bob@acme.com')).body[0].lastLoginAt).to.equal(null);
    expect((await call('/api/login/complete', { method: 'sso', connectionId: 'nope', nameId: 'bob@acme.com', attributes: {} })).body).to.include({
      completed: false,
      reason: 'connection-unknown',
    });
  });

  it('completes a password login only with the second factor the policy asks for', async () => {
    const { org, localDefault } = await rolloutFixture(core);
    await core.patch(`/api/orgs/${org.id}/policies/${localDefault.id}`, { twoStep: 'mandatory' });
    expect((await call('/api/login/complete', { method: 'password', email: 'bob@acme.com' })).body).to.include({
      completed: false,
      reason: 'two-step-code-required',
    });
    const secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
    const epoch = Math.floor(core.clock.now().getTime() / 1000);
    // A secret under 128 bits is refused, as the gateway never makes one (it gave a 500 before issue 15).
    const short = await call('/api/login/complete', { method: 'password', email: 'bob@acme.com', twoStep: { code: '000000', secret: 'JBSWY3DPEHPK3PXP' } });
    expect(short.status).to.equal(400);
    expect(short.body.error.code).to.equal('two-step-secret-invalid');
    expect((await call('/api/login/complete', { method: 'password', email: 'bob@acme.com', twoStep: { code: '000000', secret } })).body).to.include({
      completed: false,
      reason: 'two-step-code-invalid',
    });
    const enrolled = (
      await call('/api/login/complete', { method: 'password', email: 'bob@acme.com', twoStep: { code: generateSync({ secret, epoch }), secret } })
    ).body;
    expect(enrolled).to.deep.include({ completed: true, secondFactor: 'enrolled', recoveryCodesLeft: 10 });
    expect(enrolled.recoveryCodes).to.have.length(10);
    expect(
      (await call('/api/login/complete', { method: 'password', email: 'bob@acme.com', twoStep: { code: generateSync({ secret, epoch }) } })).body,
    ).to.include({ completed: false, reason: 'two-step-code-reused' });
    expect(
      (await call('/api/login/complete', { method: 'password', email: 'bob@acme.com', twoStep: { code: enrolled.recoveryCodes[0] } })).body,
    ).to.deep.include({ completed: true, secondFactor: 'recovery-code-used', recoveryCodesLeft: 9 });
    expect((await call('/api/login/complete', { method: 'password', email: 'bob@acme.com', twoStep: { code: '1', secret } })).body).to.include({
      completed: false,
      reason: 'two-step-enrolled',
    });
  });

  it('refuses a password completion for someone SSO is enforced on (sso-required)', async () => {
    const { org, pilot } = await rolloutFixture(core);
    await core.post(`/api/orgs/${org.id}/policies/${pilot.id}/members`, { emails: ['alice@acme.com'] });
    expect((await call('/api/login/complete', { method: 'password', email: 'alice@acme.com' })).body).to.include({ completed: false, reason: 'sso-required' });
  });

  it('answers 400 to malformed completions and 401 without the gateway key', async () => {
    for (const body of [
      {},
      { method: 'magic' },
      { method: 'sso', connectionId: 'c', nameId: '' },
      { method: 'password', email: 'nope' },
      { method: 'sso', connectionId: 'c', nameId: 'a@b.c', attributes: { a: 'not-a-list' } },
    ]) {
      const refused = await call('/api/login/complete', body);
      expect(refused.status, JSON.stringify(body)).to.equal(400);
    }
    expect((await core.post('/api/login/complete', { method: 'password', email: 'bob@acme.com' }, { key: null })).status).to.equal(401);
  });
});
