import { expect } from 'chai';
import { HARNESS_KEY, orgWithVerifiedDomain, startCore, type TestCore } from '../support/core.ts';
import { ATLASSIAN, entraUser, PATCH_OP, scimClient, scimFixture, type ScimClient } from '../support/scim.ts';

/**
 * Issue 13.4: a directory of organization B could POST the email of an account
 * that organization A manages, link to it, rename it and deactivate it (and its
 * Trello account), with the audit event only in B's log. A directory may write
 * only accounts its organization manages (or that it created on a domain nobody
 * verified); accounts another organization manages are refused, external
 * accounts are linked but left as they are.
 */
describe("SCIM: one organization never changes another organization's accounts", () => {
  let core: TestCore;
  let a: { orgId: string; scim: ScimClient };
  let b: { orgId: string; scim: ScimClient };
  let alice: { id: string };

  beforeEach(async () => {
    core = await startCore();
    const fixtureA = await scimFixture(core);
    a = { orgId: fixtureA.org.id, scim: fixtureA.scim };
    const { org } = await orgWithVerifiedDomain(core, { name: 'Bravo', domain: 'bravo.example', admins: ['root@bravo.example'] });
    const directory = (await core.post(`/api/orgs/${org.id}/directories`, { name: 'Bravo IdP' })).body;
    b = { orgId: org.id, scim: scimClient(core, directory.id, directory.scim.token) };
    // alice@acme.com: managed by A, provisioned by A's directory.
    const created = await a.scim.createUser(entraUser('alice', { name: { givenName: 'Alice', familyName: 'Liddell' } }));
    expect(created.status).to.equal(201);
    alice = { id: created.body[ATLASSIAN].atlassianAccountId };
  });
  afterEach(() => core.close());

  const account = async () => (await core.get(`/api/accounts/${alice.id}`)).body;
  const auditOf = async (orgId: string) => (await core.get(`/api/orgs/${orgId}/audit`)).body.events as { operation: string; accountId: string | null }[];
  const expectRefused = (answer: { status: number; body: any }) => {
    expect(answer.status, JSON.stringify(answer.body)).to.equal(409);
    expect(answer.body).to.include({ status: '409', scimType: 'uniqueness' });
    expect(answer.body.schemas).to.deep.equal(['urn:ietf:params:scim:api:messages:2.0:Error']);
  };
  const expectUntouched = async (before: Record<string, unknown>) => {
    expect(await account()).to.deep.equal(before);
    expect((await auditOf(b.orgId)).filter((e) => e.accountId === alice.id)).to.deep.equal([]);
  };

  it('refuses a POST with the email of an account another organization manages (409 uniqueness), and nothing changes', async () => {
    const before = await account();
    expectRefused(await b.scim.createUser(entraUser('alice', { userName: 'alice@acme.com', displayName: 'Pwned', active: false })));
    await expectUntouched(before);
    expect(before).to.include({ displayName: 'Alice Liddell', active: true, managed: true });
    // B's directory holds no record of her either
    expect((await b.scim.request('GET', '/Users?filter=userName eq "alice@acme.com"')).body.totalResults).to.equal(0);
  });

  it('refuses PUT, PATCH and the deactivation of an account that moved under another organization after B linked it', async () => {
    // carol is on a domain nobody had verified when B provisioned her; then A verifies it and manages her.
    const created = await b.scim.createUser({ userName: 'carol@late.example', displayName: 'Carol', emails: [{ value: 'carol@late.example', primary: true }] });
    expect(created.status).to.equal(201);
    const carolId = created.body[ATLASSIAN].atlassianAccountId;
    const domain = (await core.post(`/api/orgs/${a.orgId}/domains`, { name: 'late.example' })).body;
    await core.post('/_rehearsal/dns', { domain: 'late.example', txt: domain.verification.dns.value }, { key: HARNESS_KEY });
    expect((await core.post(`/api/orgs/${a.orgId}/domains/${domain.id}/verify`, { method: 'dns' })).status).to.equal(200);
    const before = (await core.get(`/api/accounts/${carolId}`)).body;
    expect(before).to.include({ managed: true, active: true });

    const put = await b.scim.request('PUT', `/Users/${created.body.id}`, {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName: 'carol@late.example',
      displayName: 'Renamed',
      active: false,
      emails: [{ value: 'carol@late.example', primary: true }],
    });
    expectRefused(put);
    expectRefused(await b.scim.patch(`/Users/${created.body.id}`, [{ op: 'replace', path: 'active', value: false }]));
    expectRefused(await b.scim.patch(`/Users/${created.body.id}`, [{ op: 'replace', path: 'displayName', value: 'Renamed' }]));
    // DELETE unlinks B's record and leaves A's account as it is
    expect((await b.scim.request('DELETE', `/Users/${created.body.id}`)).status).to.equal(204);
    expect((await core.get(`/api/accounts/${carolId}`)).body).to.deep.equal(before);
    // A sees what happened to its account, including B's earlier events about it
    expect((await auditOf(a.orgId)).filter((e) => e.accountId === carolId).map((e) => e.operation)).to.include.members(['create-user', 'delete-user']);
  });

  it("refuses the re-create branch of an update when the email is another organization's account", async () => {
    // B provisions dave on its own domain; an admin deletes the account; B's IdP then renames him to alice@acme.com.
    const created = await b.scim.createUser({ userName: 'dave@bravo.example', emails: [{ value: 'dave@bravo.example', primary: true }] });
    const daveId = created.body[ATLASSIAN].atlassianAccountId;
    expect((await core.delete(`/api/accounts/${daveId}`)).status).to.be.oneOf([200, 204]);
    const before = await account();
    const put = await b.scim.request('PUT', `/Users/${created.body.id}`, {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName: 'dave@bravo.example',
      displayName: 'Pwned',
      active: false,
      emails: [{ value: 'alice@acme.com', primary: true }],
    });
    expectRefused(put);
    await expectUntouched(before);
    const patch = await b.scim.request('PATCH', `/Users/${created.body.id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'replace', path: 'emails', value: [{ value: 'alice@acme.com', primary: true }] }],
    });
    expectRefused(patch);
    await expectUntouched(before);
  });

  it('never moves an account of its own onto a domain another organization verified: the SCIM user is unlinked instead', async () => {
    const created = await b.scim.createUser({ userName: 'erin@bravo.example', emails: [{ value: 'erin@bravo.example', primary: true }] });
    const accountsOfA = (await core.get(`/api/orgs/${a.orgId}/accounts`)).body.total;
    const moved = await b.scim.patch(`/Users/${created.body.id}`, [{ op: 'replace', path: 'emails', value: [{ value: 'erin@acme.com', primary: true }] }]);
    expect(moved.status).to.equal(200);
    expect(moved.body[ATLASSIAN].atlassianAccountId).to.equal(null);
    expect((await core.get(`/api/accounts/${created.body[ATLASSIAN].atlassianAccountId}`)).body.email).to.equal('erin@bravo.example');
    expect((await core.get(`/api/orgs/${a.orgId}/accounts`)).body.total).to.equal(accountsOfA);
  });

  it("links an external account (someone's own, on no verified domain) without changing its profile or state", async () => {
    const personal = (await core.post('/api/accounts', { email: 'frank@gmail.com', displayName: 'Frank', password: 'frank-long-passphrase-1' })).body;
    const linked = await b.scim.createUser({
      userName: 'frank@gmail.com',
      displayName: 'Renamed by B',
      active: false,
      emails: [{ value: 'frank@gmail.com', primary: true }],
    });
    expect(linked.status).to.equal(201);
    expect(linked.body[ATLASSIAN].atlassianAccountId).to.equal(personal.id);
    const after = (await core.get(`/api/accounts/${personal.id}`)).body;
    expect(after).to.include({ displayName: 'Frank', active: true, managed: false });
    expect((await b.scim.patch(`/Users/${linked.body.id}`, [{ op: 'replace', path: 'displayName', value: 'Again' }])).status).to.equal(200);
    expect((await b.scim.request('DELETE', `/Users/${linked.body.id}`)).status).to.equal(204);
    expect((await core.get(`/api/accounts/${personal.id}`)).body).to.include({ displayName: 'Frank', active: true });
    expect((await auditOf(b.orgId)).map((e) => e.operation)).to.include('link-external-user');
  });

  // Issue 14.8: users on a domain the organization has not verified are linked, never changed or deactivated.
  it('links users of unverified domains, even those it created, but never changes or deactivates their accounts, and says so in the audit', async () => {
    const created = await b.scim.createUser({
      userName: 'gina@nobody.example',
      displayName: 'Gina',
      emails: [{ value: 'gina@nobody.example', primary: true }],
    });
    const id = created.body[ATLASSIAN].atlassianAccountId;
    expect((await core.get(`/api/accounts/${id}`)).body).to.include({ displayName: 'Gina', origin: 'scim', managed: false });
    expect(
      (
        await b.scim.patch(`/Users/${created.body.id}`, [
          { op: 'replace', path: 'displayName', value: 'Gina Lollo' },
          { op: 'replace', path: 'active', value: false },
        ])
      ).status,
    ).to.equal(200);
    expect((await core.get(`/api/accounts/${id}`)).body).to.include({ displayName: 'Gina', active: true });
    expect((await b.scim.request('DELETE', `/Users/${created.body.id}`)).status).to.equal(204);
    expect((await core.get(`/api/accounts/${id}`)).body.active).to.equal(true);
    const skipped = (await auditOf(b.orgId))
      .flatMap((e) => (e as unknown as { changes: { attribute: string; skipped?: string }[] }).changes)
      .filter((c) => c.skipped);
    expect(skipped.map((c) => c.attribute)).to.include.members(['displayName', 'active']);
    expect(skipped.every((c) => c.skipped === 'not-managed-by-this-organization')).to.equal(true);
  });
});
