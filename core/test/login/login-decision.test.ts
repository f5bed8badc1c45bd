import { expect } from 'chai';
import { HARNESS_KEY, GATEWAY_KEY, startCore, type TestCore } from '../support/core.ts';
import { rolloutFixture } from '../support/org-fixture.ts';

describe('login decision (POST /api/login/decision)', () => {
  let core: TestCore;
  beforeEach(async () => (core = await startCore()));
  afterEach(() => core.close());

  const decide = async (email: string) => {
    const response = await core.post('/api/login/decision', { email }, { key: GATEWAY_KEY });
    expect(response.status).to.equal(200);
    return response.body;
  };
  const movePilot = (orgId: string, policyId: string, emails: string[]) => core.post(`/api/orgs/${orgId}/policies/${policyId}/members`, { emails });

  it('sends unknown emails down the normal password path (account-unknown)', async () => {
    expect(await decide('nobody@acme.com')).to.deep.include({ allowed: true, method: 'password', reason: 'account-unknown', accountId: null, policy: null });
  });

  it('lets unmanaged accounts log in with their password (account-unmanaged)', async () => {
    await core.post('/api/accounts', { email: 'free@home.example', password: 'a-long-passphrase' });
    const decision = await decide('free@home.example');
    expect(decision).to.deep.include({ allowed: true, method: 'password', reason: 'account-unmanaged', orgId: null });
    expect(decision.password).to.deep.include({ set: true });
  });

  it('uses the password for members of a policy without SSO (policy-password), with its session limits', async () => {
    const { org, localDefault } = await rolloutFixture(core);
    await core.patch(`/api/orgs/${org.id}/policies/${localDefault.id}`, { idleMinutes: 30, sessionExpiryMinutes: 600 });
    const decision = await decide('alice@acme.com');
    expect(decision).to.deep.include({ allowed: true, method: 'password', reason: 'policy-password', orgId: org.id, idp: null });
    expect(decision.policy).to.deep.include({ id: localDefault.id, sso: 'disabled' });
    expect(decision.session).to.deep.equal({ idleMinutes: 30, absoluteMinutes: 600 });
  });

  it('redirects members of an SSO-enforced policy to their IdP (policy-sso-enforced)', async () => {
    const { org, pilot } = await rolloutFixture(core);
    await movePilot(org.id, pilot.id, ['alice@acme.com']);
    const decision = await decide('ALICE@acme.com');
    expect(decision).to.deep.include({ allowed: true, method: 'sso', reason: 'policy-sso-enforced' });
    expect(decision.idp).to.deep.include({ entityId: 'http://localhost:7000/saml/metadata', ssoUrl: 'http://localhost:7000/saml/sso' });
    expect(decision.idp.spEntityId).to.equal(`http://localhost:8000/saml/${decision.idp.connectionId}`);
    expect(decision.idp.acsUrl).to.equal(`http://localhost:8000/login/callback?connection=saml-${decision.idp.connectionId}`);
    expect(decision.twoStep).to.deep.include({ mode: 'idp', required: false });
  });

  it('hands the gateway a connection with its IdP certificate and SP URLs, to the gateway key only', async () => {
    const { org, pilot } = await rolloutFixture(core);
    await movePilot(org.id, pilot.id, ['alice@acme.com']);
    const { connectionId } = (await decide('alice@acme.com')).idp;
    const connection = await core.get(`/api/login/connections/${connectionId}`, { key: GATEWAY_KEY });
    expect(connection.status).to.equal(200);
    expect(connection.body).to.deep.include({
      id: connectionId,
      idpEntityId: 'http://localhost:7000/saml/metadata',
      spEntityId: `http://localhost:8000/saml/${connectionId}`,
    });
    expect(connection.body.certificate).to.match(/^-----BEGIN CERTIFICATE-----/);
    expect((await core.get(`/api/login/connections/nope`, { key: GATEWAY_KEY })).status).to.equal(404);
    expect((await core.get(`/api/login/connections/${connectionId}`, { key: null })).status).to.equal(401);
  });

  it('locks out SSO-enforced members when the directory has no SAML connection (sso-connection-missing)', async () => {
    const { org, pilot } = await rolloutFixture(core, { connect: false });
    await movePilot(org.id, pilot.id, ['alice@acme.com']);
    expect(await decide('alice@acme.com')).to.deep.include({ allowed: false, method: null, reason: 'sso-connection-missing' });
  });

  it('locks out SSO-enforced members whose domain is not linked to the directory (domain-not-linked-to-directory)', async () => {
    const { org, pilot } = await rolloutFixture(core, { link: false });
    await movePilot(org.id, pilot.id, ['alice@acme.com']);
    expect(await decide('alice@acme.com')).to.deep.include({ allowed: false, reason: 'domain-not-linked-to-directory' });
  });

  it('locks out SSO-enforced members the IdP never provisioned, once it provisions anyone (no-identity-in-idp-directory)', async () => {
    const { org, pilot, idp, accounts } = await rolloutFixture(core);
    await movePilot(org.id, pilot.id, ['alice@acme.com', 'bob@acme.com']);
    // The SCIM server records which directory provisioned whom; arrange that state in the store directly.
    await core.store.transaction((tx) => tx.addIdentity(idp.id, accounts.bob!.id, '2026-11-23T09:00:00.000Z'));
    expect(await decide('alice@acme.com')).to.deep.include({ allowed: false, reason: 'no-identity-in-idp-directory' });
    expect(await decide('bob@acme.com')).to.deep.include({ allowed: true, reason: 'policy-sso-enforced' });
  });

  it('offers both ways under optional SSO, or the password alone when SSO cannot serve the account', async () => {
    const { org, idp } = await rolloutFixture(core);
    const optional = (await core.post(`/api/orgs/${org.id}/policies`, { name: 'Optional', directoryId: idp.id, sso: 'optional', twoStep: 'mandatory' })).body;
    await movePilot(org.id, optional.id, ['alice@acme.com']);
    const decision = await decide('alice@acme.com');
    expect(decision).to.deep.include({ allowed: true, method: 'sso-or-password', reason: 'policy-sso-optional' });
    expect(decision.idp).to.be.an('object');
    expect(decision.twoStep).to.deep.include({ mode: 'mandatory', required: true, enrolled: false, enrolmentRequired: true });
    await core.delete(`/api/orgs/${org.id}/directories/${idp.id}/saml`);
    expect(await decide('alice@acme.com')).to.deep.include({ method: 'password', reason: 'policy-sso-optional-unavailable', idp: null });
  });

  it('requires 2SV enrolment when it becomes mandatory', async () => {
    const { org, localDefault } = await rolloutFixture(core);
    expect((await decide('alice@acme.com')).twoStep).to.deep.include({ required: false, enrolmentRequired: false });
    await core.patch(`/api/orgs/${org.id}/policies/${localDefault.id}`, { twoStep: 'mandatory' });
    expect((await decide('alice@acme.com')).twoStep).to.deep.include({ mode: 'mandatory', required: true, enrolled: false, enrolmentRequired: true });
  });

  it('reports an expired password once the policy expiry has passed on the injected clock', async () => {
    const { org, localDefault } = await rolloutFixture(core);
    await core.patch(`/api/orgs/${org.id}/policies/${localDefault.id}`, { passwordExpiryDays: 30 });
    expect((await decide('alice@acme.com')).password).to.deep.include({ set: true, expired: false });
    await core.post('/_rehearsal/clock', { advance: '29d' }, { key: HARNESS_KEY });
    expect((await decide('alice@acme.com')).password.expired).to.equal(false);
    await core.post('/_rehearsal/clock', { advance: '1d' }, { key: HARNESS_KEY });
    expect((await decide('alice@acme.com')).password.expired).to.equal(true);
  });

  it('refuses a decision for a malformed email with 400', async () => {
    const response = await core.post('/api/login/decision', { email: 'nope' }, { key: GATEWAY_KEY });
    expect(response.status).to.equal(400);
    expect(response.body.error.details[0].path).to.equal('body.email');
  });

  it('checks passwords with a reason code for each outcome', async () => {
    await rolloutFixture(core);
    await core.post('/api/accounts', { email: 'nopass@acme.com' });
    const check = async (email: string, password: string) => (await core.post('/api/login/password', { email, password }, { key: GATEWAY_KEY })).body;
    expect(await check('alice@acme.com', 'alice-long-passphrase-1')).to.deep.include({ valid: true, reason: 'password-valid' });
    expect(await check('alice@acme.com', 'wrong')).to.deep.include({ valid: false, reason: 'password-invalid' });
    expect(await check('nopass@acme.com', 'x')).to.deep.include({ valid: false, reason: 'password-not-set' });
    expect(await check('ghost@acme.com', 'x')).to.deep.include({ valid: false, reason: 'account-unknown' });
    const alice = (await core.get('/api/accounts?email=alice@acme.com')).body[0];
    await core.post(`/api/accounts/${alice.id}/deactivate`);
    expect(await check('alice@acme.com', 'alice-long-passphrase-1')).to.deep.include({ valid: false, reason: 'account-deactivated' });
    // A deactivated account is told only to someone who knows its password: otherwise it is a wrong password.
    expect(await check('alice@acme.com', 'wrong')).to.deep.include({ valid: false, reason: 'password-invalid' });
  });

  it('records first and last logins on the injected clock', async () => {
    await rolloutFixture(core);
    const first = (await core.post('/api/login/record', { email: 'alice@acme.com', method: 'sso' }, { key: GATEWAY_KEY })).body;
    expect(first).to.deep.include({ recorded: true, firstLogin: true, at: '2026-11-23T09:00:00.000Z' });
    await core.post('/_rehearsal/clock', { advance: '2h' }, { key: HARNESS_KEY });
    const second = (await core.post('/api/login/record', { email: 'alice@acme.com', method: 'password' }, { key: GATEWAY_KEY })).body;
    expect(second).to.deep.include({ firstLogin: false });
    const account = (await core.get('/api/accounts?email=alice@acme.com')).body[0];
    expect(account).to.include({ firstLoginAt: '2026-11-23T09:00:00.000Z', lastLoginAt: '2026-11-23T11:00:00.000Z' });
    expect((await core.post('/api/login/record', { email: 'alice@acme.com', method: 'magic' }, { key: GATEWAY_KEY })).status).to.equal(400);
  });
});
