import { expect } from 'chai';
import { GATEWAY_KEY, type TestCore } from '../support/core.ts';
import { ATLASSIAN, ENTERPRISE, entraUser, startScimCore, type ScimClient } from '../support/scim.ts';

describe('SCIM: effects on the organization', () => {
  let core: TestCore, scim: ScimClient, orgId: string, directoryId: string;
  beforeEach(async () => ({ core, scim, orgId, directoryId } = await startScimCore()));
  afterEach(() => core.close());

  const accountOf = async (user: { [ATLASSIAN]: { atlassianAccountId: string } }) =>
    (await core.get(`/api/accounts/${user[ATLASSIAN].atlassianAccountId}`)).body;
  const idpDefault = async () => (await core.get(`/api/orgs/${orgId}/directories/${directoryId}`)).body.defaultPolicyId as string;

  it('creates a managed account with the mapped profile in the directory default policy', async () => {
    const user = (
      await scim.createUser(
        entraUser('alice', {
          displayName: 'Alice L.',
          name: { givenName: 'Alice', familyName: 'Liddell' },
          nickName: 'ali',
          title: 'Engineer',
          timezone: 'Europe/Berlin',
          preferredLanguage: 'en-GB',
          [ENTERPRISE]: { department: 'Engineering', organization: 'Acme Labs' },
        }),
      )
    ).body;
    const account = await accountOf(user);
    expect(account).to.include({
      email: 'alice@acme.com',
      displayName: 'Alice Liddell',
      publicName: 'ali',
      jobTitle: 'Engineer',
      department: 'Engineering',
      organization: 'Acme Labs',
      timezone: 'Europe/Berlin',
      preferredLanguage: 'en-GB',
      origin: 'scim',
      managed: true,
      policyId: await idpDefault(),
    });
  });

  it('provisions users on unverified domains as unmanaged accounts, outside every policy', async () => {
    const user = (await scim.createUser({ userName: 'guest@partner.example', emails: [{ value: 'guest@partner.example', primary: true }] })).body;
    expect(await accountOf(user)).to.include({ managed: false, policyId: null, origin: 'scim' });
    expect((await core.post('/api/login/decision', { email: 'guest@partner.example' }, { key: GATEWAY_KEY })).body.reason).to.equal('account-unmanaged');
  });

  it('builds the display name from given and family name when displayName is empty', async () => {
    const user = (
      await scim.createUser({
        userName: 'bob@acme.com',
        displayName: '',
        name: { givenName: 'Bob', familyName: 'Stone' },
        emails: [{ value: 'bob@acme.com', primary: true }],
      })
    ).body;
    expect((await accountOf(user)).displayName).to.equal('Bob Stone');
  });

  it('links an existing account instead of duplicating it, and moves it into the billable IdP default (the portal-user trap)', async () => {
    const existing = (await core.post('/api/accounts', { email: 'portal@acme.com', displayName: 'Old Name' })).body;
    const portal = (await core.post(`/api/orgs/${orgId}/policies`, { name: 'Portal users', billable: false })).body;
    await core.post(`/api/orgs/${orgId}/policies/${portal.id}/members`, { emails: ['portal@acme.com'] });
    await core.put(`/api/orgs/${orgId}/products/jsm-agent`, { plan: 'standard' });
    await core.post(`/api/orgs/${orgId}/products/jsm-agent/access`, { emails: ['portal@acme.com'] });
    const billingBefore = (await core.get(`/api/orgs/${orgId}/billing`)).body;
    expect(billingBefore.accounts.find((a: { email: string }) => a.email === 'portal@acme.com')).to.include({ billable: false, reason: 'non-billable-policy' });

    const user = (await scim.createUser(entraUser('portal', { name: { givenName: 'Portal', familyName: 'Person' } }))).body;
    expect(user[ATLASSIAN].atlassianAccountId).to.equal(existing.id);
    const account = await accountOf(user);
    expect(account).to.include({ displayName: 'Portal Person', origin: 'signup', policyId: await idpDefault() });
    expect((await core.get(`/api/orgs/${orgId}/billing`)).body.accounts.find((a: { email: string }) => a.email === 'portal@acme.com')).to.include({
      billable: true,
    });
    // and it can never go back into the non-billable policy
    const back = await core.post(`/api/orgs/${orgId}/policies/${portal.id}/members`, { emails: ['portal@acme.com'] });
    expect(back.status).to.equal(422);
    expect(back.body.error.code).to.equal('synced-member-in-non-billable-policy');
    const audit = (await core.get(`/api/orgs/${orgId}/audit`)).body.events.at(-1);
    expect(audit).to.deep.include({ operation: 'link-user', resourceType: 'User', accountId: existing.id, directoryId });
    expect(audit.changes).to.deep.include({ attribute: 'displayName', before: 'Old Name', after: 'Portal Person' });
    expect(audit.changes).to.deep.include({ attribute: 'policy', before: portal.id, after: await idpDefault() });
  });

  it('deactivates with active=false (no access, not billable) and reactivates', async () => {
    await core.put(`/api/orgs/${orgId}/products/confluence`, { plan: 'standard' });
    const user = (await scim.createUser(entraUser('alice'))).body;
    await core.post(`/api/orgs/${orgId}/products/confluence/access`, { emails: ['alice@acme.com'] });
    await scim.patch(`/Users/${user.id}`, [{ op: 'Replace', path: 'active', value: 'False' }]);
    expect((await accountOf(user)).active).to.equal(false);
    expect((await core.post('/api/login/decision', { email: 'alice@acme.com' }, { key: GATEWAY_KEY })).body.reason).to.equal('account-deactivated');
    expect((await core.get(`/api/orgs/${orgId}/billing`)).body.accounts.find((a: { email: string }) => a.email === 'alice@acme.com').reason).to.equal(
      'account-deactivated',
    );
    await scim.patch(`/Users/${user.id}`, [{ op: 'Replace', path: 'active', value: true }]);
    expect((await accountOf(user)).active).to.equal(true);
  });

  it('DELETE unlinks, deactivates and removes the record; the account stays', async () => {
    const user = (await scim.createUser(entraUser('alice'))).body;
    await scim.request('DELETE', `/Users/${user.id}`);
    const account = await accountOf(user);
    expect(account).to.include({ active: false, email: 'alice@acme.com' });
    const audit = (await core.get(`/api/orgs/${orgId}/audit`)).body.events.at(-1);
    expect(audit).to.deep.include({ operation: 'delete-user', resourceId: user.id });
    expect(audit.changes).to.deep.include({ attribute: 'active', before: true, after: false });
  });

  it('keeps emails unique: an email another account uses is refused (409 uniqueness)', async () => {
    const user = (await scim.createUser(entraUser('alice'))).body;
    await core.post('/api/accounts', { email: 'taken@acme.com' });
    const taken = await scim.patch(`/Users/${user.id}`, [{ op: 'replace', path: 'emails[type eq "work"].value', value: 'taken@acme.com' }]);
    expect(taken.status).to.equal(409);
    expect((await accountOf(user)).email).to.equal('alice@acme.com');
    expect((await scim.request('GET', `/Users/${user.id}`)).body.emails[0].value).to.equal('alice@acme.com');
  });

  // Issue 14.9: the product accepts the change and unlinks the account; its synced group memberships go.
  it('an email change off the verified domains unlinks the account from the SCIM user, which leaves its groups; back on them, it links again', async () => {
    const user = (await scim.createUser(entraUser('alice'))).body;
    const accountId = user[ATLASSIAN].atlassianAccountId;
    const group = (
      await scim.request('POST', '/Groups', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
        displayName: 'engineering',
        members: [{ value: user.id }],
      })
    ).body;
    const moved = await scim.patch(`/Users/${user.id}`, [{ op: 'replace', path: 'emails[type eq "work"].value', value: 'alice@gmail.com' }]);
    expect(moved.status).to.equal(200);
    expect(moved.body[ATLASSIAN].atlassianAccountId).to.equal(null);
    expect(moved.body.emails[0].value).to.equal('alice@gmail.com');
    // The account keeps its email and everything else; the group lost its member.
    expect((await core.get(`/api/accounts/${accountId}`)).body).to.include({ email: 'alice@acme.com', active: true, managed: true });
    expect((await scim.request('GET', `/Groups/${group.id}`)).body.members ?? []).to.deep.equal([]);
    const audit = (await core.get(`/api/orgs/${orgId}/audit`)).body.events.find((e: { operation: string }) => e.operation === 'unlink-user');
    expect(audit.changes).to.deep.include({ attribute: 'scimLink', before: accountId, after: null });
    expect(audit.changes.find((c: { attribute: string }) => c.attribute === 'email').skipped).to.match(/^email-off-verified-domains/);
    // Further writes change the record only; back on a verified domain the SCIM user is linked again.
    expect((await scim.patch(`/Users/${user.id}`, [{ op: 'replace', path: 'title', value: 'CTO' }])).body[ATLASSIAN].atlassianAccountId).to.equal(null);
    const back = await scim.patch(`/Users/${user.id}`, [{ op: 'replace', path: 'emails[type eq "work"].value', value: 'alice@acme.com' }]);
    expect(back.body[ATLASSIAN].atlassianAccountId).to.equal(accountId);
    expect((await core.get(`/api/accounts/${accountId}`)).body.jobTitle).to.equal('CTO');
  });

  it('refuses a second SCIM user for an account already provisioned in the directory, in atlassian fidelity', async () => {
    await core.patch(`/api/orgs/${orgId}/directories/${directoryId}`, { scimFidelity: 'atlassian' });
    await scim.createUser(entraUser('alice'));
    const twin = await scim.createUser({ userName: 'alice.twin', emails: [{ value: 'alice@acme.com', primary: true }] });
    expect(twin.status).to.equal(409);
    expect(twin.body.scimType).to.equal('uniqueness');
  });

  it('gives SCIM users a free Trello account once a Trello Enterprise is linked, and on the next update for earlier ones', async () => {
    const early = (await scim.createUser(entraUser('early'))).body;
    const enterprise = (await core.post('/api/trello/enterprises', { name: 'Acme Trello', admins: ['root@acme.com'] })).body;
    await core.post(`/api/trello/enterprises/${enterprise.id}/link`, { orgId, actorEmail: 'root@acme.com' });
    const late = (await scim.createUser(entraUser('late'))).body;
    const members = async () => (await core.get(`/api/trello/enterprises/${enterprise.id}/members`)).body.members.map((m: { email: string }) => m.email);
    expect(await members())
      .to.include('late@acme.com')
      .and.not.include('early@acme.com');
    await scim.patch(`/Users/${early.id}`, [{ op: 'replace', path: 'title', value: 'Resynced' }]);
    expect(await members()).to.include('early@acme.com');
    const billing = (await core.get(`/api/orgs/${orgId}/billing`)).body.accounts.find((a: { email: string }) => a.email === 'late@acme.com');
    expect(billing).to.include({ billable: false, reason: 'trello-awaiting-first-login' });
    await core.post('/api/login/record', { email: 'late@acme.com', method: 'sso' }, { key: GATEWAY_KEY });
    expect((await core.get(`/api/orgs/${orgId}/billing`)).body.accounts.find((a: { email: string }) => a.email === 'late@acme.com').billable).to.equal(true);
    void late;
  });

  describe('groups and product access', () => {
    let alice: string;
    let bob: string;
    beforeEach(async () => {
      await core.put(`/api/orgs/${orgId}/products/jira-software`, { plan: 'standard' });
      await core.put(`/api/orgs/${orgId}/products/jira-software/groups/jira-devs`);
      alice = (await scim.createUser(entraUser('alice'))).body.id;
      bob = (await scim.createUser(entraUser('bob'))).body.id;
    });
    const access = async () => (await core.get(`/api/orgs/${orgId}/products/jira-software/access`)).body.users.map((u: { email: string }) => u.email);

    it('grants a mapped product to the direct members of a synced group, and takes it back', async () => {
      const group = (await scim.request('POST', '/Groups', { displayName: 'jira-devs', members: [{ value: alice }] })).body;
      expect(await access()).to.deep.equal(['alice@acme.com']);
      expect((await core.get(`/api/orgs/${orgId}/billing`)).body.billableCount).to.equal(1);
      await scim.patch(`/Groups/${group.id}`, [{ op: 'add', path: 'members', value: [{ value: bob }] }]);
      expect(await access()).to.deep.equal(['alice@acme.com', 'bob@acme.com']);
      await scim.patch(`/Groups/${group.id}`, [{ op: 'remove', path: `members[value eq "${alice}"]` }]);
      expect(await access()).to.deep.equal(['bob@acme.com']);
      await scim.request('DELETE', `/Groups/${group.id}`);
      expect(await access()).to.deep.equal([]);
      expect((await core.get(`/api/orgs/${orgId}/billing`)).body.billableCount).to.equal(0);
    });

    it('does not pass access through nested groups', async () => {
      const child = (await scim.request('POST', '/Groups', { displayName: 'backend', members: [{ value: bob }] })).body;
      await scim.request('POST', '/Groups', { displayName: 'jira-devs', members: [{ value: alice }, { value: child.id, type: 'Group' }] });
      expect(await access()).to.deep.equal(['alice@acme.com']);
    });

    it("refuses to sync a product's default access group (409)", async () => {
      const response = await scim.request('POST', '/Groups', { displayName: 'Jira-Software-Users' });
      expect(response.status).to.equal(409);
      expect(response.body.detail).to.include('default access group of jira-software');
      // a product that is not enabled has no default group to protect
      expect((await scim.request('POST', '/Groups', { displayName: 'confluence-users' })).status).to.equal(201);
    });

    it('lists and removes mappings', async () => {
      expect((await core.get(`/api/orgs/${orgId}/products/jira-software/groups`)).body).to.deep.equal(['jira-devs']);
      expect((await core.delete(`/api/orgs/${orgId}/products/jira-software/groups/jira-devs`)).status).to.equal(204);
      expect((await core.delete(`/api/orgs/${orgId}/products/jira-software/groups/jira-devs`)).body.error.code).to.equal('group-mapping-not-found');
      expect((await core.put(`/api/orgs/${orgId}/products/confluence/groups/x`)).body.error.code).to.equal('product-not-enabled');
    });
  });

  it('records every change in the audit log with before/after values, oldest first, paged', async () => {
    const user = (await scim.createUser(entraUser('alice', { title: 'Engineer' }))).body;
    await scim.patch(`/Users/${user.id}`, [{ op: 'replace', path: 'title', value: 'Lead' }]);
    const group = (await scim.request('POST', '/Groups', { displayName: 'eng', members: [{ value: user.id }] })).body;
    await scim.request('DELETE', `/Groups/${group.id}`);
    const { events, next } = (await core.get(`/api/orgs/${orgId}/audit`)).body;
    expect(next).to.equal(null);
    expect(events.map((e: { operation: string }) => e.operation)).to.deep.equal(['create-user', 'patch-user', 'create-group', 'delete-group']);
    expect(events[1].changes).to.deep.equal([{ attribute: 'jobTitle', before: 'Engineer', after: 'Lead' }]);
    expect(events[3].changes).to.deep.include({ attribute: 'members', before: 1, after: 0 });
    const page = (await core.get(`/api/orgs/${orgId}/audit?limit=2`)).body;
    expect(page.events).to.have.length(2);
    expect((await core.get(`/api/orgs/${orgId}/audit?after=${page.next}`)).body.events.map((e: { operation: string }) => e.operation)).to.deep.equal([
      'create-group',
      'delete-group',
    ]);
    expect((await core.get(`/api/orgs/${orgId}/audit?limit=x`)).status).to.equal(400);
  });
});
