import { expect } from 'chai';
import { startCore, type TestCore } from '../support/core.ts';

/**
 * Issue 14.10: (field blog, doc) without Atlassian Guard an organization claims
 * domains, manages accounts and has one authentication policy (two-step, password
 * strength, idle session); SAML SSO, user provisioning, more policies and
 * non-billable policies need Guard, which the Enterprise plan includes.
 */
describe('api: what the subscription allows (issue 14.10)', () => {
  let core: TestCore;
  beforeEach(async () => (core = await startCore()));
  afterEach(() => core.close());

  const refusedFor = (answer: { status: number; body: any }, feature: string) => {
    expect(answer.status, JSON.stringify(answer.body)).to.equal(422);
    expect(answer.body.error.code).to.equal('subscription-required');
    expect(answer.body.error.details[0].feature).to.equal(feature);
    expect(answer.body.error.message).to.contain('Atlassian Guard is required for');
  };

  it('14.10 an organization without Guard cannot have SSO, provisioning, more policies or non-billable policies: subscription-required, naming the feature', async () => {
    const org = (await core.post('/api/orgs', { name: 'Free Co', plan: 'free', admins: ['root@free.example'] })).body;
    expect(org).to.include({ subscription: 'none', guard: 'none' });
    refusedFor(await core.post(`/api/orgs/${org.id}/directories`, { name: 'Entra' }), 'SAML single sign-on and user provisioning');
    refusedFor(await core.post(`/api/orgs/${org.id}/policies`, { name: 'Pilot' }), 'more than one authentication policy');
    const [only] = (await core.get(`/api/orgs/${org.id}/policies`)).body;
    refusedFor(await core.patch(`/api/orgs/${org.id}/policies/${only.id}`, { billable: false }), 'non-billable policies');
    expect((await core.get(`/api/orgs/${org.id}/directories`)).body).to.have.length(1);
    // What it does have: its one policy, with two-step verification, password strength and idle session.
    const tuned = await core.patch(`/api/orgs/${org.id}/policies/${only.id}`, { twoStep: 'mandatory', passwordMinStrength: 'strong', idleMinutes: 120 });
    expect(tuned.status).to.equal(200);
  });

  it('14.10 subscribing opens them; the Enterprise plan includes Guard; Guard cannot go while in use', async () => {
    const org = (await core.post('/api/orgs', { name: 'Acme', plan: 'standard', admins: ['root@acme.com'] })).body;
    const subscribed = await core.patch(`/api/orgs/${org.id}`, { subscription: 'guard' });
    expect(subscribed.body).to.include({ subscription: 'guard', guard: 'subscribed' });
    expect((await core.post(`/api/orgs/${org.id}/directories`, { name: 'Entra' })).status).to.equal(201);
    const dropped = await core.patch(`/api/orgs/${org.id}`, { subscription: 'none' });
    expect(dropped.status).to.equal(409);
    expect(dropped.body.error.code).to.equal('subscription-in-use');
    expect((await core.get(`/api/orgs/${org.id}`)).body.subscription).to.equal('guard');
    const enterprise = (await core.post('/api/orgs', { name: 'Big', plan: 'enterprise', admins: ['root@big.example'] })).body;
    expect(enterprise).to.include({ subscription: 'none', guard: 'included-in-enterprise-plan' });
    expect((await core.post(`/api/orgs/${enterprise.id}/directories`, { name: 'Entra' })).status).to.equal(201);
  });
});
