import { expect } from 'chai';
import { orgWithVerifiedDomain } from '../support/core.ts';
import { entraUser, startScimCore, type ScimClient } from '../support/scim.ts';
import type { TestCore } from '../support/core.ts';

/** Issue 14's routes (drift, rollout, SCIM settings) reach only what belongs to the organization in their path. */
describe("api: issue 14's routes stay inside the organization in their path", () => {
  let core: TestCore, scim: ScimClient, orgId: string, directoryId: string;
  let other: { orgId: string; directoryId: string; policyId: string };
  beforeEach(async () => {
    ({ core, scim, orgId, directoryId } = await startScimCore());
    expect((await scim.createUser(entraUser('alice'))).status).to.equal(201);
    const { org } = await orgWithVerifiedDomain(core, { name: 'Globex', domain: 'globex.com' });
    const directory = (await core.post(`/api/orgs/${org.id}/directories`, { name: 'Okta' })).body;
    const policy = (await core.post(`/api/orgs/${org.id}/policies`, { name: 'Pilot', directoryId: directory.id })).body;
    other = { orgId: org.id, directoryId: directory.id, policyId: policy.id };
  });
  afterEach(() => core.close());

  it("another organization's directory: its drift and its SCIM settings are 404 directory-not-found, and nothing changes", async () => {
    const drift = await core.get(`/api/orgs/${other.orgId}/directories/${directoryId}/drift`);
    expect([drift.status, drift.body.error.code]).to.deep.equal([404, 'directory-not-found']);
    const patched = await core.patch(`/api/orgs/${other.orgId}/directories/${directoryId}`, {
      scimFidelity: 'atlassian',
      scimRateLimit: { requests: 1, perSeconds: 60 },
    });
    expect([patched.status, patched.body.error.code]).to.deep.equal([404, 'directory-not-found']);
    expect((await core.get(`/api/orgs/${orgId}/directories/${directoryId}`)).body.scim).to.include({ fidelity: 'rfc', rateLimit: null });
    expect((await scim.request('GET', '/Users')).status).to.equal(200);
  });

  it("another organization's policy: its preview and its rollout are 404 policy-not-found, and nobody moves", async () => {
    for (const action of ['preview', 'rollout']) {
      const answer = await core.post(`/api/orgs/${orgId}/policies/${other.policyId}/${action}`, { addMembers: ['alice@acme.com'] });
      expect([answer.status, answer.body.error.code], action).to.deep.equal([404, 'policy-not-found']);
    }
    expect((await core.get(`/api/orgs/${other.orgId}/policies/${other.policyId}/members`)).body.total).to.equal(0);
    const alice = (await core.get('/api/accounts?email=alice@acme.com')).body[0];
    expect(alice.policyId).to.equal((await core.get(`/api/orgs/${orgId}/directories/${directoryId}`)).body.defaultPolicyId);
  });
});
