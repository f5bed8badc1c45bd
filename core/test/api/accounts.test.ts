import { expect } from 'chai';
import { HARNESS_KEY, orgWithVerifiedDomain, startCore, type TestCore } from '../support/core.ts';

describe('api: accounts', () => {
  let core: TestCore;
  beforeEach(async () => (core = await startCore()));
  afterEach(() => core.close());

  it('creates an account with a validated, canonical profile and never shows secrets', async () => {
    const response = await core.post('/api/accounts', {
      email: 'Alice@ACME.com',
      displayName: 'Alice Liddell',
      jobTitle: 'Engineer',
      department: 'Engineering',
      organization: 'Acme',
      timezone: 'europe/berlin',
      preferredLanguage: 'en-us',
      publicName: 'alice',
      password: 'correct horse battery',
    });
    expect(response.status).to.equal(201);
    expect(response.body).to.include({
      email: 'Alice@acme.com',
      timezone: 'Europe/Berlin',
      preferredLanguage: 'en-US',
      origin: 'signup',
      active: true,
      hasPassword: true,
      twoStepEnrolled: false,
    });
    expect(response.body).not.to.have.any.keys('passwordHash', 'totpSecret', 'recoveryCodeHashes');
    expect(JSON.stringify(response.body)).not.to.include('scrypt');
  });

  const badProfiles: [string, object, string][] = [
    ['an unknown time zone', { timezone: 'Mars/Olympus' }, 'body.timezone'],
    ['a malformed language tag', { preferredLanguage: 'english please' }, 'body.preferredLanguage'],
    ['a malformed email', { email: 'alice@' }, 'body.email'],
    ['an unknown origin', { origin: 'ldap' }, 'body.origin'],
    ['an unknown field', { nickname: 'al' }, 'body.nickname'],
    ['a display name of the wrong type', { displayName: 7 }, 'body.displayName'],
  ];
  for (const [what, patch, path] of badProfiles) {
    it(`refuses ${what} with 400 naming ${path}, and creates nothing`, async () => {
      const response = await core.post('/api/accounts', { email: 'alice@acme.com', ...patch });
      expect(response.status).to.equal(400);
      expect(response.body.error.details.map((d: { path: string }) => d.path)).to.include(path);
      expect((await core.get('/api/accounts?email=alice@acme.com')).body).to.deep.equal([]);
    });
  }

  it('refuses a too short password with 422 password-length', async () => {
    const response = await core.post('/api/accounts', { email: 'alice@acme.com', password: 'short' });
    expect(response.status).to.equal(422);
    expect(response.body.error.code).to.equal('password-length');
    expect((await core.get('/api/accounts?email=alice@acme.com')).body).to.deep.equal([]);
  });

  it('treats emails case-insensitively: a second account for the same address is a 409', async () => {
    await core.post('/api/accounts', { email: 'alice@acme.com' });
    const duplicate = await core.post('/api/accounts', { email: 'ALICE@acme.com' });
    expect(duplicate.status).to.equal(409);
    expect(duplicate.body.error.code).to.equal('email-taken');
  });

  it('creates a batch atomically: one duplicate and nothing is created', async () => {
    await core.post('/api/accounts', { email: 'taken@acme.com' });
    const failed = await core.post('/api/accounts/batch', { accounts: [{ email: 'new1@acme.com' }, { email: 'taken@acme.com' }] });
    expect(failed.status).to.equal(409);
    expect((await core.get('/api/accounts?email=new1@acme.com')).body).to.deep.equal([]);
    const twice = await core.post('/api/accounts/batch', { accounts: [{ email: 'x@acme.com' }, { email: 'X@acme.com' }] });
    expect(twice.status).to.equal(409);
    expect(twice.body.error.details[0].path).to.equal('body.accounts.1.email');
    const ok = await core.post('/api/accounts/batch', { accounts: [{ email: 'new1@acme.com' }, { email: 'new2@acme.com' }] });
    expect(ok.status).to.equal(201);
    expect(ok.body.created).to.equal(2);
  });

  it("keeps a managed account's email on the organization's verified domains", async () => {
    const { org } = await orgWithVerifiedDomain(core, { domain: 'acme.com' });
    const second = (await core.post(`/api/orgs/${org.id}/domains`, { name: 'acme.io' })).body;
    await core.post('/_rehearsal/dns', { domain: 'acme.io', txt: second.verification.dns.value }, { key: HARNESS_KEY });
    await core.post(`/api/orgs/${org.id}/domains/${second.id}/verify`, { method: 'dns' });
    const alice = (await core.post('/api/accounts', { email: 'alice@acme.com' })).body;
    const offDomain = await core.patch(`/api/accounts/${alice.id}`, { email: 'alice@gmail.com' });
    expect(offDomain.status).to.equal(422);
    expect(offDomain.body.error.code).to.equal('managed-email-off-domain');
    expect((await core.get(`/api/accounts/${alice.id}`)).body.email).to.equal('alice@acme.com');
    const moved = await core.patch(`/api/accounts/${alice.id}`, { email: 'alice@acme.io', department: 'R&D' });
    expect(moved.status).to.equal(200);
    expect(moved.body).to.include({ email: 'alice@acme.io', department: 'R&D', managed: true });
  });

  it('claims an unmanaged account that an admin moves onto a verified domain', async () => {
    const { org } = await orgWithVerifiedDomain(core, { domain: 'acme.com' });
    const bob = (await core.post('/api/accounts', { email: 'bob@home.example' })).body;
    const moved = (await core.patch(`/api/accounts/${bob.id}`, { email: 'bob@acme.com' })).body;
    expect(moved).to.include({ managed: true, managedBy: org.id });
    expect(moved.policyId).to.be.a('string');
  });

  it('refuses self-service deletion and email change for managed accounts (403), allows them otherwise', async () => {
    await orgWithVerifiedDomain(core, { domain: 'acme.com' });
    const managed = (await core.post('/api/accounts', { email: 'alice@acme.com' })).body;
    const free = (await core.post('/api/accounts', { email: 'bob@home.example' })).body;
    const deleteManaged = await core.post(`/api/accounts/${managed.id}/self-service/delete`);
    expect(deleteManaged.status).to.equal(403);
    expect(deleteManaged.body.error.code).to.equal('managed-account-cannot-self-delete');
    const emailManaged = await core.post(`/api/accounts/${managed.id}/self-service/email`, { email: 'alice@acme.com.evil' });
    expect(emailManaged.status).to.equal(403);
    expect(emailManaged.body.error.code).to.equal('managed-account-email-locked');
    expect((await core.get(`/api/accounts/${managed.id}`)).status).to.equal(200);
    expect((await core.post(`/api/accounts/${free.id}/self-service/email`, { email: 'bob@new.example' })).body.email).to.equal('bob@new.example');
    expect((await core.post(`/api/accounts/${free.id}/self-service/delete`)).status).to.equal(204);
    expect((await core.get(`/api/accounts/${free.id}`)).status).to.equal(404);
    // an admin may delete a managed account
    expect((await core.delete(`/api/accounts/${managed.id}`)).status).to.equal(204);
  });

  it("applies the member policy's minimum strength when a password is set", async () => {
    const { org } = await orgWithVerifiedDomain(core, { domain: 'acme.com' });
    const policy = (await core.get(`/api/orgs/${org.id}/policies`)).body[0];
    await core.patch(`/api/orgs/${org.id}/policies/${policy.id}`, { passwordMinStrength: 'strong' });
    const alice = (await core.post('/api/accounts', { email: 'alice@acme.com' })).body;
    const weak = await core.put(`/api/accounts/${alice.id}/password`, { password: 'password1' });
    expect(weak.status).to.equal(422);
    expect(weak.body.error.code).to.equal('password-too-weak');
    expect((await core.get(`/api/accounts/${alice.id}`)).body.hasPassword).to.equal(false);
    const strong = await core.put(`/api/accounts/${alice.id}/password`, { password: 'Tr0ub4dour&3-horse-Violin-42' });
    expect(strong.status).to.equal(200);
    expect(strong.body.passwordChangedAt).to.equal('2026-11-23T09:00:00.000Z');
  });

  it('deactivates and reactivates accounts', async () => {
    const alice = (await core.post('/api/accounts', { email: 'alice@acme.com' })).body;
    expect((await core.post(`/api/accounts/${alice.id}/deactivate`)).body.active).to.equal(false);
    expect((await core.post('/api/login/decision', { email: 'alice@acme.com' })).body).to.include({ allowed: false, reason: 'account-deactivated' });
    expect((await core.post(`/api/accounts/${alice.id}/activate`)).body.active).to.equal(true);
  });

  it('answers unknown account ids with 404 account-not-found', async () => {
    for (const [method, path] of [
      ['GET', '/api/accounts/nope'],
      ['PATCH', '/api/accounts/nope'],
      ['POST', '/api/accounts/nope/deactivate'],
      ['DELETE', '/api/accounts/nope'],
    ] as const) {
      const response = await core.request(method, path, method === 'PATCH' ? { department: 'x' } : undefined);
      expect(response.status, path).to.equal(404);
      expect(response.body.error.code).to.equal('account-not-found');
    }
  });
});
