import { expect } from 'chai';
import { startCore, type TestCore } from '../support/core.ts';
import { rolloutFixture } from '../support/org-fixture.ts';

describe('api: people (every managed account, its next login and its bill)', () => {
  let core: TestCore;
  beforeEach(async () => (core = await startCore()));
  afterEach(() => core.close());

  it('describes each managed account: policy, directory, next login with its reason, billability', async () => {
    const { org, pilot, accounts } = await rolloutFixture(core);
    await core.post(`/api/orgs/${org.id}/policies/${pilot.id}/members`, { emails: ['alice@acme.com'] });
    const page = (await core.get(`/api/orgs/${org.id}/people`)).body;
    expect(page.all).to.equal(4);
    expect(page.people.map((p: { email: string }) => p.email)).to.deep.equal(['alice@acme.com', 'bob@acme.com', 'carol@acme.com', 'root@acme.com']);
    const alice = page.people[0];
    expect(alice).to.deep.include({ accountId: accounts.alice!.id, managed: true, admin: false, policy: { id: pilot.id, name: 'SSO pilot' } });
    expect(alice.directory.name).to.equal('Entra');
    expect(alice.login).to.include({ method: 'sso', reason: 'policy-sso-enforced', next: 'sso' });
    const bob = page.people[1];
    expect(bob.login).to.include({ method: 'password', reason: 'policy-password', next: 'password' });
    expect(bob.billingReason).to.equal('no-product-access');
    expect(page.people[3]).to.include({ admin: true });
    expect(page.facets.loginReasons).to.deep.equal({ 'policy-sso-enforced': 1, 'policy-password': 3 });
  });

  it('filters by text, policy, reason and billability, and pages', async () => {
    const { org, pilot } = await rolloutFixture(core);
    await core.post(`/api/orgs/${org.id}/policies/${pilot.id}/members`, { emails: ['alice@acme.com'] });
    const emails = async (query: string) => ((await core.get(`/api/orgs/${org.id}/people?${query}`)).body.people as { email: string }[]).map((p) => p.email);
    expect(await emails('q=CAR')).to.deep.equal(['carol@acme.com']);
    expect(await emails(`policy=${pilot.id}`)).to.deep.equal(['alice@acme.com']);
    expect(await emails('reason=policy-sso-enforced')).to.deep.equal(['alice@acme.com']);
    expect(await emails('billable=true')).to.deep.equal([]);
    expect(await emails('reason=no-product-access&limit=2&offset=1')).to.deep.equal(['bob@acme.com', 'carol@acme.com']);
    const page = (await core.get(`/api/orgs/${org.id}/people?limit=2&offset=1`)).body;
    expect(page).to.include({ total: 4, limit: 2, offset: 1 });
  });

  it('refuses bad filters with 400 naming the field, and answers 404 for another organization', async () => {
    const { org } = await rolloutFixture(core);
    for (const [query, path] of [
      ['billable=maybe', 'query.billable'],
      ['limit=5000', 'query.limit'],
      ['offset=-1', 'query.offset'],
      ['colour=red', 'query.colour'],
      [`q=${'x'.repeat(400)}`, 'query.q'],
    ]) {
      const answer = await core.get(`/api/orgs/${org.id}/people?${query}`);
      expect(answer.status, query).to.equal(400);
      expect(answer.body.error.details.map((d: { path: string }) => d.path)).to.include(path);
    }
    expect((await core.get('/api/orgs/nope/people')).body.error.code).to.equal('org-not-found');
  });
});
