import { expect } from 'chai';
import { GATEWAY_KEY, type TestCore } from '../support/core.ts';
import { ATLASSIAN, entraUser, startScimCore, type ScimClient } from '../support/scim.ts';

/** Issue 14: rules of the product the SCIM server follows, one test named after each. */
describe("SCIM: the product's rules for synced accounts (issue 14)", () => {
  let core: TestCore, scim: ScimClient, orgId: string, directoryId: string;
  beforeEach(async () => ({ core, scim, orgId, directoryId } = await startScimCore()));
  afterEach(() => core.close());

  const account = async (id: string) => (await core.get(`/api/accounts/${id}`)).body;
  const policies = async () => (await core.get(`/api/orgs/${orgId}/policies`)).body as { id: string; name: string; directoryId: string; isDefault: boolean }[];

  // (doc) "SCIM-provisioned users land in their IdP directory's default policy ... They can be moved between billable policies."
  it('14.1 a synced account lands in the directory default once; an admin move to another billable policy survives later SCIM writes', async () => {
    const user = (await scim.createUser(entraUser('bob'))).body;
    const id = user[ATLASSIAN].atlassianAccountId;
    const idpDefault = (await policies()).find((p) => p.directoryId === directoryId && p.isDefault)!;
    expect((await account(id)).policyId).to.equal(idpDefault.id);
    const pilot = (await core.post(`/api/orgs/${orgId}/policies`, { name: 'Pilot', directoryId, sso: 'enforced' })).body;
    expect((await core.post(`/api/orgs/${orgId}/policies/${pilot.id}/members`, { emails: ['bob@acme.com'] })).status).to.equal(200);
    const local = (await core.post(`/api/orgs/${orgId}/policies`, { name: 'Billable local' })).body;
    // A PATCH and a PUT, as the next provisioning cycles send them: bob stays in the Pilot.
    expect((await scim.patch(`/Users/${user.id}`, [{ op: 'Replace', path: 'title', value: 'Sales lead' }])).status).to.equal(200);
    expect((await account(id)).policyId).to.equal(pilot.id);
    expect((await scim.request('PUT', `/Users/${user.id}`, { ...entraUser('bob'), displayName: 'Bob S.' })).status).to.equal(200);
    expect((await account(id)).policyId).to.equal(pilot.id);
    // and across directories, to a billable local policy, too
    await core.post(`/api/orgs/${orgId}/policies/${local.id}/members`, { emails: ['bob@acme.com'] });
    await scim.patch(`/Users/${user.id}`, [
      { op: 'replace', path: 'active', value: 'False' },
      { op: 'replace', path: 'active', value: 'True' },
    ]);
    expect((await account(id)).policyId).to.equal(local.id);
  });

  // (doc) the admin UI shows synced attributes read-only: the IdP owns them.
  it('14.6 an admin cannot edit the profile fields an IdP syncs (managed-by-identity-provider, each field named); the others go through', async () => {
    const user = (await scim.createUser(entraUser('carol', { title: 'Engineer' }))).body;
    const id = user[ATLASSIAN].atlassianAccountId;
    const refused = await core.patch(`/api/accounts/${id}`, { displayName: 'Caz', jobTitle: 'Boss', timezone: 'Europe/Paris' });
    expect(refused.status).to.equal(409);
    expect(refused.body.error.code).to.equal('managed-by-identity-provider');
    expect(refused.body.error.details.map((d: { path: string }) => d.path)).to.deep.equal(['body.displayName', 'body.jobTitle']);
    expect(await account(id)).to.include({ displayName: 'Carol Example', jobTitle: 'Engineer', timezone: null });
    // The IdP sends no time zone: that field is the account's own.
    const allowed = await core.patch(`/api/accounts/${id}`, { timezone: 'Europe/Paris', jobTitle: 'Engineer' });
    expect(allowed.status).to.equal(200);
    expect(allowed.body).to.include({ timezone: 'Europe/Paris' });
    expect((await core.patch(`/api/accounts/${id}`, { email: 'caz@acme.com' })).body.error.code).to.equal('managed-by-identity-provider');
    // An account no IdP syncs is the admin's to edit.
    const local = (await core.post('/api/accounts', { email: 'dan@acme.com' })).body;
    expect((await core.patch(`/api/accounts/${local.id}`, { displayName: 'Daniel', jobTitle: 'Ops' })).status).to.equal(200);
  });

  // (3p) "If displayName is empty it is built from given + family name; when given/family names are sent they win."
  it('14.7 given and family names win over displayName; displayName when no names come; the email last', async () => {
    const both = (await scim.createUser(entraUser('erin', { displayName: 'E. Example', name: { givenName: 'Erin', familyName: 'Brockovich' } }))).body;
    expect((await account(both[ATLASSIAN].atlassianAccountId)).displayName).to.equal('Erin Brockovich');
    const display = (await scim.createUser({ userName: 'fay@acme.com', displayName: 'Fay Wray', emails: [{ value: 'fay@acme.com', primary: true }] })).body;
    expect((await account(display[ATLASSIAN].atlassianAccountId)).displayName).to.equal('Fay Wray');
    const bare = (await scim.createUser({ userName: 'gus@acme.com', emails: [{ value: 'gus@acme.com', primary: true }] })).body;
    expect((await account(bare[ATLASSIAN].atlassianAccountId)).displayName).to.equal('gus');
  });

  it('14.8 only managed accounts get a Trello account through SCIM; users of unverified domains do not', async () => {
    const enterprise = (await core.post('/api/trello/enterprises', { name: 'Acme Trello', admins: ['root@acme.com'] })).body;
    await core.post(`/api/trello/enterprises/${enterprise.id}/link`, { orgId, actorEmail: 'root@acme.com' });
    const managed = (await scim.createUser(entraUser('hal'))).body;
    const external = (await scim.createUser({ userName: 'ivy@partner.example', emails: [{ value: 'ivy@partner.example', primary: true }] })).body;
    const audit = (await core.get(`/api/orgs/${orgId}/audit`)).body.events as { resourceId: string; changes: { attribute: string }[] }[];
    expect(audit.find((e) => e.resourceId === managed.id)!.changes.map((c) => c.attribute)).to.include('trelloAccount');
    expect(audit.find((e) => e.resourceId === external.id)!.changes.map((c) => c.attribute)).not.to.include('trelloAccount');
  });

  it('14.11 a synced group cannot grant Bitbucket or Trello, and system groups cannot be synced', async () => {
    await core.put(`/api/orgs/${orgId}/products/bitbucket`, { plan: 'standard' });
    const bitbucket = await core.put(`/api/orgs/${orgId}/products/bitbucket/groups/engineering`);
    expect(bitbucket.status).to.equal(422);
    expect(bitbucket.body.error.code).to.equal('group-sync-cannot-grant');
    const trello = await core.put(`/api/orgs/${orgId}/products/trello/groups/engineering`);
    expect(trello.status).to.equal(400);
    expect(trello.body.error.code).to.equal('trello-managed-separately');
    for (const name of ['site-admins', 'org-admins', 'Site-Admins']) {
      const group = await scim.request('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: name });
      expect(group.status, name).to.equal(400);
      expect(group.body.detail).to.match(/^system-group-not-syncable/);
    }
    expect((await scim.request('GET', '/Groups')).body.totalResults).to.equal(0);
  });

  it('14.5 drift: what managed accounts hold beside what the IdP last sent, with who wrote it', async () => {
    const user = (await scim.createUser(entraUser('jo', { title: 'Engineer' }))).body;
    const id = user[ATLASSIAN].atlassianAccountId;
    // A SAML login rewrites the display name (the gateway records it through core).
    await core.post('/api/login/record', { email: 'jo@acme.com', method: 'sso', displayName: 'Josephine Example' }, { key: GATEWAY_KEY });
    const drift = (await core.get(`/api/orgs/${orgId}/directories/${directoryId}/drift`)).body;
    expect(drift.users).to.have.length(1);
    expect(drift.users[0]).to.include({ userName: 'jo@acme.com', accountId: id });
    expect(drift.users[0].fields).to.deep.equal([
      { field: 'displayName', product: 'Josephine Example', idp: 'Jo Example', source: { source: 'saml-login', at: '2026-11-23T09:00:00.000Z' } },
    ]);
    // The next SCIM write puts the IdP's value back, and the drift is gone.
    await scim.patch(`/Users/${user.id}`, [{ op: 'replace', path: 'title', value: 'Lead' }]);
    expect((await core.get(`/api/orgs/${orgId}/directories/${directoryId}/drift`)).body.users).to.deep.equal([]);
    expect((await account(id)).profileSources.displayName).to.deep.include({ source: 'scim' });
  });
});

describe('SCIM: the last active admin (issue 14.3)', () => {
  let core: TestCore, scim: ScimClient, orgId: string;
  beforeEach(async () => ({ core, scim, orgId } = await startScimCore()));
  afterEach(() => core.close());

  it('14.3 a sync cannot deactivate the last active org admin (409 last-active-org-admin), by PATCH, PUT or DELETE; with another admin it can', async () => {
    const root = (await scim.createUser(entraUser('root'))).body;
    const rootId = root[ATLASSIAN].atlassianAccountId;
    const patched = await scim.patch(`/Users/${root.id}`, [{ op: 'replace', path: 'active', value: false }]);
    expect(patched.status).to.equal(409);
    expect(patched.body.detail).to.match(/^last-active-org-admin: root@acme\.com/);
    expect((await scim.request('PUT', `/Users/${root.id}`, { ...entraUser('root'), active: false })).status).to.equal(409);
    expect((await scim.request('DELETE', `/Users/${root.id}`)).status).to.equal(409);
    expect((await core.get(`/api/accounts/${rootId}`)).body.active).to.equal(true);
    await core.post(`/api/orgs/${orgId}/admins`, { email: 'second@acme.com' });
    expect((await scim.patch(`/Users/${root.id}`, [{ op: 'replace', path: 'active', value: false }])).status).to.equal(200);
    expect((await core.get(`/api/accounts/${rootId}`)).body.active).to.equal(false);
  });
});
