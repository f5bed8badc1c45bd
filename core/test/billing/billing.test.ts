import { expect } from 'chai';
import { monthlyEstimateUsd } from '../../src/billing/billing.ts';
import { GATEWAY_KEY, orgWithVerifiedDomain, startCore, type TestCore } from '../support/core.ts';

describe('billing (GET /api/orgs/{orgId}/billing)', () => {
  let core: TestCore;
  let orgId: string;
  beforeEach(async () => {
    core = await startCore();
    orgId = (await orgWithVerifiedDomain(core, { domain: 'acme.com', admins: ['root@acme.com'] })).org.id;
  });
  afterEach(() => core.close());

  const report = async () => (await core.get(`/api/orgs/${orgId}/billing`)).body;
  const verdict = async (email: string) => (await report()).accounts.find((a: { email: string }) => a.email === email);
  const enable = (product: string, plan = 'standard') => core.put(`/api/orgs/${orgId}/products/${product}`, { plan });
  const grant = (product: string, ...emails: string[]) => core.post(`/api/orgs/${orgId}/products/${product}/access`, { emails });
  const account = (email: string, extra: object = {}) => core.post('/api/accounts', { email, ...extra });

  it('bills an active managed account with product access once, whatever the number of products', async () => {
    await account('alice@acme.com');
    await enable('jira-software');
    await enable('confluence');
    await grant('jira-software', 'alice@acme.com');
    await grant('confluence', 'alice@acme.com');
    const alice = await verdict('alice@acme.com');
    expect(alice).to.deep.include({ billable: true, reason: 'billable-product-access' });
    expect(alice.products).to.have.members(['jira-software', 'confluence']);
    const all = await report();
    expect(all.billableCount).to.equal(1);
    expect(all.estimate).to.deep.include({ currency: 'USD', monthly: 3 });
  });

  it('counts free plans', async () => {
    await account('alice@acme.com');
    await enable('bitbucket', 'free');
    await grant('bitbucket', 'alice@acme.com');
    expect(await verdict('alice@acme.com')).to.deep.include({ billable: true, products: ['bitbucket'] });
  });

  it('does not bill accounts without product access, nor JSM portal customers', async () => {
    await account('idle@acme.com');
    await account('customer@acme.com');
    await enable('jsm-customer');
    await grant('jsm-customer', 'customer@acme.com');
    expect(await verdict('idle@acme.com')).to.deep.include({ billable: false, reason: 'no-product-access' });
    expect(await verdict('customer@acme.com')).to.deep.include({ billable: false, reason: 'jsm-customer-only' });
  });

  it('does not bill unmanaged users, deactivated accounts or members of a non-billable policy', async () => {
    await enable('confluence');
    await account('guest@partner.example');
    const gone = (await account('gone@acme.com')).body;
    await account('portal@acme.com');
    await grant('confluence', 'guest@partner.example', 'gone@acme.com', 'portal@acme.com');
    await core.post(`/api/accounts/${gone.id}/deactivate`);
    const portal = (await core.post(`/api/orgs/${orgId}/policies`, { name: 'Portal', billable: false })).body;
    await core.post(`/api/orgs/${orgId}/policies/${portal.id}/members`, { emails: ['portal@acme.com'] });
    expect(await verdict('guest@partner.example')).to.deep.include({ billable: false, reason: 'not-managed' });
    expect(await verdict('gone@acme.com')).to.deep.include({ billable: false, reason: 'account-deactivated' });
    expect(await verdict('portal@acme.com')).to.deep.include({ billable: false, reason: 'non-billable-policy' });
    expect((await report()).billableCount).to.equal(0);
  });

  it('does not bill accounts covered by an Enterprise plan', async () => {
    await account('alice@acme.com');
    await enable('jira-software', 'enterprise');
    await enable('confluence', 'standard');
    await grant('jira-software', 'alice@acme.com');
    await grant('confluence', 'alice@acme.com');
    expect(await verdict('alice@acme.com')).to.deep.include({ billable: false, reason: 'covered-by-enterprise-plan', products: ['jira-software'] });
  });

  describe('Trello', () => {
    const trelloAccount = (email: string) => core.post('/api/trello/accounts', { email });
    const workspace = async (plan: string, enterpriseId?: string) =>
      (await core.post('/api/trello/workspaces', { name: `${plan} ws`, plan, ...(enterpriseId ? { enterpriseId } : {}) })).body.id as string;

    it('bills a free Trello user in a workspace, not one in no workspace', async () => {
      await trelloAccount('member@acme.com');
      await trelloAccount('loner@acme.com');
      const ws = await workspace('free');
      await core.post(`/api/trello/workspaces/${ws}/members`, { emails: ['member@acme.com'] });
      expect(await verdict('member@acme.com')).to.deep.include({ billable: true, products: ['trello'] });
      expect(await verdict('loner@acme.com')).to.deep.include({ billable: false, reason: 'trello-no-workspace' });
    });

    it('does not bill Trello Enterprise users (license or Enterprise workspace)', async () => {
      await trelloAccount('licensed@acme.com');
      await trelloAccount('insider@acme.com');
      const enterprise = (await core.post('/api/trello/enterprises', { name: 'Acme Trello', admins: ['root@acme.com'] })).body;
      await core.post(`/api/trello/enterprises/${enterprise.id}/licenses`, { emails: ['licensed@acme.com'] });
      const ws = await workspace('enterprise', enterprise.id);
      await core.post(`/api/trello/workspaces/${ws}/members`, { emails: ['insider@acme.com'] });
      expect(await verdict('licensed@acme.com')).to.deep.include({ billable: false, reason: 'covered-by-enterprise-plan', products: ['trello'] });
      expect(await verdict('insider@acme.com')).to.deep.include({ billable: false, reason: 'covered-by-enterprise-plan' });
    });

    it('bills a SCIM-created Trello account from its first login only', async () => {
      const scim = (await account('synced@acme.com', { origin: 'scim' })).body;
      // SCIM provisioning creates the Trello account with origin scim; arrange that state in the store.
      await core.store.transaction((tx) => tx.insertTrelloAccount({ accountId: scim.id, active: true, origin: 'scim', createdAt: '2026-11-23T09:00:00.000Z' }));
      expect(await verdict('synced@acme.com')).to.deep.include({ billable: false, reason: 'trello-awaiting-first-login' });
      await core.post('/api/login/record', { email: 'synced@acme.com', method: 'sso' }, { key: GATEWAY_KEY });
      expect(await verdict('synced@acme.com')).to.deep.include({ billable: true, products: ['trello'] });
    });

    it('stops billing a deactivated Trello account', async () => {
      const member = (await trelloAccount('member@acme.com')).body;
      const ws = await workspace('standard');
      await core.post(`/api/trello/workspaces/${ws}/members`, { emails: ['member@acme.com'] });
      await core.post(`/api/trello/accounts/${member.accountId}/deactivate`);
      expect(await verdict('member@acme.com')).to.deep.include({ billable: false, reason: 'no-product-access' });
    });
  });

  it('estimates with the historic price points', () => {
    expect(monthlyEstimateUsd(0)).to.equal(0);
    expect(monthlyEstimateUsd(250)).to.equal(750);
    expect(monthlyEstimateUsd(251)).to.equal(752);
    expect(monthlyEstimateUsd(1000)).to.equal(2250);
    expect(monthlyEstimateUsd(2000)).to.equal(3250);
  });

  it('can leave the per-account list out', async () => {
    const summary = (await core.get(`/api/orgs/${orgId}/billing?accounts=false`)).body;
    expect(summary).not.to.have.property('accounts');
    expect(summary).to.have.property('billableCount');
    expect((await core.get(`/api/orgs/${orgId}/billing?accounts=maybe`)).status).to.equal(400);
  });
});
