import { expect } from 'chai';
import { startCore, type TestCore } from '../support/core.ts';
import { entraUser, scimFixture, type ScimClient } from '../support/scim.ts';

describe('SCIM: the atlassian fidelity switch', () => {
  let core: TestCore;
  let scim: ScimClient;
  beforeEach(async () => {
    core = await startCore();
    const fixture = await scimFixture(core);
    scim = fixture.scim;
    const switched = await core.patch(`/api/orgs/${fixture.org.id}/directories/${fixture.directory.id}`, { scimFidelity: 'atlassian' });
    expect(switched.body.scim.fidelity).to.equal('atlassian');
    for (let i = 0; i < 105; i += 35) {
      await Promise.all(Array.from({ length: 35 }, (_, j) => scim.createUser(entraUser(`user${String(i + j).padStart(3, '0')}`))));
    }
    await scim.request('POST', '/Groups', { displayName: 'Engineering' });
  });
  afterEach(() => core.close());

  it('answers eq on userName, externalId and displayName', async () => {
    expect((await scim.request('GET', `/Users?filter=${encodeURIComponent('userName eq "user007@acme.com"')}`)).body.totalResults).to.equal(1);
    expect((await scim.request('GET', `/Users?filter=${encodeURIComponent('externalId eq "oid-user008"')}`)).body.totalResults).to.equal(1);
    expect((await scim.request('GET', `/Groups?filter=${encodeURIComponent('displayName eq "Engineering"')}`)).body.totalResults).to.equal(1);
  });

  it('refuses every other filter with 400 invalidFilter', async () => {
    for (const [resource, filter] of [
      ['Users', 'userName sw "user"'],
      ['Users', 'displayName eq "x"'],
      ['Users', 'userName eq "a" or userName eq "b"'],
      ['Groups', 'externalId eq "x"'],
    ] as const) {
      const response = await scim.request('GET', `/${resource}?filter=${encodeURIComponent(filter)}`);
      expect(response.status, filter).to.equal(400);
      expect(response.body.scimType).to.equal('invalidFilter');
    }
  });

  it('pages at most 100 a time and does not sort', async () => {
    const page = (await scim.request('GET', '/Users?count=500&sortBy=userName&sortOrder=descending')).body;
    expect(page).to.deep.include({ totalResults: 105, itemsPerPage: 100, startIndex: 1 });
    expect(page.Resources[0].userName).not.to.equal('user104@acme.com');
    const config = (await scim.request('GET', '/ServiceProviderConfig')).body;
    expect(config.filter.maxResults).to.equal(100);
    expect(config.sort.supported).to.equal(false);
  });

  it('keeps the vendor DELETE semantics: later calls 404, a new POST a new id', async () => {
    const user = (await scim.request('GET', `/Users?filter=${encodeURIComponent('userName eq "user001@acme.com"')}`)).body.Resources[0];
    expect((await scim.request('DELETE', `/Users/${user.id}`)).status).to.equal(204);
    expect((await scim.request('GET', `/Users/${user.id}`)).status).to.equal(404);
    expect((await scim.createUser(entraUser('user001'))).body.id).not.to.equal(user.id);
  });

  it('refuses an unknown fidelity and the local directory', async () => {
    const orgId = (await core.get('/api/orgs')).body[0].id;
    const directories = (await core.get(`/api/orgs/${orgId}/directories`)).body;
    const idp = directories.find((d: { kind: string }) => d.kind === 'idp');
    expect((await core.patch(`/api/orgs/${orgId}/directories/${idp.id}`, { scimFidelity: 'strict' })).status).to.equal(400);
    const local = directories.find((d: { kind: string }) => d.kind === 'local');
    expect((await core.patch(`/api/orgs/${orgId}/directories/${local.id}`, { scimFidelity: 'rfc' })).body.error.code).to.equal('scim-requires-idp-directory');
  });
});
