import { expect } from 'chai';
import { HARNESS_KEY, orgWithVerifiedDomain, startCore, type TestCore } from '../support/core.ts';

describe('api: domains and managed accounts', () => {
  let core: TestCore;
  let orgId: string;
  beforeEach(async () => {
    core = await startCore();
    orgId = (await core.post('/api/orgs', { name: 'Acme', plan: 'enterprise', admins: ['root@acme.com'] })).body.id;
  });
  afterEach(() => core.close());

  const addDomain = async (name: string, org = orgId) => core.post(`/api/orgs/${org}/domains`, { name });
  const publish = (domain: string, entry: object) => core.post('/_rehearsal/dns', { domain, ...entry }, { key: HARNESS_KEY });

  it('adds a domain as pending with a token and both ways to verify it', async () => {
    const response = await addDomain('Acme.com');
    expect(response.status).to.equal(201);
    const domain = response.body;
    expect(domain).to.include({ name: 'acme.com', status: 'pending', method: null });
    expect(domain.token).to.match(/^[A-Za-z0-9_-]{32}$/);
    expect(domain.verification.dns).to.deep.equal({ type: 'TXT', name: 'acme.com', value: `atlassian-domain-verification=${domain.token}` });
    expect(domain.verification.http.url).to.equal('https://acme.com/atlassian-domain-verification.html');
  });

  it('refuses public mail domains (422) and malformed names (422) and stores nothing', async () => {
    const publicDomain = await addDomain('gmail.com');
    expect(publicDomain.status).to.equal(422);
    expect(publicDomain.body.error.code).to.equal('public-mail-domain');
    const malformed = await addDomain('not a domain');
    expect(malformed.status).to.equal(422);
    expect(malformed.body.error).to.deep.include({ code: 'invalid-domain' });
    expect(malformed.body.error.details[0].path).to.equal('body.name');
    expect((await core.get(`/api/orgs/${orgId}/domains`)).body).to.deep.equal([]);
  });

  it('refuses adding the same domain twice (409)', async () => {
    await addDomain('acme.com');
    const again = await addDomain('ACME.com');
    expect(again.status).to.equal(409);
    expect(again.body.error.code).to.equal('domain-already-added');
  });

  it('verifies by DNS TXT record and claims every account on the domain into the default policy', async () => {
    const before = (await core.post('/api/accounts', { email: 'alice@acme.com', displayName: 'Alice' })).body;
    await core.post('/api/accounts', { email: 'bob@other.com' });
    expect(before).to.include({ managed: false, policyId: null });
    const domain = (await addDomain('acme.com')).body;
    await publish('acme.com', { txt: domain.verification.dns.value });
    const verified = await core.post(`/api/orgs/${orgId}/domains/${domain.id}/verify`, { method: 'dns' });
    expect(verified.status).to.equal(200);
    expect(verified.body.domain).to.include({ status: 'verified', method: 'dns', verifiedAt: '2026-11-23T09:00:00.000Z' });
    expect(verified.body.claimedAccounts).to.equal(2); // alice and the invited admin root@acme.com
    const defaultPolicy = (await core.get(`/api/orgs/${orgId}/policies`)).body[0];
    const alice = (await core.get(`/api/accounts/${before.id}`)).body;
    expect(alice).to.include({ managed: true, managedBy: orgId, policyId: defaultPolicy.id });
    expect((await core.get('/api/accounts?email=bob@other.com')).body[0]).to.include({ managed: false });
    // accounts created later on the domain are claimed at once
    const carol = (await core.post('/api/accounts', { email: 'carol@acme.com' })).body;
    expect(carol).to.include({ managed: true, policyId: defaultPolicy.id });
    const managed = (await core.get(`/api/orgs/${orgId}/accounts`)).body;
    expect(managed.total).to.equal(3);
  });

  it('verifies by the HTTPS file', async () => {
    const domain = (await addDomain('acme.com')).body;
    await publish('acme.com', { file: domain.verification.http.content });
    const verified = await core.post(`/api/orgs/${orgId}/domains/${domain.id}/verify`, { method: 'http' });
    expect(verified.status).to.equal(200);
    expect(verified.body.domain).to.include({ status: 'verified', method: 'http' });
  });

  it('refuses verification without the proof (422) and claims nothing', async () => {
    await core.post('/api/accounts', { email: 'alice@acme.com' });
    const domain = (await addDomain('acme.com')).body;
    await publish('acme.com', { txt: 'atlassian-domain-verification=wrong' });
    const dns = await core.post(`/api/orgs/${orgId}/domains/${domain.id}/verify`, { method: 'dns' });
    expect(dns.status).to.equal(422);
    expect(dns.body.error.code).to.equal('domain-verification-failed');
    expect(dns.body.error.details[0]).to.deep.include({ message: 'txt-record-missing', found: ['atlassian-domain-verification=wrong'] });
    const http = await core.post(`/api/orgs/${orgId}/domains/${domain.id}/verify`, { method: 'http' });
    expect(http.body.error.details[0].message).to.equal('file-missing');
    expect((await core.get(`/api/orgs/${orgId}/domains/${domain.id}`)).body.status).to.equal('pending');
    expect((await core.get('/api/accounts?email=alice@acme.com')).body[0].managed).to.equal(false);
  });

  it('refuses a bad method with 400', async () => {
    const domain = (await addDomain('acme.com')).body;
    const response = await core.post(`/api/orgs/${orgId}/domains/${domain.id}/verify`, { method: 'email' });
    expect(response.status).to.equal(400);
    expect(response.body.error.details[0].path).to.equal('body.method');
  });

  it('refuses a domain another organization verified (409), when adding and when verifying', async () => {
    const other = (await core.post('/api/orgs', { name: 'Rival', admins: ['boss@rival.com'] })).body.id;
    const pendingAtRival = (await addDomain('acme.com', other)).body;
    await orgWithVerifiedDomain(core, { domain: 'acme.com', admins: ['x@acme.com'] });
    const third = (await core.post('/api/orgs', { name: 'Third', admins: ['t@third.com'] })).body.id;
    const addThird = await addDomain('acme.com', third);
    expect(addThird.status).to.equal(409);
    expect(addThird.body.error.code).to.equal('domain-verified-by-another-org');
    await publish('acme.com', { txt: pendingAtRival.verification.dns.value });
    const verify = await core.post(`/api/orgs/${other}/domains/${pendingAtRival.id}/verify`, { method: 'dns' });
    expect(verify.status).to.equal(409);
    expect(verify.body.error.code).to.equal('domain-verified-by-another-org');
  });

  it('releases the claimed accounts when the domain is unverified or removed', async () => {
    const { org, domain } = await orgWithVerifiedDomain(core, { domain: 'corp.example', admins: ['root@corp.example'] });
    const alice = (await core.post('/api/accounts', { email: 'alice@corp.example' })).body;
    expect(alice.managed).to.equal(true);
    const unverified = await core.post(`/api/orgs/${org.id}/domains/${domain.id}/unverify`);
    expect(unverified.body).to.deep.include({ releasedAccounts: 2 });
    expect(unverified.body.domain.status).to.equal('pending');
    expect((await core.get(`/api/accounts/${alice.id}`)).body).to.include({ managed: false, policyId: null });
    // verify again, then remove
    await core.post(`/api/orgs/${org.id}/domains/${domain.id}/verify`, { method: 'dns' });
    expect((await core.get(`/api/accounts/${alice.id}`)).body.managed).to.equal(true);
    const removed = await core.delete(`/api/orgs/${org.id}/domains/${domain.id}`);
    expect(removed.body).to.deep.equal({ removed: 'corp.example', releasedAccounts: 2 });
    expect((await core.get(`/api/accounts/${alice.id}`)).body.managed).to.equal(false);
    expect((await core.get(`/api/orgs/${org.id}/domains/${domain.id}`)).status).to.equal(404);
  });

  it('links verified domains to IdP directories only', async () => {
    const pending = (await addDomain('pending.example')).body;
    const { org, domain } = await orgWithVerifiedDomain(core, { name: 'Other', domain: 'other.example', admins: ['r@other.example'] });
    const directories = (await core.get(`/api/orgs/${org.id}/directories`)).body;
    const idp = (await core.post(`/api/orgs/${org.id}/directories`, { name: 'Entra' })).body;
    const toLocal = await core.put(`/api/orgs/${org.id}/domains/${domain.id}/directory`, { directoryId: directories[0].id });
    expect(toLocal.status).to.equal(422);
    expect(toLocal.body.error.code).to.equal('directory-not-idp');
    const linked = await core.put(`/api/orgs/${org.id}/domains/${domain.id}/directory`, { directoryId: idp.id });
    expect(linked.body.directoryId).to.equal(idp.id);
    expect((await core.get(`/api/orgs/${org.id}/directories/${idp.id}`)).body.linkedDomains).to.deep.equal(['other.example']);
    const notVerified = await core.put(`/api/orgs/${orgId}/domains/${pending.id}/directory`, { directoryId: idp.id });
    expect(notVerified.status).to.equal(409);
    expect(notVerified.body.error.code).to.equal('domain-not-verified');
    const otherOrgDirectory = await core.put(`/api/orgs/${org.id}/domains/${domain.id}/directory`, { directoryId: 'missing' });
    expect(otherOrgDirectory.status).to.equal(404);
    expect(otherOrgDirectory.body.error.code).to.equal('directory-not-found');
  });

  it('answers a domain of another organization with 404', async () => {
    const domain = (await addDomain('acme.com')).body;
    const other = (await core.post('/api/orgs', { name: 'Rival', admins: ['boss@rival.com'] })).body.id;
    const response = await core.get(`/api/orgs/${other}/domains/${domain.id}`);
    expect(response.status).to.equal(404);
    expect(response.body.error.code).to.equal('domain-not-found');
  });
});
