import { expect } from 'chai';
import { orgWithVerifiedDomain, startCore, type TestCore } from '../support/core.ts';
import { rolloutFixture } from '../support/org-fixture.ts';

describe('api: authentication policies and members', () => {
  let core: TestCore;
  beforeEach(async () => (core = await startCore()));
  afterEach(() => core.close());

  const policiesOf = async (orgId: string) =>
    (await core.get(`/api/orgs/${orgId}/policies`)).body as { id: string; name: string; memberCount: number; isDefault: boolean; directoryId: string }[];

  it('creates a policy in the local directory with sensible defaults', async () => {
    const { org } = await orgWithVerifiedDomain(core);
    const created = await core.post(`/api/orgs/${org.id}/policies`, { name: 'Contractors', twoStep: 'mandatory', idleMinutes: 60, sessionExpiryMinutes: 720 });
    expect(created.status).to.equal(201);
    expect(created.body).to.include({
      name: 'Contractors',
      sso: 'disabled',
      twoStep: 'mandatory',
      idleMinutes: 60,
      sessionExpiryMinutes: 720,
      billable: true,
      isDefault: false,
      memberCount: 0,
    });
  });

  const impossible: [string, object, string, 'local' | 'idp'][] = [
    ['SSO in the local directory', { sso: 'enforced' }, 'sso-requires-idp-directory', 'local'],
    ['mandatory 2SV with enforced SSO', { sso: 'enforced', twoStep: 'mandatory' }, 'two-step-with-enforced-sso', 'idp'],
    ['2SV left to the IdP without SSO', { twoStep: 'idp' }, 'two-step-idp-requires-sso', 'local'],
    ['a non-billable policy enforcing SSO', { sso: 'enforced', billable: false }, 'non-billable-cannot-enforce-sso', 'idp'],
    ['a non-billable policy enforcing 2SV', { twoStep: 'mandatory', billable: false }, 'non-billable-cannot-enforce-two-step', 'local'],
    ['an idle timeout of 10 minutes', { idleMinutes: 10 }, 'idle-timeout-out-of-range', 'local'],
    ['an idle timeout of 31 days', { idleMinutes: 31 * 1440 }, 'idle-timeout-out-of-range', 'local'],
    ['a session expiry of 1 minute', { sessionExpiryMinutes: 1 }, 'session-expiry-out-of-range', 'local'],
    ['a password expiry of 400 days', { passwordExpiryDays: 400 }, 'password-expiry-out-of-range', 'local'],
  ];
  for (const [what, settings, code, where] of impossible) {
    it(`refuses ${what}: 422 ${code}, nothing stored`, async () => {
      const { org } = await orgWithVerifiedDomain(core);
      const idp = (await core.post(`/api/orgs/${org.id}/directories`, { name: 'Entra' })).body;
      const before = await policiesOf(org.id);
      const response = await core.post(`/api/orgs/${org.id}/policies`, { name: 'P', ...(where === 'idp' ? { directoryId: idp.id } : {}), ...settings });
      expect(response.status).to.equal(422);
      expect(response.body.error.code).to.equal(code);
      expect(response.body.error.details[0].path).to.match(/^body\./);
      expect(await policiesOf(org.id)).to.deep.equal(before);
    });
  }

  const malformed: [string, object, string][] = [
    ['an unknown SSO mode', { sso: 'sometimes' }, 'body.sso'],
    ['a fractional idle timeout', { idleMinutes: 30.5 }, 'body.idleMinutes'],
    ['an idle timeout as a string', { idleMinutes: '30' }, 'body.idleMinutes'],
    ['an unknown strength', { passwordMinStrength: 'mighty' }, 'body.passwordMinStrength'],
    ['an unknown field', { enforceSso: true }, 'body.enforceSso'],
  ];
  for (const [what, settings, path] of malformed) {
    it(`refuses ${what} with 400 naming ${path}`, async () => {
      const { org } = await orgWithVerifiedDomain(core);
      const response = await core.post(`/api/orgs/${org.id}/policies`, { name: 'P', ...settings });
      expect(response.status).to.equal(400);
      expect(response.body.error.details.map((d: { path: string }) => d.path)).to.include(path);
    });
  }

  it('refuses a duplicate name (409) on create and on rename', async () => {
    const { org } = await orgWithVerifiedDomain(core);
    await core.post(`/api/orgs/${org.id}/policies`, { name: 'Pilot' });
    const other = (await core.post(`/api/orgs/${org.id}/policies`, { name: 'Other' })).body;
    expect((await core.post(`/api/orgs/${org.id}/policies`, { name: 'Pilot' })).body.error.code).to.equal('policy-name-taken');
    const rename = await core.patch(`/api/orgs/${org.id}/policies/${other.id}`, { name: 'Pilot' });
    expect(rename.status).to.equal(409);
    expect(rename.body.error.code).to.equal('policy-name-taken');
  });

  it('checks a patch against the whole policy and stores nothing on refusal', async () => {
    const { org, pilot } = await rolloutFixture(core);
    const refused = await core.patch(`/api/orgs/${org.id}/policies/${pilot.id}`, { billable: false });
    expect(refused.status).to.equal(422);
    expect(refused.body.error.code).to.equal('non-billable-cannot-enforce-sso');
    expect((await core.get(`/api/orgs/${org.id}/policies/${pilot.id}`)).body.billable).to.equal(true);
    const ok = await core.patch(`/api/orgs/${org.id}/policies/${pilot.id}`, { idleMinutes: 30 });
    expect(ok.body).to.include({ idleMinutes: 30, sso: 'enforced' });
  });

  it('keeps exactly one undeletable default per directory', async () => {
    const { org, localDefault, idp } = await rolloutFixture(core);
    const undeletable = await core.delete(`/api/orgs/${org.id}/policies/${localDefault.id}`);
    expect(undeletable.status).to.equal(409);
    expect(undeletable.body.error.code).to.equal('default-policy-undeletable');
    const portal = (await core.post(`/api/orgs/${org.id}/policies`, { name: 'Portal', billable: false })).body;
    const madeDefault = await core.post(`/api/orgs/${org.id}/policies/${portal.id}/default`);
    expect(madeDefault.body.isDefault).to.equal(true);
    const localPolicies = (await policiesOf(org.id)).filter((p) => p.directoryId === localDefault.directoryId);
    expect(localPolicies.filter((p) => p.isDefault).map((p) => p.id)).to.deep.equal([portal.id]);
    // a non-billable policy can be the default only in the local directory
    const idpPortal = (await core.post(`/api/orgs/${org.id}/policies`, { name: 'IdP portal', directoryId: idp.id, billable: false })).body;
    const refused = await core.post(`/api/orgs/${org.id}/policies/${idpPortal.id}/default`);
    expect(refused.status).to.equal(422);
    expect(refused.body.error.code).to.equal('non-billable-default-outside-local');
  });

  it('moves members in batches of at most 20, every account in exactly one policy', async () => {
    const { org, pilot, localDefault, accounts } = await rolloutFixture(core);
    const moved = await core.post(`/api/orgs/${org.id}/policies/${pilot.id}/members`, { emails: ['alice@acme.com', 'BOB@acme.com'] });
    expect(moved.status).to.equal(200);
    expect(moved.body.added).to.equal(2);
    expect((await core.get(`/api/accounts/${accounts.alice!.id}`)).body.policyId).to.equal(pilot.id);
    const counts = Object.fromEntries((await policiesOf(org.id)).map((p) => [p.id, p.memberCount]));
    expect(counts[pilot.id]).to.equal(2);
    expect(counts[localDefault.id]).to.equal(2); // root and carol
    const tooMany = await core.post(`/api/orgs/${org.id}/policies/${pilot.id}/members`, { emails: Array.from({ length: 21 }, (_, i) => `u${i}@acme.com`) });
    expect(tooMany.status).to.equal(400);
    expect(tooMany.body.error.details[0].path).to.equal('body.emails');
    const members = (await core.get(`/api/orgs/${org.id}/policies/${pilot.id}/members?limit=1`)).body;
    expect(members).to.deep.include({ total: 2, limit: 1, offset: 0 });
    expect(members.members).to.have.length(1);
    expect((await core.get(`/api/orgs/${org.id}/policies/${pilot.id}/members?limit=abc`)).status).to.equal(400);
  });

  it('moves a batch atomically: one unmanaged or unknown email and nobody moves', async () => {
    const { org, pilot, localDefault, accounts } = await rolloutFixture(core);
    await core.post('/api/accounts', { email: 'outsider@elsewhere.example' });
    const unmanaged = await core.post(`/api/orgs/${org.id}/policies/${pilot.id}/members`, { emails: ['alice@acme.com', 'outsider@elsewhere.example'] });
    expect(unmanaged.status).to.equal(422);
    expect(unmanaged.body.error.code).to.equal('account-not-managed');
    const unknown = await core.post(`/api/orgs/${org.id}/policies/${pilot.id}/members`, { emails: ['alice@acme.com', 'ghost@acme.com'] });
    expect(unknown.status).to.equal(422);
    expect(unknown.body.error.code).to.equal('account-not-found');
    expect((await core.get(`/api/accounts/${accounts.alice!.id}`)).body.policyId).to.equal(localDefault.id);
  });

  it('never puts an IdP-synced member in a non-billable policy', async () => {
    const { org } = await rolloutFixture(core);
    await core.post('/api/accounts', { email: 'synced@acme.com', origin: 'scim' });
    const portal = (await core.post(`/api/orgs/${org.id}/policies`, { name: 'Portal', billable: false })).body;
    const refused = await core.post(`/api/orgs/${org.id}/policies/${portal.id}/members`, { emails: ['synced@acme.com'] });
    expect(refused.status).to.equal(422);
    expect(refused.body.error.code).to.equal('synced-member-in-non-billable-policy');
    const billable = (await core.post(`/api/orgs/${org.id}/policies`, { name: 'Staff' })).body;
    await core.post(`/api/orgs/${org.id}/policies/${billable.id}/members`, { emails: ['synced@acme.com'] });
    const flip = await core.patch(`/api/orgs/${org.id}/policies/${billable.id}`, { billable: false });
    expect(flip.status).to.equal(422);
    expect(flip.body.error.code).to.equal('synced-member-in-non-billable-policy');
  });

  it('moves up to 10,000 members by CSV, and refuses more', async function () {
    // 10,000 accounts made and moved: on PostgreSQL, on a busy two-core machine, longer than the suite's 20 s.
    this.timeout(120_000);
    const { org, pilot } = await rolloutFixture(core);
    const emails = Array.from({ length: 10_000 }, (_, i) => `user${i}@acme.com`);
    for (let i = 0; i < emails.length; i += 5000) {
      expect((await core.post('/api/accounts/batch', { accounts: emails.slice(i, i + 5000).map((email) => ({ email })) })).status).to.equal(201);
    }
    const csv = ['email', ...emails].join('\n');
    const moved = await core.post(`/api/orgs/${org.id}/policies/${pilot.id}/members/csv`, undefined, { raw: csv, headers: { 'content-type': 'text/csv' } });
    expect(moved.status).to.equal(200);
    expect(moved.body.added).to.equal(10_000);
    expect((await core.get(`/api/orgs/${org.id}/policies/${pilot.id}`)).body.memberCount).to.equal(10_000);
    const tooLong = await core.post(`/api/orgs/${org.id}/policies/${pilot.id}/members/csv`, undefined, {
      raw: [...emails, 'one@acme.com'].join('\n'),
      headers: { 'content-type': 'text/csv' },
    });
    expect(tooLong.status).to.equal(400);
    expect(tooLong.body.error.code).to.equal('too-many-members');
    const badLine = await core.post(`/api/orgs/${org.id}/policies/${pilot.id}/members/csv`, undefined, {
      raw: 'alice@acme.com\nnot-an-email\n',
      headers: { 'content-type': 'text/csv' },
    });
    expect(badLine.status).to.equal(400);
    expect(badLine.body.error.details[0].path).to.equal('csv.1');
    const empty = await core.post(`/api/orgs/${org.id}/policies/${pilot.id}/members/csv`, undefined, {
      raw: 'email\n',
      headers: { 'content-type': 'text/csv' },
    });
    expect(empty.body.error.code).to.equal('empty-csv');
  });

  it('sends removed members back to the default, and deleted policies hand their members over', async () => {
    const { org, pilot, idp, accounts } = await rolloutFixture(core);
    const extra = (await core.post(`/api/orgs/${org.id}/policies`, { name: 'Extra' })).body;
    await core.post(`/api/orgs/${org.id}/policies/${extra.id}/members`, { emails: ['alice@acme.com'] });
    await core.post(`/api/orgs/${org.id}/policies/${pilot.id}/members`, { emails: ['bob@acme.com'] });
    const removed = await core.delete(`/api/orgs/${org.id}/policies/${pilot.id}/members/${accounts.bob!.id}`);
    const idpDefault = (await core.get(`/api/orgs/${org.id}/directories/${idp.id}`)).body.defaultPolicyId;
    expect(removed.body).to.deep.equal({ accountId: accounts.bob!.id, movedTo: idpDefault });
    const notMember = await core.delete(`/api/orgs/${org.id}/policies/${pilot.id}/members/${accounts.bob!.id}`);
    expect(notMember.status).to.equal(404);
    expect(notMember.body.error.code).to.equal('member-not-found');
    const deleted = await core.delete(`/api/orgs/${org.id}/policies/${extra.id}`);
    expect(deleted.body).to.include({ movedMembers: 1 });
    expect((await core.get(`/api/accounts/${accounts.alice!.id}`)).body.policyId).to.equal(deleted.body.movedTo);
    expect((await core.get(`/api/orgs/${org.id}/policies/${extra.id}`)).status).to.equal(404);
  });
});
