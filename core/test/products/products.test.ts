import { expect } from 'chai';
import { orgWithVerifiedDomain, startCore, type TestCore } from '../support/core.ts';

describe('api: products and access', () => {
  let core: TestCore;
  let orgId: string;
  beforeEach(async () => {
    core = await startCore();
    orgId = (await orgWithVerifiedDomain(core)).org.id;
    await core.post('/api/accounts', { email: 'alice@acme.com' });
  });
  afterEach(() => core.close());

  it('enables products on plans, grants and revokes access', async () => {
    expect((await core.put(`/api/orgs/${orgId}/products/jira-software`, { plan: 'premium' })).body).to.deep.equal({
      orgId,
      product: 'jira-software',
      plan: 'premium',
    });
    const granted = await core.post(`/api/orgs/${orgId}/products/jira-software/access`, { emails: ['alice@acme.com'] });
    expect(granted.body).to.deep.equal({ product: 'jira-software', granted: 1, alreadyHad: 0 });
    expect((await core.post(`/api/orgs/${orgId}/products/jira-software/access`, { emails: ['alice@acme.com'] })).body.alreadyHad).to.equal(1);
    expect((await core.get(`/api/orgs/${orgId}/products`)).body).to.deep.equal([{ orgId, product: 'jira-software', plan: 'premium', users: 1 }]);
    const alice = (await core.get(`/api/orgs/${orgId}/products/jira-software/access`)).body.users[0];
    expect((await core.delete(`/api/orgs/${orgId}/products/jira-software/access/${alice.accountId}`)).status).to.equal(204);
    expect((await core.delete(`/api/orgs/${orgId}/products/jira-software/access/${alice.accountId}`)).body.error.code).to.equal('access-not-found');
  });

  it('removes every grant with the product', async () => {
    await core.put(`/api/orgs/${orgId}/products/confluence`, { plan: 'standard' });
    await core.post(`/api/orgs/${orgId}/products/confluence/access`, { emails: ['alice@acme.com'] });
    expect((await core.delete(`/api/orgs/${orgId}/products/confluence`)).status).to.equal(204);
    await core.put(`/api/orgs/${orgId}/products/confluence`, { plan: 'standard' });
    expect((await core.get(`/api/orgs/${orgId}/products/confluence/access`)).body.total).to.equal(0);
  });

  it('refuses unknown products (400), Trello grants (400), disabled products (409) and unknown emails (422), granting nothing', async () => {
    const unknown = await core.put(`/api/orgs/${orgId}/products/jira-ultimate`, { plan: 'standard' });
    expect(unknown.status).to.equal(400);
    expect(unknown.body.error.code).to.equal('unknown-product');
    const trello = await core.put(`/api/orgs/${orgId}/products/trello`, { plan: 'standard' });
    expect(trello.status).to.equal(400);
    expect(trello.body.error.code).to.equal('trello-managed-separately');
    const disabled = await core.post(`/api/orgs/${orgId}/products/bitbucket/access`, { emails: ['alice@acme.com'] });
    expect(disabled.status).to.equal(409);
    expect(disabled.body.error.code).to.equal('product-not-enabled');
    await core.put(`/api/orgs/${orgId}/products/bitbucket`, { plan: 'free' });
    const ghost = await core.post(`/api/orgs/${orgId}/products/bitbucket/access`, { emails: ['alice@acme.com', 'ghost@acme.com'] });
    expect(ghost.status).to.equal(422);
    expect(ghost.body.error).to.deep.include({ code: 'unknown-accounts' });
    expect(ghost.body.error.details[0].email).to.equal('ghost@acme.com');
    expect((await core.get(`/api/orgs/${orgId}/products/bitbucket/access`)).body.total).to.equal(0);
    const badPlan = await core.put(`/api/orgs/${orgId}/products/bitbucket`, { plan: 'platinum' });
    expect(badPlan.status).to.equal(400);
  });
});
