import { expect } from 'chai';
import { startIdp, type TestIdp } from './support/idp.ts';

describe('mock-idp: directory API', () => {
  let idp: TestIdp;
  beforeEach(async () => (idp = await startIdp()));
  afterEach(() => idp.close());

  it('loads users and nested groups; members of nested groups belong to the parent', async () => {
    const alice = (await idp.request('GET', '/api/users/alice@acme.com')).body;
    expect(alice).to.include({ email: 'alice@acme.com', userName: 'alice@acme.com', displayName: 'Alice Liddell', hasPassword: true, active: true });
    expect(alice).not.to.have.property('password');
    expect(alice.memberOf).to.have.members(['engineering', 'everyone']);
    expect((await idp.request('GET', '/api/groups/everyone')).body.members).to.have.members(['alice@acme.com', 'bob@acme.com']);
  });

  it('refuses invalid values with the field named, and changes nothing', async () => {
    for (const [field, value] of [
      ['timezone', 'Mars/Olympus'],
      ['preferredLanguage', 'not a tag!'],
      ['email', 'nope'],
    ] as const) {
      const res = await idp.request('POST', '/api/users', { email: 'carol@acme.com', [field]: value });
      expect(res.status, field).to.equal(400);
      expect(res.body.error.code).to.equal('invalid-request');
      expect(res.body.error.details[0].path).to.equal(`body.${field}`);
    }
    expect((await idp.request('GET', '/api/users')).body.users).to.have.length(2);
  });

  it('refuses duplicates (409), unknown groups and nesting cycles (400)', async () => {
    expect((await idp.request('POST', '/api/users', { email: 'ALICE@acme.com' })).body.error.code).to.equal('user-exists');
    expect((await idp.request('POST', '/api/users', { email: 'carol@acme.com', groups: ['ghosts'] })).body.error.code).to.equal('unknown-group');
    const cycle = await idp.request('PUT', '/api/groups/engineering', { name: 'engineering', groups: ['everyone'] });
    expect(cycle.status).to.equal(400);
    expect(cycle.body.error.code).to.equal('group-cycle');
    expect((await idp.request('GET', '/api/groups/engineering')).body.groups).to.deep.equal([]);
  });

  it('edits users at runtime and restores the loaded state on reset', async () => {
    expect((await idp.request('POST', '/api/users', { email: 'carol@acme.com', givenName: 'Carol', groups: ['sales'] })).status).to.equal(201);
    const patched = await idp.request('PATCH', '/api/users/alice@acme.com', { surname: 'Hargreaves', department: null });
    expect(patched.body).to.include({ displayName: 'Alice Hargreaves' });
    expect(patched.body).not.to.have.property('department');
    expect((await idp.request('DELETE', '/api/users/bob@acme.com')).status).to.equal(204);
    expect((await idp.request('GET', '/api/users/bob@acme.com')).body.error.code).to.equal('user-not-found');
    await idp.request('POST', '/api/reset');
    const users = (await idp.request('GET', '/api/users')).body.users.map((u: { email: string }) => u.email);
    expect(users).to.have.members(['alice@acme.com', 'bob@acme.com']);
    expect((await idp.request('GET', '/api/users/alice@acme.com')).body.department).to.equal('Engineering');
  });

  it('keeps ids stable across reloads, so provisioning can match on them', async () => {
    const first = (await idp.request('GET', '/api/users/alice@acme.com')).body.id;
    const other = await startIdp();
    expect((await other.request('GET', '/api/users/alice@acme.com')).body.id).to.equal(first);
    await other.close();
  });
});
