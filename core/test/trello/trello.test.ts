import { expect } from 'chai';
import { orgWithVerifiedDomain, startCore, type TestCore } from '../support/core.ts';

describe('api: Trello Enterprise', () => {
  let core: TestCore;
  let orgId: string;
  let enterpriseId: string;
  beforeEach(async () => {
    core = await startCore();
    orgId = (await orgWithVerifiedDomain(core, { name: 'Acme Corporation', domain: 'acme.com', admins: ['root@acme.com'] })).org.id;
    enterpriseId = (await core.post('/api/trello/enterprises', { name: 'Acme Boards', admins: ['root@acme.com', 'trello-only@acme.com'] })).body.id;
  });
  afterEach(() => core.close());

  const link = (actorEmail: string) => core.post(`/api/trello/enterprises/${enterpriseId}/link`, { orgId, actorEmail });

  it('links only for someone who administers both; the enterprise then takes the organization name', async () => {
    const refused = await link('trello-only@acme.com');
    expect(refused.status).to.equal(403);
    expect(refused.body.error.code).to.equal('not-admin-of-both');
    expect(refused.body.error.details[0].message).to.equal('organization admin: false; enterprise admin: true');
    expect((await core.get(`/api/trello/enterprises/${enterpriseId}`)).body).to.include({ orgId: null, name: 'Acme Boards' });
    const linked = await link('root@acme.com');
    expect(linked.status).to.equal(200);
    expect(linked.body).to.include({ orgId, name: 'Acme Corporation', linkedAt: '2026-11-23T09:00:00.000Z' });
    await core.patch(`/api/orgs/${orgId}`, { name: 'Acme Group' });
    expect((await core.get(`/api/trello/enterprises/${enterpriseId}`)).body.name).to.equal('Acme Group');
  });

  it('refuses a second link either way (409)', async () => {
    await link('root@acme.com');
    const other = (await core.post('/api/trello/enterprises', { name: 'Second', admins: ['root@acme.com'] })).body.id;
    const second = await core.post(`/api/trello/enterprises/${other}/link`, { orgId, actorEmail: 'root@acme.com' });
    expect(second.status).to.equal(409);
    expect(second.body.error.code).to.equal('org-already-linked');
    const otherOrg = (await core.post('/api/orgs', { name: 'Other', admins: ['root@acme.com'] })).body.id;
    const relink = await core.post(`/api/trello/enterprises/${enterpriseId}/link`, { orgId: otherOrg, actorEmail: 'root@acme.com' });
    expect(relink.status).to.equal(409);
    expect(relink.body.error.code).to.equal('enterprise-already-linked');
  });

  it('manages members on claimed domains; others stay unmanaged but keep their workspaces', async () => {
    await link('root@acme.com');
    await core.post('/api/trello/accounts', { email: 'alice@acme.com' });
    await core.post('/api/trello/accounts', { email: 'contractor@partner.example' });
    const ws = (await core.post('/api/trello/workspaces', { name: 'Eng', plan: 'enterprise', enterpriseId })).body.id;
    await core.post(`/api/trello/workspaces/${ws}/members`, { emails: ['alice@acme.com', 'contractor@partner.example'] });
    await core.post(`/api/trello/enterprises/${enterpriseId}/licenses`, { emails: ['contractor@partner.example'] });
    const members = (await core.get(`/api/trello/enterprises/${enterpriseId}/members`)).body;
    const byEmail = Object.fromEntries(members.members.map((m: { email: string }) => [m.email, m]));
    expect(byEmail['alice@acme.com']).to.deep.include({
      managed: true,
      managedReason: 'email-on-claimed-domain',
      usesSeat: true,
      seatReason: 'enterprise-workspace-member',
    });
    expect(byEmail['contractor@partner.example']).to.deep.include({
      managed: false,
      managedReason: 'email-on-unclaimed-domain',
      usesSeat: true,
      seatReason: 'enterprise-license',
      workspaceIds: [ws],
    });
    expect(byEmail['trello-only@acme.com']).to.deep.include({ managed: true, usesSeat: false, seatReason: 'no-license-or-enterprise-workspace' });
    expect(members.seatsUsed).to.equal(2);
  });

  it('lets free managed members see Organization-visible boards, and not outsiders', async () => {
    await link('root@acme.com');
    const alice = (await core.post('/api/trello/accounts', { email: 'alice@acme.com' })).body;
    const outsider = (await core.post('/api/trello/accounts', { email: 'x@partner.example' })).body;
    const ws = (await core.post('/api/trello/workspaces', { name: 'Eng', plan: 'enterprise', enterpriseId })).body.id;
    for (const visibility of ['private', 'workspace', 'organization', 'public']) {
      await core.post(`/api/trello/workspaces/${ws}/boards`, { name: `${visibility} board`, visibility });
    }
    const aliceBoards = (await core.get(`/api/trello/enterprises/${enterpriseId}/boards/${alice.accountId}`)).body;
    expect(aliceBoards.managed).to.equal(true);
    expect(aliceBoards.boards.map((b: { name: string; access: string }) => `${b.name}:${b.access}`)).to.have.members([
      'organization board:organization-visible',
      'public board:public',
    ]);
    const outsiderBoards = (await core.get(`/api/trello/enterprises/${enterpriseId}/boards/${outsider.accountId}`)).body;
    expect(outsiderBoards.boards.map((b: { name: string }) => b.name)).to.deep.equal(['public board']);
    await core.post(`/api/trello/workspaces/${ws}/members`, { emails: ['x@partner.example'] });
    const asMember = (await core.get(`/api/trello/enterprises/${enterpriseId}/boards/${outsider.accountId}`)).body;
    expect(asMember.boards.map((b: { name: string }) => b.name)).to.have.members(['workspace board', 'organization board', 'public board']);
  });

  it('deactivating the account deactivates Trello, not the reverse', async () => {
    const alice = (await core.post('/api/trello/accounts', { email: 'alice@acme.com' })).body;
    const trelloOff = (await core.post(`/api/trello/accounts/${alice.accountId}/deactivate`)).body;
    expect(trelloOff).to.deep.include({ accountActive: true });
    expect(trelloOff.trello.active).to.equal(false);
    expect((await core.get(`/api/accounts/${alice.accountId}`)).body.active).to.equal(true);
    await core.post(`/api/trello/accounts/${alice.accountId}/activate`);
    await core.post(`/api/accounts/${alice.accountId}/deactivate`);
    const boards = (await core.get(`/api/trello/enterprises/${enterpriseId}/boards/${alice.accountId}`)).body;
    expect(boards.reason).to.equal('trello-account-deactivated');
  });

  it('refuses workspace plans that do not match the enterprise, unknown ids and non-Trello accounts', async () => {
    const mismatch = await core.post('/api/trello/workspaces', { name: 'X', plan: 'enterprise' });
    expect(mismatch.status).to.equal(422);
    expect(mismatch.body.error.code).to.equal('workspace-plan-mismatch');
    const inverse = await core.post('/api/trello/workspaces', { name: 'X', plan: 'free', enterpriseId });
    expect(inverse.body.error.code).to.equal('workspace-plan-mismatch');
    expect((await core.get('/api/trello/enterprises/nope')).body.error.code).to.equal('enterprise-not-found');
    expect((await core.post('/api/trello/workspaces/nope/boards', { name: 'b', visibility: 'public' })).body.error.code).to.equal('workspace-not-found');
    await core.post('/api/accounts', { email: 'jira-only@acme.com' });
    const ws = (await core.post('/api/trello/workspaces', { name: 'Free', plan: 'free' })).body.id;
    const notTrello = await core.post(`/api/trello/workspaces/${ws}/members`, { emails: ['jira-only@acme.com'] });
    expect(notTrello.status).to.equal(422);
    expect(notTrello.body.error.code).to.equal('trello-account-not-found');
    const badVisibility = await core.post(`/api/trello/workspaces/${ws}/boards`, { name: 'b', visibility: 'secret' });
    expect(badVisibility.status).to.equal(400);
    const first = await core.post('/api/trello/accounts', { email: 'alice@acme.com' });
    expect(first.status).to.equal(201);
    expect((await core.post('/api/trello/accounts', { email: 'alice@acme.com' })).body.error.code).to.equal('trello-account-exists');
    const batch = await core.post('/api/trello/accounts/batch', { emails: ['new@acme.com', 'alice@acme.com'] });
    expect(batch.status).to.equal(409);
    expect((await core.get('/api/accounts?email=new@acme.com')).body).to.deep.equal([]);
  });
});
