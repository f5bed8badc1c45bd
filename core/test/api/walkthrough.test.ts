import { expect } from 'chai';
import { HARNESS_KEY, GATEWAY_KEY, startCore, testCertificate, type TestCore } from '../support/core.ts';

/**
 * The "done when": an organization from creation through domain
 * verification (harness DNS), account claiming, policy rules, the rollout preview
 * and the seed billing example, all over HTTP against a real SQLite file.
 */
describe('walkthrough: from a new organization to a previewed SSO rollout', function () {
  this.timeout(120_000);
  let core: TestCore;
  before(async () => (core = await startCore()));
  after(() => core.close());

  it('walks the whole model', async () => {
    // 1. an organization and its people (some exist before the domain is claimed)
    const org = (await core.post('/api/orgs', { name: 'Acme', plan: 'enterprise', admins: ['root@acme.com'] })).body;
    for (const email of ['alice@acme.com', 'bob@acme.com', 'guest@partner.example']) {
      expect((await core.post('/api/accounts', { email, password: `${email}-passphrase` })).status).to.equal(201);
    }

    // 2. verify acme.com through the harness DNS: accounts on it are claimed
    const domain = (await core.post(`/api/orgs/${org.id}/domains`, { name: 'acme.com' })).body;
    await core.post('/_rehearsal/dns', { domain: 'acme.com', txt: domain.verification.dns.value }, { key: HARNESS_KEY });
    const verified = (await core.post(`/api/orgs/${org.id}/domains/${domain.id}/verify`, { method: 'dns' })).body;
    expect(verified.claimedAccounts).to.equal(3);
    expect((await core.get(`/api/orgs/${org.id}/accounts`)).body.total).to.equal(3);

    // 3. connect an IdP and draft an SSO pilot policy; the rules hold
    const idp = (await core.post(`/api/orgs/${org.id}/directories`, { name: 'Entra ID' })).body;
    await core.put(`/api/orgs/${org.id}/directories/${idp.id}/saml`, {
      idpEntityId: 'http://localhost:7000/saml/metadata',
      ssoUrl: 'http://localhost:7000/saml/sso',
      certificate: await testCertificate(),
    });
    await core.put(`/api/orgs/${org.id}/domains/${domain.id}/directory`, { directoryId: idp.id });
    expect((await core.post(`/api/orgs/${org.id}/policies`, { name: 'Pilot', sso: 'enforced' })).body.error.code).to.equal('sso-requires-idp-directory');
    const pilot = (await core.post(`/api/orgs/${org.id}/policies`, { name: 'Pilot', directoryId: idp.id, sso: 'enforced', idleMinutes: 60 })).body;

    // 4. preview the pilot: alice moves to SSO; moving root too would lose the break-glass path
    const preview = (
      await core.post(`/api/orgs/${org.id}/policies/${pilot.id}/preview`, { addMembers: ['alice@acme.com', 'root@acme.com', 'guest@partner.example'] })
    ).body;
    const alice = preview.accounts.find((a: { email: string }) => a.email === 'alice@acme.com');
    expect(alice.after).to.deep.include({ method: 'sso', nextLogin: 'sso' });
    expect(preview.warnings.map((w: { code: string }) => w.code)).to.deep.equal(['last-admin-loses-password-path']);
    expect(preview.refused.map((r: { code: string }) => r.code)).to.deep.equal(['account-not-managed']);

    // 5. roll out to alice only; the gateway's decision follows
    await core.post(`/api/orgs/${org.id}/policies/${pilot.id}/members`, { emails: ['alice@acme.com'] });
    const decision = (await core.post('/api/login/decision', { email: 'alice@acme.com' }, { key: GATEWAY_KEY })).body;
    expect(decision).to.deep.include({ method: 'sso', reason: 'policy-sso-enforced' });
    expect(decision.session.idleMinutes).to.equal(60);
    expect((await core.post('/api/login/decision', { email: 'bob@acme.com' }, { key: GATEWAY_KEY })).body.reason).to.equal('policy-password');
  });

  it('bills the seed example: 10,000 users, 8,000 with Enterprise licenses -> 2,000 billed', async () => {
    await core.post('/_rehearsal/reset', undefined, { key: HARNESS_KEY });
    const org = (await core.post('/api/orgs', { name: 'Seed', plan: 'enterprise', admins: ['admin@seed.example'] })).body;
    const domain = (await core.post(`/api/orgs/${org.id}/domains`, { name: 'seed.example' })).body;
    await core.post('/_rehearsal/dns', { domain: 'seed.example', txt: domain.verification.dns.value }, { key: HARNESS_KEY });
    await core.post(`/api/orgs/${org.id}/domains/${domain.id}/verify`, { method: 'dns' });

    const emails = Array.from({ length: 10_000 }, (_, i) => `user${String(i).padStart(5, '0')}@seed.example`);
    for (let i = 0; i < emails.length; i += 5000) {
      expect((await core.post('/api/accounts/batch', { accounts: emails.slice(i, i + 5000).map((email) => ({ email })) })).status).to.equal(201);
    }
    // everyone uses Jira Software on the standard plan...
    await core.put(`/api/orgs/${org.id}/products/jira-software`, { plan: 'standard' });
    expect((await core.post(`/api/orgs/${org.id}/products/jira-software/access`, { emails })).body.granted).to.equal(10_000);
    // ...and 8,000 of them hold Trello Enterprise licenses, which include Access
    const licensed = emails.slice(0, 8000);
    const enterprise = (await core.post('/api/trello/enterprises', { name: 'Seed Trello', admins: ['admin@seed.example'] })).body;
    await core.post(`/api/trello/enterprises/${enterprise.id}/link`, { orgId: org.id, actorEmail: 'admin@seed.example' });
    expect((await core.post('/api/trello/accounts/batch', { emails: licensed })).body.created).to.equal(8000);
    expect((await core.post(`/api/trello/enterprises/${enterprise.id}/licenses`, { emails: licensed })).body.licensed).to.equal(8000);

    const billing = (await core.get(`/api/orgs/${org.id}/billing`)).body;
    expect(billing.billableCount).to.equal(2000);
    // the admin has a Trello account (as enterprise admin) but no workspace and no product
    expect(billing.byReason).to.deep.equal({ 'billable-product-access': 2000, 'covered-by-enterprise-plan': 8000, 'trello-no-workspace': 1 });
    expect(billing.estimate.monthly).to.equal(3250);
    const sample = billing.accounts.find((a: { email: string }) => a.email === 'user09999@seed.example');
    expect(sample).to.deep.include({ billable: true, reason: 'billable-product-access', products: ['jira-software'] });
  });
});
