import { expect } from 'chai';
import { ADMIN_KEY, startCore, type TestCore } from '../support/core.ts';
import { scimClient, scimFixture } from '../support/scim.ts';

describe('SCIM: credentials and discovery', () => {
  let core: TestCore;
  beforeEach(async () => (core = await startCore()));
  afterEach(() => core.close());

  const expectScim401 = (response: { status: number; body: any; headers: Headers }) => {
    expect(response.status).to.equal(401);
    expect(response.headers.get('www-authenticate')).to.match(/^Bearer/);
    expect(response.headers.get('content-type')).to.include('application/scim+json');
    expect(response.body).to.deep.include({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '401' });
  };

  it('shows the token once when the directory is created, with the base URL', async () => {
    const { directory, org } = await scimFixture(core);
    expect(directory.scim.token).to.match(/^rhsc_[A-Za-z0-9_-]{43}$/);
    expect(directory.scim.baseUrl).to.equal(`http://localhost:9000/scim/directory/${directory.id}`);
    const again = (await core.get(`/api/orgs/${org.id}/directories/${directory.id}`)).body;
    expect(again.scim).to.deep.equal({ baseUrl: directory.scim.baseUrl, fidelity: 'rfc', users: 0, rateLimit: null, limits: null });
    expect(JSON.stringify(again)).not.to.include(directory.scim.token);
  });

  it("refuses no token, a bad token, the admin key and another directory's token with 401", async () => {
    const { scim, org } = await scimFixture(core);
    expectScim401(await core.get(`${scim.base}/Users`, { key: null }));
    expectScim401(await core.get(`${scim.base}/Users`, { key: 'rhsc_forged' }));
    expectScim401(await core.get(`${scim.base}/Users`, { key: ADMIN_KEY }));
    const other = (await core.post(`/api/orgs/${org.id}/directories`, { name: 'Okta' })).body;
    expectScim401(await core.get(`${scim.base}/Users`, { key: other.scim.token }));
    expectScim401(await core.get(`/scim/directory/${other.id}/ServiceProviderConfig`, { key: scim.token }));
  });

  it('rotates the token: the old one stops working at once', async () => {
    const { scim, org } = await scimFixture(core);
    expect((await scim.request('GET', '/Users')).status).to.equal(200);
    const rotated = await core.post(`/api/orgs/${org.id}/directories/${scim.directoryId}/scim-token`);
    expect(rotated.status).to.equal(201);
    expect(rotated.body.token).not.to.equal(scim.token);
    expectScim401(await scim.request('GET', '/Users'));
    expect((await scimClient(core, scim.directoryId, rotated.body.token).request('GET', '/Users')).status).to.equal(200);
    const local = (await core.get(`/api/orgs/${org.id}/directories`)).body.find((d: { kind: string }) => d.kind === 'local');
    const onLocal = await core.post(`/api/orgs/${org.id}/directories/${local.id}/scim-token`);
    expect(onLocal.status).to.equal(422);
    expect(onLocal.body.error.code).to.equal('scim-requires-idp-directory');
  });

  it('describes itself: ServiceProviderConfig, ResourceTypes and Schemas', async () => {
    const { scim } = await scimFixture(core);
    const config = await scim.request('GET', '/ServiceProviderConfig');
    expect(config.headers.get('content-type')).to.include('application/scim+json');
    expect(config.body).to.deep.include({ patch: { supported: true }, sort: { supported: true }, etag: { supported: true } });
    expect(config.body.filter).to.deep.equal({ supported: true, maxResults: 1000 });
    const types = (await scim.request('GET', '/ResourceTypes')).body;
    expect(types.Resources.map((t: { id: string }) => t.id)).to.deep.equal(['User', 'Group']);
    expect((await scim.request('GET', '/ResourceTypes/User')).body.schemaExtensions[0].schema).to.equal(
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
    );
    const schemas = (await scim.request('GET', '/Schemas')).body;
    expect(schemas.totalResults).to.equal(4);
    const enterprise = await scim.request('GET', '/Schemas/urn:ietf:params:scim:schemas:extension:enterprise:2.0:User');
    expect(enterprise.body.attributes.map((a: { name: string }) => a.name)).to.include.members(['department', 'organization', 'employeeNumber', 'manager']);
    const userName = (await scim.request('GET', '/Schemas/urn:ietf:params:scim:schemas:core:2.0:User')).body.attributes[0];
    expect(userName).to.include({ name: 'userName', uniqueness: 'server', caseExact: false, required: true });
    expect((await scim.request('GET', '/Schemas/urn:nope')).status).to.equal(404);
    const unknown = await scim.request('GET', '/Widgets');
    expect(unknown.status).to.equal(404);
    expect(unknown.body.schemas).to.deep.equal(['urn:ietf:params:scim:api:messages:2.0:Error']);
  });

  it('answers malformed JSON with 400 invalidSyntax and oversized bodies with 413 before parsing', async () => {
    const { scim } = await scimFixture(core);
    const malformed = await core.request('POST', `${scim.base}/Users`, undefined, {
      key: scim.token,
      raw: '{"userName":',
      headers: { 'content-type': 'application/scim+json' },
    });
    expect(malformed.status).to.equal(400);
    expect(malformed.body).to.deep.include({ status: '400', scimType: 'invalidSyntax' });
    const huge = await core.request('POST', `${scim.base}/Users`, undefined, {
      key: scim.token,
      raw: JSON.stringify({ userName: 'x'.repeat(5 * 1024 * 1024) }),
      headers: { 'content-type': 'application/scim+json' },
    });
    expect(huge.status).to.equal(413);
    expect(huge.body).to.deep.include({ status: '413' });
    expect((await scim.request('GET', '/Users')).body.totalResults).to.equal(0);
  });
});
