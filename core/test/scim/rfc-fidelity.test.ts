import { expect } from 'chai';
import { ATLASSIAN, entraUser, startScimCore, type ScimClient } from '../support/scim.ts';
import type { TestCore } from '../support/core.ts';

/**
 * Where `rfc` fidelity follows RFC 7643 and `atlassian` fidelity the vendor:
 * userName as the only uniqueness rule, groups renamed, email values stored
 * as sent. Each row runs in both fidelities.
 */
describe('SCIM: RFC behaviour in rfc fidelity, the product rules in atlassian fidelity', () => {
  let core: TestCore, scim: ScimClient, orgId: string, directoryId: string;
  beforeEach(async () => ({ core, scim, orgId, directoryId } = await startScimCore()));
  afterEach(() => core.close());
  const setFidelity = (fidelity: string) => core.patch(`/api/orgs/${orgId}/directories/${directoryId}`, { scimFidelity: fidelity });
  const audit = async () => (await core.get(`/api/orgs/${orgId}/audit`)).body.events as { operation: string; changes: { skipped?: string }[] }[];

  it('rfc: two users with the same email are two SCIM users; the first keeps the account, and the audit log says so', async () => {
    const first = await scim.createUser(entraUser('alice'));
    const twin = await scim.createUser({ userName: 'alice.twin', emails: [{ value: 'alice@acme.com', primary: true }] });
    expect(twin.status, JSON.stringify(twin.body)).to.equal(201);
    expect((await scim.request('GET', `/Users/${twin.body.id}`)).status).to.equal(200);
    expect((await scim.request('GET', '/Users')).body.totalResults).to.equal(2);
    const accounts = (await core.get('/api/accounts?email=alice@acme.com')).body as { id: string }[];
    expect(accounts).to.have.length(1);
    const link = ATLASSIAN;
    expect(first.body[link].atlassianAccountId).to.equal(accounts[0]!.id);
    expect(twin.body[link].atlassianAccountId).to.equal(null);
    const event = (await audit()).find((e) => e.operation === 'create-unlinked-user')!;
    expect(event.changes[0]!.skipped).to.match(/^email-owned-by-another-scim-user: the account for alice@acme\.com stays linked to SCIM user alice@acme\.com/);
    // A later write keeps it unlinked while the email is taken; once the first is gone, it links.
    expect((await scim.patch(`/Users/${twin.body.id}`, [{ op: 'replace', path: 'title', value: 'Twin' }])).body[link].atlassianAccountId).to.equal(null);
    expect((await scim.request('DELETE', `/Users/${first.body.id}`)).status).to.equal(204);
    expect((await scim.patch(`/Users/${twin.body.id}`, [{ op: 'replace', path: 'title', value: 'Twin' }])).body[link].atlassianAccountId).to.equal(
      accounts[0]!.id,
    );
  });

  it('atlassian: the second user with that email is refused 409 uniqueness', async () => {
    await setFidelity('atlassian');
    await scim.createUser(entraUser('alice'));
    const twin = await scim.createUser({ userName: 'alice.twin', emails: [{ value: 'alice@acme.com', primary: true }] });
    expect(twin.status).to.equal(409);
    expect(twin.body.scimType).to.equal('uniqueness');
  });

  for (const fidelity of ['rfc', 'atlassian'] as const) {
    it(`${fidelity}: renaming a group by PUT and by PATCH ${fidelity === 'rfc' ? 'renames it (to a free name)' : 'is refused 400 mutability'}`, async () => {
      await setFidelity(fidelity);
      const group = (await scim.request('POST', '/Groups', { displayName: 'Engineering' })).body;
      await scim.request('POST', '/Groups', { displayName: 'Sales' });
      const put = await scim.request('PUT', `/Groups/${group.id}`, { displayName: 'R&D', members: [] });
      const patched = await scim.patch(`/Groups/${group.id}`, [{ op: 'replace', path: 'displayName', value: 'Research' }]);
      if (fidelity === 'atlassian') {
        expect([put.status, put.body.scimType, patched.status, patched.body.scimType]).to.deep.equal([400, 'mutability', 400, 'mutability']);
        expect((await scim.request('GET', `/Groups/${group.id}`)).body.displayName).to.equal('Engineering');
        return;
      }
      expect(put.status, JSON.stringify(put.body)).to.equal(200);
      expect(put.body.displayName).to.equal('R&D');
      expect(patched.status, JSON.stringify(patched.body)).to.equal(200);
      expect((await scim.request('GET', `/Groups/${group.id}`)).body.displayName).to.equal('Research');
      const taken = await scim.patch(`/Groups/${group.id}`, [{ op: 'replace', path: 'displayName', value: 'Sales' }]);
      expect([taken.status, taken.body.scimType]).to.deep.equal([409, 'uniqueness']);
      const renames = (await audit()).filter((e) => e.operation === 'patch-group' || e.operation === 'replace-group');
      expect(JSON.stringify(renames)).to.contain('"attribute":"displayName","before":"R&D","after":"Research"');
    });

    it(`${fidelity}: an email value that is not an address is ${fidelity === 'rfc' ? 'stored as sent' : 'refused 400 invalidValue'}`, async () => {
      await setFidelity(fidelity);
      const created = await scim.createUser({
        userName: 'dana@acme.com',
        emails: [
          { value: 'dana@acme.com', type: 'work', primary: true },
          { value: 'not an address', type: 'home' },
        ],
      });
      if (fidelity === 'atlassian') {
        expect([created.status, created.body.scimType]).to.deep.equal([400, 'invalidValue']);
        expect((await scim.request('GET', '/Users')).body.totalResults).to.equal(0);
        return;
      }
      expect(created.status, JSON.stringify(created.body)).to.equal(201);
      const shown = (await scim.request('GET', `/Users/${created.body.id}`)).body;
      expect(shown.emails.map((e: { value: string }) => e.value)).to.deep.equal(['dana@acme.com', 'not an address']);
      expect((await core.get('/api/accounts?email=dana@acme.com')).body).to.have.length(1);
    });
  }
});
