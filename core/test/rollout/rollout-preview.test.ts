import { expect } from 'chai';
import { GATEWAY_KEY, HARNESS_KEY, startCore, type TestCore } from '../support/core.ts';
import { rolloutFixture } from '../support/org-fixture.ts';

describe('rollout preview (POST /api/orgs/{orgId}/policies/{policyId}/preview)', () => {
  let core: TestCore;
  beforeEach(async () => (core = await startCore()));
  afterEach(() => core.close());

  const preview = async (orgId: string, policyId: string, body: object) => {
    const response = await core.post(`/api/orgs/${orgId}/policies/${policyId}/preview`, body);
    expect(response.status, JSON.stringify(response.body)).to.equal(200);
    return response.body;
  };
  const byEmail = (result: { accounts: { email: string }[] }) => Object.fromEntries(result.accounts.map((a) => [a.email, a])) as Record<string, any>;

  it('shows pilot users moving from password to SSO, and writes nothing', async () => {
    const { org, pilot, localDefault, accounts } = await rolloutFixture(core);
    const result = await preview(org.id, pilot.id, { addMembers: ['alice@acme.com', 'bob@acme.com'] });
    expect(result.summary).to.deep.equal({ affected: 2, lockedOut: 0, alreadyInactive: 0, alreadyLockedOut: 0, admins: 0, byNextLogin: { sso: 2 } });
    const alice = byEmail(result)['alice@acme.com'];
    expect(alice).to.deep.include({ why: ['moved'], fromPolicyId: localDefault.id, lockedOut: false, lockOutReasons: [] });
    expect(alice.before).to.deep.equal({ method: 'password', reason: 'policy-password', nextLogin: 'password' });
    expect(alice.after).to.deep.equal({ method: 'sso', reason: 'policy-sso-enforced', nextLogin: 'sso' });
    expect((await core.get(`/api/accounts/${accounts.alice!.id}`)).body.policyId).to.equal(localDefault.id);
    expect((await core.get(`/api/orgs/${org.id}/policies/${pilot.id}`)).body.memberCount).to.equal(0);
  });

  it('explains each lock-out: no SAML connection, domain not linked', async () => {
    const unconnected = await rolloutFixture(core, { connect: false });
    const noConnection = await preview(unconnected.org.id, unconnected.pilot.id, { addMembers: ['alice@acme.com'] });
    expect(byEmail(noConnection)['alice@acme.com']).to.deep.include({ lockedOut: true });
    expect(byEmail(noConnection)['alice@acme.com'].lockOutReasons[0].code).to.equal('sso-connection-missing');
    expect(byEmail(noConnection)['alice@acme.com'].after.nextLogin).to.equal('locked-out');
    await core.post('/_rehearsal/reset', undefined, { key: HARNESS_KEY });
    const unlinked = await rolloutFixture(core, { link: false });
    const notLinked = await preview(unlinked.org.id, unlinked.pilot.id, { addMembers: ['alice@acme.com'] });
    expect(byEmail(notLinked)['alice@acme.com'].lockOutReasons.map((r: { code: string }) => r.code)).to.deep.equal(['domain-not-linked-to-directory']);
    expect(notLinked.summary.lockedOut).to.equal(1);
  });

  it('explains a lock-out for accounts the IdP never provisioned', async () => {
    const { org, pilot, idp, accounts } = await rolloutFixture(core);
    await core.store.transaction((tx) => tx.addIdentity(idp.id, accounts.bob!.id, '2026-11-23T09:00:00.000Z'));
    const result = byEmail(await preview(org.id, pilot.id, { addMembers: ['alice@acme.com', 'bob@acme.com'] }));
    expect(result['alice@acme.com'].lockOutReasons[0].code).to.equal('no-identity-in-idp-directory');
    expect(result['bob@acme.com'].lockedOut).to.equal(false);
  });

  it('warns when the last org admin would lose every non-SSO way in', async () => {
    const { org, pilot } = await rolloutFixture(core);
    const result = await preview(org.id, pilot.id, { addMembers: ['root@acme.com'] });
    const root = byEmail(result)['root@acme.com'];
    expect(root.after.nextLogin).to.equal('sso');
    expect(root.lockedOut).to.equal(true);
    expect(root.lockOutReasons.map((r: { code: string }) => r.code)).to.deep.equal(['last-admin-loses-password-path']);
    expect(result.warnings[0].code).to.equal('last-admin-loses-password-path');
    // with a break-glass admin outside SSO there is no warning
    await core.post(`/api/orgs/${org.id}/admins`, { email: 'breakglass@acme.com' });
    const safe = await preview(org.id, pilot.id, { addMembers: ['root@acme.com'] });
    expect(safe.warnings).to.deep.equal([]);
    expect(byEmail(safe)['root@acme.com'].lockedOut).to.equal(false);
  });

  it('previews settings changes for every current member: mandatory 2SV means enrolment at next login', async () => {
    const { org, localDefault } = await rolloutFixture(core);
    const result = await preview(org.id, localDefault.id, { settings: { twoStep: 'mandatory', idleMinutes: 60 } });
    expect(result.settingsBefore).to.include({ twoStep: 'optional', idleMinutes: 43200 });
    expect(result.settingsAfter).to.include({ twoStep: 'mandatory', idleMinutes: 60 });
    expect(result.summary.affected).to.equal(4); // root, alice, bob, carol
    expect(result.summary.byNextLogin).to.deep.equal({ 'two-step-enrolment': 3, 'password-setup': 1 });
    expect(byEmail(result)['alice@acme.com'].why).to.deep.equal(['settings-changed']);
    expect((await core.get(`/api/orgs/${org.id}/policies/${localDefault.id}`)).body.twoStep).to.equal('optional');
  });

  it('shows the billing delta of a move into a non-billable policy', async () => {
    const { org } = await rolloutFixture(core);
    await core.put(`/api/orgs/${org.id}/products/confluence`, { plan: 'standard' });
    await core.post(`/api/orgs/${org.id}/products/confluence/access`, { emails: ['alice@acme.com', 'bob@acme.com'] });
    const portal = (await core.post(`/api/orgs/${org.id}/policies`, { name: 'Portal', billable: false })).body;
    const result = await preview(org.id, portal.id, { addMembers: ['alice@acme.com'] });
    expect(result.billing).to.deep.include({ before: 2, after: 1, delta: -1 });
    expect(result.billing.changes).to.have.length(1);
    expect(result.billing.changes[0].after).to.deep.include({ email: 'alice@acme.com', billable: false, reason: 'non-billable-policy' });
    expect(byEmail(result)['alice@acme.com'].billing).to.deep.equal({
      before: { billable: true, reason: 'billable-product-access' },
      after: { billable: false, reason: 'non-billable-policy' },
    });
  });

  it('lists refused emails with their reason instead of failing', async () => {
    const { org, pilot } = await rolloutFixture(core);
    await core.post('/api/accounts', { email: 'outsider@elsewhere.example' });
    const result = await preview(org.id, pilot.id, { addMembers: ['alice@acme.com', 'outsider@elsewhere.example', 'ghost@acme.com'] });
    expect(result.refused).to.deep.equal([
      {
        email: 'outsider@elsewhere.example',
        code: 'account-not-managed',
        message: 'outsider@elsewhere.example is not a managed account of this organization.',
      },
      { email: 'ghost@acme.com', code: 'account-not-found', message: 'No account has the email ghost@acme.com.' },
    ]);
    expect(result.summary.affected).to.equal(1);
  });

  it('refuses impossible settings (422) and malformed input (400)', async () => {
    const { org, localDefault } = await rolloutFixture(core);
    const impossible = await core.post(`/api/orgs/${org.id}/policies/${localDefault.id}/preview`, { settings: { sso: 'enforced' } });
    expect(impossible.status).to.equal(422);
    expect(impossible.body.error.code).to.equal('sso-requires-idp-directory');
    const malformed = await core.post(`/api/orgs/${org.id}/policies/${localDefault.id}/preview`, { addMembers: 'alice@acme.com' });
    expect(malformed.status).to.equal(400);
    const unknownPolicy = await core.post(`/api/orgs/${org.id}/policies/nope/preview`, {});
    expect(unknownPolicy.status).to.equal(404);
    expect(unknownPolicy.body.error.code).to.equal('policy-not-found');
  });
});

describe('rollout preview and apply: who is really locked out, and the admins (issue 14.2, 14.3)', () => {
  let core: TestCore;
  beforeEach(async () => (core = await startCore()));
  afterEach(() => core.close());

  const preview = async (orgId: string, policyId: string, body: object) => (await core.post(`/api/orgs/${orgId}/policies/${policyId}/preview`, body)).body;
  const byEmail = (result: { accounts: { email: string }[] }) => Object.fromEntries(result.accounts.map((a) => [a.email, a])) as Record<string, any>;

  it('14.2 an account deactivated before the change is already inactive, never locked out, and does not block the apply', async () => {
    const { org, pilot, idp, accounts } = await rolloutFixture(core);
    await core.store.transaction((tx) => tx.addIdentity(idp.id, accounts.alice!.id, '2026-11-23T09:00:00.000Z'));
    await core.post(`/api/accounts/${accounts.bob!.id}/deactivate`);
    const result = await preview(org.id, pilot.id, { addMembers: ['alice@acme.com', 'bob@acme.com'] });
    expect(byEmail(result)['bob@acme.com']).to.deep.include({ category: 'already-inactive', lockedOut: false, lockOutReasons: [] });
    expect(byEmail(result)['alice@acme.com']).to.deep.include({ category: 'fine', lockedOut: false });
    expect(result.summary).to.include({ affected: 2, lockedOut: 0, alreadyInactive: 1 });
    const applied = await core.post(`/api/orgs/${org.id}/policies/${pilot.id}/rollout`, { addMembers: ['alice@acme.com', 'bob@acme.com'] });
    expect(applied.status, JSON.stringify(applied.body)).to.equal(200);
    expect(applied.body.applied).to.equal(true);
    expect((await core.get(`/api/orgs/${org.id}/policies/${pilot.id}`)).body.memberCount).to.equal(2);
  });

  it('14.2 a rollout that locks someone out is refused whole (409 rollout-blocked), every blocker named, nothing written', async () => {
    const { org, pilot, localDefault } = await rolloutFixture(core, { connect: false });
    const blocked = await core.post(`/api/orgs/${org.id}/policies/${pilot.id}/rollout`, {
      addMembers: ['alice@acme.com', 'nobody@acme.com'],
      settings: { idleMinutes: 60 },
    });
    expect(blocked.status).to.equal(409);
    expect(blocked.body.error.code).to.equal('rollout-blocked');
    expect(blocked.body.error.details.map((d: { code: string }) => d.code)).to.deep.equal(['rollout-locks-out', 'account-not-found']);
    expect((await core.get(`/api/orgs/${org.id}/policies/${pilot.id}`)).body).to.include({ memberCount: 0, idleMinutes: 30 * 24 * 60 });
    expect((await core.get(`/api/accounts?email=alice@acme.com`)).body[0].policyId).to.equal(localDefault.id);
  });

  it('14.3 flags every admin the change puts on an SSO connection nobody has logged in through yet, apart and louder', async () => {
    const { org, pilot, idp, accounts } = await rolloutFixture(core);
    await core.post(`/api/orgs/${org.id}/admins`, { email: 'alice@acme.com' });
    await core.post(`/api/orgs/${org.id}/admins`, { email: 'breakglass@acme.com' });
    await core.store.transaction((tx) => tx.addIdentity(idp.id, accounts.alice!.id, '2026-11-23T09:00:00.000Z'));
    const untested = await preview(org.id, pilot.id, { addMembers: ['alice@acme.com', 'bob@acme.com'] });
    expect(untested.adminWarnings).to.deep.equal([
      {
        accountId: accounts.alice!.id,
        email: 'alice@acme.com',
        code: 'admin-moved-to-untested-sso',
        message:
          'alice@acme.com administers the organization and would have to log in through an SSO connection nobody has logged in through yet: test it first.',
      },
    ]);
    expect(byEmail(untested)['alice@acme.com']).to.include({ admin: true, lockedOut: false });
    expect(untested.summary.admins).to.equal(1);
    // Once someone has logged in through the connection, moving an admin to it is no longer a warning.
    const connection = (await core.get(`/api/orgs/${org.id}/directories/${idp.id}/saml`)).body;
    await core.post('/api/login/record', { email: 'bob@acme.com', method: 'sso', connectionId: connection.id }, { key: GATEWAY_KEY });
    expect((await preview(org.id, pilot.id, { addMembers: ['alice@acme.com'] })).adminWarnings).to.deep.equal([]);
  });

  it('14.3 refuses to apply a change that locks out the last admin who could still log in', async () => {
    const { org, localDefault } = await rolloutFixture(core);
    // root, the only admin, logs in with a password today; an SSO policy of a directory without a connection would lock it out.
    const unconnected = (await core.post(`/api/orgs/${org.id}/directories`, { name: 'Second IdP' })).body;
    const sso = (await core.post(`/api/orgs/${org.id}/policies`, { name: 'SSO without IdP', directoryId: unconnected.id, sso: 'enforced' })).body;
    const locked = await preview(org.id, sso.id, { addMembers: ['root@acme.com'] });
    expect(locked.warnings.map((w: { code: string }) => w.code)).to.include('last-admin-locked-out');
    expect(locked.adminWarnings.map((w: { code: string }) => w.code)).to.deep.equal(['admin-locked-out']);
    const refused = await core.post(`/api/orgs/${org.id}/policies/${sso.id}/rollout`, { addMembers: ['root@acme.com'] });
    expect(refused.status).to.equal(409);
    expect(refused.body.error.details.map((d: { code: string }) => d.code)).to.include.members(['admin-locked-out', 'last-admin-locked-out']);
    expect((await core.get('/api/accounts?email=root@acme.com')).body[0].policyId).to.equal(localDefault.id);
  });
});
