import { expect } from 'chai';
import { HARNESS_KEY, type TestCore } from '../support/core.ts';
import { entraUser, startScimCore, type ScimClient } from '../support/scim.ts';

/** Issue 13.3 and 13.13: inputs that gave 500s, or were stored as they came, get a 4xx with a code and change nothing. */
describe('api: hostile input gets a 4xx with a reason code, and changes nothing', () => {
  let core: TestCore, scim: ScimClient, orgId: string;
  beforeEach(async () => {
    ({ core, scim, orgId } = await startScimCore());
    expect((await scim.createUser(entraUser('alice'))).status).to.equal(201);
  });
  afterEach(() => core.close());

  it('refuses a SCIM startIndex beyond 2^31 with 400 invalidValue, in the SCIM error shape', async () => {
    for (const startIndex of ['2147483648', '99999999999999999999', '1' + '0'.repeat(400)]) {
      const answer = await scim.request('GET', `/Users?startIndex=${startIndex}`);
      expect(answer.status, startIndex).to.equal(400);
      expect(answer.body).to.include({ status: '400', scimType: 'invalidValue' });
    }
    // the largest 32-bit index is a page past the end, not an error
    const last = await scim.request('GET', '/Users?startIndex=2147483647');
    expect(last.status).to.equal(200);
    expect(last.body).to.include({ totalResults: 1, itemsPerPage: 0 });
  });

  it('refuses a repeated query parameter with 400 naming it, on SCIM and on the admin API', async () => {
    const scimAnswer = await scim.request('GET', '/Users?startIndex=1&startIndex=2');
    expect(scimAnswer.status).to.equal(400);
    expect(scimAnswer.body).to.include({ status: '400', scimType: 'invalidValue' });
    expect(scimAnswer.body.detail).to.contain('startIndex');
    const filters = await scim.request('GET', `/Users?filter=${encodeURIComponent('userName eq "a"')}&filter=${encodeURIComponent('userName pr')}`);
    expect(filters.status).to.equal(400);
    const admin = await core.get(`/api/orgs/${orgId}/audit?limit=1&limit=2`);
    expect(admin.status).to.equal(400);
    expect(admin.body.error).to.include({ code: 'query-parameter-repeated' });
    expect(admin.body.error.details[0].path).to.equal('query.limit');
  });

  it('answers a body that is not the gzip it claims to be with 400 invalidSyntax', async () => {
    const answer = await scim.request('POST', '/Users', undefined, { 'content-encoding': 'gzip' });
    const raw = await core.request('POST', `${scim.base}/Users`, undefined, {
      key: scim.token,
      raw: '{"userName":"x"}',
      headers: { 'content-type': 'application/scim+json', 'content-encoding': 'gzip' },
    });
    expect(answer.status).to.be.below(500);
    expect(raw.status).to.equal(400);
    expect(raw.body).to.include({ status: '400', scimType: 'invalidSyntax' });
  });

  it('answers non-ASCII and malformed bearer keys with 401, never 500', async () => {
    // Header values travel as Latin-1: é and ÿ are the bytes a client sends for non-ASCII keys.
    for (const key of ['é'.repeat(32), 'Schlüssel-Schlüssel-Schlüssel', '\u00ff'.repeat(31) + 'x', 'a'.repeat(5000)]) {
      expect((await core.get('/api/orgs', { key })).status, key.slice(0, 10)).to.equal(401);
      expect((await core.get(`${scim.base}/Users`, { key })).status).to.equal(401);
      expect((await core.post('/_rehearsal/reset', undefined, { key })).status).to.equal(401);
    }
  });

  it('refuses control characters in names with 400 and stores nothing (admin API, SCIM users and groups)', async () => {
    const names = ['Acme\u0000Corp', 'Line\nbreak', 'Bell\u0007', 'Right\u202eto-left', 'Del\u007f'];
    for (const name of names) {
      const org = await core.post('/api/orgs', { name, admins: ['root@acme.com'] });
      expect(org.status, JSON.stringify(name)).to.equal(400);
      expect(org.body.error.details[0]).to.include({ path: 'body.name', message: 'control characters are not allowed' });
      const policy = await core.post(`/api/orgs/${orgId}/policies`, { name });
      expect(policy.status).to.equal(400);
      const user = await scim.createUser(entraUser('mallory', { displayName: name }));
      expect(user.status).to.equal(400);
      expect(user.body.scimType).to.equal('invalidValue');
      const group = await scim.request('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: name });
      expect(group.status).to.equal(400);
      const account = await core.post('/api/accounts', { email: 'zed@acme.com', displayName: name });
      expect(account.status).to.equal(400);
    }
    expect((await core.get('/api/orgs')).body).to.have.length(1);
    expect((await scim.request('GET', '/Users')).body.totalResults).to.equal(1);
    expect((await scim.request('GET', '/Groups')).body.totalResults).to.equal(0);
    // Letters of every script are fine.
    expect((await core.post(`/api/orgs/${orgId}/policies`, { name: 'Pilote — équipe Ωmega 東京' })).status).to.equal(201);
  });

  it('keeps the harness open for reading the clock only', async () => {
    expect((await core.get('/_rehearsal/clock', { key: null })).status).to.equal(200);
    expect((await core.get('/_rehearsal/dns', { key: null })).status).to.equal(401);
    expect((await core.get('/_rehearsal/dns', { key: HARNESS_KEY })).status).to.equal(200);
  });
});
