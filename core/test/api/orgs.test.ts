import { expect } from 'chai';
import { startCore, type TestCore } from '../support/core.ts';

describe('api: organizations', () => {
  let core: TestCore;
  beforeEach(async () => (core = await startCore()));
  afterEach(() => core.close());

  it('creates an organization with its admins, local directory and default policy', async () => {
    const created = await core.post('/api/orgs', { name: 'Acme', plan: 'standard', admins: ['root@acme.com', 'ops@acme.com'] });
    expect(created.status).to.equal(201);
    expect(created.body).to.include({ name: 'Acme', plan: 'standard' });
    expect(created.body.admins.map((a: { email: string }) => a.email)).to.have.members(['root@acme.com', 'ops@acme.com']);
    const directories = (await core.get(`/api/orgs/${created.body.id}/directories`)).body;
    expect(directories).to.have.length(1);
    expect(directories[0]).to.include({ kind: 'local' });
    const policies = (await core.get(`/api/orgs/${created.body.id}/policies`)).body;
    expect(policies).to.have.length(1);
    expect(policies[0]).to.include({ isDefault: true, sso: 'disabled', billable: true, idleMinutes: 43200, directoryId: directories[0].id });
    const admin = (await core.get('/api/accounts?email=root@acme.com')).body[0];
    expect(admin).to.include({ origin: 'invite', managed: false });
  });

  const badBodies: [string, unknown, string][] = [
    ['no admins', { name: 'Acme', admins: [] }, 'body.admins'],
    ['an unknown plan', { name: 'Acme', plan: 'gold', admins: ['a@acme.com'] }, 'body.plan'],
    ['an unknown field', { name: 'Acme', admins: ['a@acme.com'], owner: 'x' }, 'body.owner'],
    ['a bad admin email', { name: 'Acme', admins: ['not-an-email'] }, 'body.admins.0'],
    ['a name of the wrong type', { name: 42, admins: ['a@acme.com'] }, 'body.name'],
    ['an empty name', { name: '   ', admins: ['a@acme.com'] }, 'body.name'],
  ];
  for (const [what, body, path] of badBodies) {
    it(`refuses ${what} with 400 naming ${path}, and stores nothing`, async () => {
      const response = await core.post('/api/orgs', body);
      expect(response.status).to.equal(400);
      expect(response.body.error.code).to.equal('invalid-request');
      expect(response.body.error.details.map((d: { path: string }) => d.path)).to.include(path);
      expect((await core.get('/api/orgs')).body).to.deep.equal([]);
      expect((await core.get('/api/accounts?email=a@acme.com')).body).to.deep.equal([]);
    });
  }

  it('refuses malformed JSON and a non-JSON body with 400', async () => {
    const malformed = await core.post('/api/orgs', undefined, { raw: '{"name":', headers: { 'content-type': 'application/json' } });
    expect(malformed.status).to.equal(400);
    expect(malformed.body.error.code).to.equal('malformed-json');
    const text = await core.post('/api/orgs', undefined, { raw: 'name=Acme', headers: { 'content-type': 'text/plain' } });
    expect(text.status).to.equal(400);
    expect(text.body.error.code).to.equal('invalid-request');
  });

  it('answers unknown ids with 404 org-not-found', async () => {
    for (const path of ['/api/orgs/nope', '/api/orgs/nope/domains', '/api/orgs/nope/policies', '/api/orgs/nope/billing']) {
      const response = await core.get(path);
      expect(response.status, path).to.equal(404);
      expect(response.body.error.code).to.equal('org-not-found');
    }
  });

  it('renames and changes plans, but not below the IdP connections in use', async () => {
    const org = (await core.post('/api/orgs', { name: 'Acme', plan: 'enterprise', admins: ['root@acme.com'] })).body;
    await core.post(`/api/orgs/${org.id}/directories`, { name: 'Entra' });
    await core.post(`/api/orgs/${org.id}/directories`, { name: 'Okta' });
    const downgrade = await core.patch(`/api/orgs/${org.id}`, { plan: 'standard' });
    expect(downgrade.status).to.equal(409);
    expect(downgrade.body.error.code).to.equal('idp-directory-limit');
    expect((await core.get(`/api/orgs/${org.id}`)).body.plan).to.equal('enterprise');
    const renamed = await core.patch(`/api/orgs/${org.id}`, { name: 'Acme Corp' });
    expect(renamed.body).to.include({ name: 'Acme Corp', plan: 'enterprise' });
  });

  it('adds admins and never removes the last one', async () => {
    const org = (await core.post('/api/orgs', { name: 'Acme', admins: ['root@acme.com'] })).body;
    const added = await core.post(`/api/orgs/${org.id}/admins`, { email: 'second@acme.com' });
    expect(added.status).to.equal(201);
    expect(added.body.admins).to.have.length(2);
    const [first, second] = added.body.admins;
    expect((await core.delete(`/api/orgs/${org.id}/admins/${first.accountId}`)).status).to.equal(200);
    const last = await core.delete(`/api/orgs/${org.id}/admins/${second.accountId}`);
    expect(last.status).to.equal(409);
    expect(last.body.error.code).to.equal('last-org-admin');
    const deleteAccount = await core.delete(`/api/accounts/${second.accountId}`);
    expect(deleteAccount.status).to.equal(409);
    expect(deleteAccount.body.error.code).to.equal('last-org-admin');
    expect((await core.delete(`/api/orgs/${org.id}/admins/${first.accountId}`)).body.error.code).to.equal('admin-not-found');
  });
});
