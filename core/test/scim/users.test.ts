import { expect } from 'chai';
import { HARNESS_KEY, startCore, type TestCore } from '../support/core.ts';
import { ATLASSIAN, ENTERPRISE, entraUser, scimFixture, type ScimClient } from '../support/scim.ts';

describe('SCIM: Users', () => {
  let core: TestCore;
  let scim: ScimClient;
  beforeEach(async () => {
    core = await startCore();
    ({ scim } = await scimFixture(core));
  });
  afterEach(() => core.close());

  const ids = (list: { Resources: { userName: string }[] }) => list.Resources.map((r) => r.userName.split('@')[0]);
  const search = async (filter: string, extra = '') => {
    const response = await scim.request('GET', `/Users?filter=${encodeURIComponent(filter)}${extra}`);
    expect(response.status, `${filter}: ${JSON.stringify(response.body)}`).to.equal(200);
    return response.body;
  };

  it('creates a user with core, enterprise and Atlassian attributes, meta and an ETag', async () => {
    const created = await scim.createUser(
      entraUser('alice', {
        title: 'Engineer',
        timezone: 'Europe/Berlin',
        preferredLanguage: 'de-DE',
        nickName: 'ali',
        [ENTERPRISE]: { department: 'Engineering', organization: 'Acme', employeeNumber: '42', manager: { value: 'mgr-1' } },
      }),
    );
    expect(created.status).to.equal(201);
    expect(created.headers.get('content-type')).to.include('application/scim+json');
    expect(created.headers.get('etag')).to.equal('W/"1"');
    expect(created.headers.get('location')).to.match(new RegExp(`${scim.base}/Users/${created.body.id}$`));
    expect(created.body).to.deep.include({ userName: 'alice@acme.com', externalId: 'oid-alice', active: true, title: 'Engineer' });
    expect(created.body[ENTERPRISE]).to.deep.equal({ department: 'Engineering', organization: 'Acme', employeeNumber: '42', manager: { value: 'mgr-1' } });
    expect(created.body[ATLASSIAN].atlassianAccountId).to.be.a('string');
    expect(created.body.meta).to.deep.include({ resourceType: 'User', created: '2026-11-23T09:00:00.000Z', version: 'W/"1"' });
    expect(created.body.schemas).to.include.members(['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE, ATLASSIAN]);
    const fetched = await scim.request('GET', `/Users/${created.body.id}`);
    expect(fetched.body).to.deep.equal(created.body);
  });

  it('treats attribute names case-insensitively and reads "True"/"False" strings', async () => {
    const created = await scim.createUser({
      USERNAME: 'bob@acme.com',
      Active: 'False',
      Emails: [{ Value: 'bob@acme.com', Primary: 'True', Type: 'work' }],
      DisplayName: 'Bob',
    });
    expect(created.status).to.equal(201);
    expect(created.body).to.deep.include({ userName: 'bob@acme.com', active: false, displayName: 'Bob' });
    expect(created.body.emails).to.deep.equal([{ value: 'bob@acme.com', primary: true, type: 'work' }]);
  });

  it('refuses duplicates case-insensitively (409 uniqueness) and keeps one user', async () => {
    await scim.createUser(entraUser('alice'));
    const again = await scim.createUser({ userName: 'ALICE@acme.com', emails: [{ value: 'alice2@acme.com', primary: true }] });
    expect(again.status).to.equal(409);
    expect(again.body).to.deep.equal({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
      status: '409',
      scimType: 'uniqueness',
      detail: 'A user with userName ALICE@acme.com already exists in this directory.',
    });
    expect((await scim.request('GET', '/Users')).body.totalResults).to.equal(1);
  });

  const badUsers: [string, Record<string, unknown>, string][] = [
    ['no userName', { emails: [{ value: 'x@acme.com', primary: true }] }, 'userName'],
    ['a non-string userName', { userName: 42 }, 'userName'],
    [
      'two primary emails',
      {
        userName: 'x@acme.com',
        emails: [
          { value: 'a@acme.com', primary: true },
          { value: 'b@acme.com', primary: true },
        ],
      },
      'primary',
    ],
    ['no email at all', { userName: 'just-a-name' }, 'primary email'],
    ['an unknown time zone', { userName: 'x@acme.com', timezone: 'Moon/Base' }, 'timezone'],
    ['a malformed language', { userName: 'x@acme.com', preferredLanguage: 'not a tag!' }, 'preferredLanguage'],
    ['active as a number', { userName: 'x@acme.com', active: 3 }, 'active'],
  ];
  for (const [what, body, mention] of badUsers) {
    it(`refuses ${what} with 400 invalidValue and creates nothing`, async () => {
      const response = await scim.createUser(body);
      expect(response.status).to.equal(400);
      expect(response.body).to.include({ status: '400', scimType: 'invalidValue' });
      expect(response.body.detail).to.include(mention);
      expect((await scim.request('GET', '/Users')).body.totalResults).to.equal(0);
      expect((await core.get('/api/accounts?email=x@acme.com')).body).to.deep.equal([]);
    });
  }

  it('replaces on PUT: attributes left out are cleared', async () => {
    const alice = (await scim.createUser(entraUser('alice', { title: 'Engineer', [ENTERPRISE]: { department: 'Eng' } }))).body;
    const replaced = await scim.request('PUT', `/Users/${alice.id}`, { userName: 'alice@acme.com', emails: [{ value: 'alice@acme.com', primary: true }] });
    expect(replaced.status).to.equal(200);
    expect(replaced.headers.get('etag')).to.equal('W/"2"');
    expect(replaced.body).not.to.have.any.keys('title', 'name', 'displayName', ENTERPRISE, 'externalId');
    const account = (await core.get(`/api/accounts/${alice[ATLASSIAN].atlassianAccountId}`)).body;
    expect(account).to.include({ jobTitle: null, department: null, displayName: 'alice' });
  });

  it('deletes: later calls on the id are 404 and a new POST gets a new id', async () => {
    const alice = (await scim.createUser(entraUser('alice'))).body;
    expect((await scim.request('DELETE', `/Users/${alice.id}`)).status).to.equal(204);
    for (const method of ['GET', 'PUT', 'PATCH', 'DELETE']) {
      const body = method === 'PUT' ? entraUser('alice') : method === 'PATCH' ? { Operations: [{ op: 'replace', path: 'title', value: 'x' }] } : undefined;
      const response = await scim.request(method, `/Users/${alice.id}`, body);
      expect(response.status, method).to.equal(404);
      expect(response.body.status).to.equal('404');
    }
    const again = (await scim.createUser(entraUser('alice'))).body;
    expect(again.id).not.to.equal(alice.id);
    expect(again[ATLASSIAN].atlassianAccountId).to.equal(alice[ATLASSIAN].atlassianAccountId);
  });

  it('answers an id of another directory with 404', async () => {
    const alice = (await scim.createUser(entraUser('alice'))).body;
    const orgId = (await core.get('/api/orgs')).body[0].id;
    const other = (await core.post(`/api/orgs/${orgId}/directories`, { name: 'Okta' })).body;
    const response = await core.get(`/scim/directory/${other.id}/Users/${alice.id}`, { key: other.scim.token });
    expect(response.status).to.equal(404);
  });

  it('honours If-Match: a stale version is 412 and changes nothing', async () => {
    const alice = (await scim.createUser(entraUser('alice'))).body;
    const ok = await scim.patch(`/Users/${alice.id}`, [{ op: 'replace', path: 'title', value: 'Lead' }], { 'if-match': 'W/"1"' });
    expect(ok.status).to.equal(200);
    expect(ok.headers.get('etag')).to.equal('W/"2"');
    const stale = await scim.patch(`/Users/${alice.id}`, [{ op: 'replace', path: 'title', value: 'CEO' }], { 'if-match': 'W/"1"' });
    expect(stale.status).to.equal(412);
    expect(stale.body.status).to.equal('412');
    const staleDelete = await scim.request('DELETE', `/Users/${alice.id}`, undefined, { 'if-match': 'W/"1"' });
    expect(staleDelete.status).to.equal(412);
    expect((await scim.request('GET', `/Users/${alice.id}`)).body.title).to.equal('Lead');
    expect((await scim.patch(`/Users/${alice.id}`, [{ op: 'replace', path: 'title', value: 'CTO' }], { 'if-match': '*' })).status).to.equal(200);
  });

  describe('filters', () => {
    beforeEach(async () => {
      await scim.createUser(
        entraUser('alice', {
          title: 'Engineer',
          [ENTERPRISE]: { department: 'Engineering' },
          emails: [
            { value: 'alice@acme.com', type: 'work', primary: true },
            { value: 'alice@home.example', type: 'home' },
          ],
        }),
      );
      await scim.createUser(entraUser('bob', { title: 'Sales Lead', active: false, [ENTERPRISE]: { department: 'Sales' } }));
      await scim.createUser(entraUser('carol', { externalId: 'OID-Carol' }));
      await core.post('/_rehearsal/clock', { advance: '1h' }, { key: HARNESS_KEY });
      await scim.createUser(entraUser('dave', { nickName: 'd_100%' }));
    });

    const cases: [string, string[]][] = [
      ['userName eq "BOB@acme.com"', ['bob']],
      ['userName ne "bob@acme.com"', ['alice', 'carol', 'dave']],
      ['userName co "AR"', ['carol']],
      ['userName sw "a"', ['alice']],
      ['userName ew "@ACME.COM"', ['alice', 'bob', 'carol', 'dave']],
      ['userName gt "bob@acme.com"', ['carol', 'dave']],
      ['userName ge "bob@acme.com"', ['bob', 'carol', 'dave']],
      ['userName lt "bob@acme.com"', ['alice']],
      ['userName le "bob@acme.com"', ['alice', 'bob']],
      ['title pr', ['alice', 'bob']],
      ['not (title pr)', ['carol', 'dave']],
      ['active eq false', ['bob']],
      ['active eq "False"', ['bob']],
      ['title eq "engineer" or title eq "sales lead"', ['alice', 'bob']],
      ['active eq true and (userName sw "a" or userName sw "c")', ['alice', 'carol']],
      ['externalId eq "OID-Carol"', ['carol']],
      ['externalId eq "oid-carol"', []],
      ['emails[type eq "home"]', ['alice']],
      ['emails[type eq "work" and value co "bob"]', ['bob']],
      ['emails.value ew "home.example"', ['alice']],
      ['emails co "home"', ['alice']],
      ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "sales"', ['bob']],
      ['name.givenName sw "C"', ['carol']],
      ['NAME.GIVENNAME eq "dave"', ['dave']],
      ['meta.created gt "2026-11-23T09:30:00Z"', ['dave']],
      ['meta.lastModified le "2026-11-23T09:30:00Z"', ['alice', 'bob', 'carol']],
      ['nickName co "_100%"', ['dave']],
      ['nickName co "_1"', ['dave']],
      ['nickName co "x%"', []],
      ['urn:ietf:params:scim:schemas:core:2.0:User:userName eq "carol@acme.com"', ['carol']],
    ];
    for (const [filter, expected] of cases) {
      it(`${filter} -> ${expected.join(', ') || 'nobody'}`, async () => {
        expect(ids(await search(filter))).to.have.members(expected);
      });
    }

    const invalid = [
      'userName eq',
      'userName eq "a" and',
      'nosuch eq "x"',
      'active gt true',
      'active eq "maybe"',
      'meta.created gt "yesterday"',
      'emails[type eq "work"',
      'title[value eq "x"]',
      `userName eq "${'x'.repeat(2100)}"`,
      `${'('.repeat(20)}userName pr${')'.repeat(20)}`,
      'userName eq "x") or (1 eq 1',
      'userName eq "x"; DROP TABLE scim_users',
    ];
    for (const filter of invalid) {
      it(`refuses ${JSON.stringify(filter.slice(0, 60))} with 400 invalidFilter`, async () => {
        const response = await scim.request('GET', `/Users?filter=${encodeURIComponent(filter)}`);
        expect(response.status).to.equal(400);
        expect(response.body).to.include({ status: '400', scimType: 'invalidFilter' });
        expect((await scim.request('GET', '/Users')).body.totalResults).to.equal(4);
      });
    }
  });

  describe('paging, sorting and projection', () => {
    beforeEach(async () => {
      for (const name of ['dave', 'alice', 'carol', 'bob', 'erin']) await scim.createUser(entraUser(name));
    });

    it('pages from startIndex 1, clamping bad bounds', async () => {
      const page = (await scim.request('GET', '/Users?startIndex=2&count=2&sortBy=userName')).body;
      expect(page).to.deep.include({ totalResults: 5, startIndex: 2, itemsPerPage: 2 });
      expect(ids(page)).to.deep.equal(['bob', 'carol']);
      expect((await scim.request('GET', '/Users?startIndex=0&count=1&sortBy=userName')).body.startIndex).to.equal(1);
      expect((await scim.request('GET', '/Users?startIndex=-5&count=1')).body.startIndex).to.equal(1);
      const none = (await scim.request('GET', '/Users?count=-3')).body;
      expect(none).to.deep.include({ totalResults: 5, itemsPerPage: 0, Resources: [] });
      expect((await scim.request('GET', '/Users?count=100000')).body.itemsPerPage).to.equal(5);
      expect((await scim.request('GET', '/Users?startIndex=99')).body).to.deep.include({ totalResults: 5, itemsPerPage: 0 });
      for (const bad of ['count=ten', 'startIndex=1.5', 'count=']) {
        const response = await scim.request('GET', `/Users?${bad}`);
        if (bad === 'count=') expect(response.status).to.equal(200);
        else expect(response.body).to.include({ status: '400', scimType: 'invalidValue' });
      }
    });

    it('sorts by any single-valued attribute, either way', async () => {
      expect(ids((await scim.request('GET', '/Users?sortBy=userName&sortOrder=descending')).body)).to.deep.equal(['erin', 'dave', 'carol', 'bob', 'alice']);
      expect(ids((await scim.request('GET', '/Users?sortBy=name.givenName')).body)).to.deep.equal(['alice', 'bob', 'carol', 'dave', 'erin']);
      expect(ids((await scim.request('GET', '/Users?sortBy=emails')).body)).to.deep.equal(['alice', 'bob', 'carol', 'dave', 'erin']);
      expect((await scim.request('GET', '/Users?sortBy=nosuch')).body.status).to.equal('400');
      expect((await scim.request('GET', '/Users?sortBy=userName&sortOrder=up')).body.scimType).to.equal('invalidValue');
    });

    it('returns only the requested attributes, or all but the excluded ones', async () => {
      const only = (await scim.request('GET', '/Users?attributes=userName,name.givenName&count=1&sortBy=userName')).body.Resources[0];
      expect(only).to.have.all.keys('id', 'schemas', 'userName', 'name');
      expect(only.name).to.deep.equal({ givenName: 'Alice' });
      const withExtension = (await scim.request('GET', `/Users?attributes=${ENTERPRISE}:department,USERNAME&count=1`)).body.Resources[0];
      expect(withExtension).to.have.all.keys('id', 'schemas', 'userName');
      const without = (await scim.request('GET', '/Users?excludedAttributes=emails,meta,id&count=1')).body.Resources[0];
      expect(without).to.include.keys('id', 'userName');
      expect(without).not.to.have.any.keys('emails', 'meta');
      const one = (await scim.request('GET', '/Users?count=1')).body.Resources[0];
      const single = (await scim.request('GET', `/Users/${one.id}?attributes=displayName`)).body;
      expect(single).to.have.all.keys('id', 'schemas', 'displayName');
    });
  });
});
