import { expect } from 'chai';
import { startCore, type TestCore } from '../support/core.ts';
import { entraUser, scimFixture, type ScimClient } from '../support/scim.ts';

describe('SCIM: Groups', () => {
  let core: TestCore;
  let scim: ScimClient;
  let users: Record<string, string>;
  let directoryPath: string;
  beforeEach(async () => {
    core = await startCore();
    const fixture = await scimFixture(core);
    scim = fixture.scim;
    directoryPath = `/api/orgs/${fixture.org.id}/directories/${fixture.directory.id}`;
    users = {};
    for (const name of ['alice', 'bob', 'carol']) users[name] = (await scim.createUser(entraUser(name))).body.id;
  });
  afterEach(() => core.close());

  const members = async (groupId: string) =>
    ((await scim.request('GET', `/Groups/${groupId}`)).body.members ?? []).map((m: { value: string }) => m.value).sort();
  const createGroup = async (displayName: string, memberIds: string[] = [], extra: object = {}) => {
    const response = await scim.request('POST', '/Groups', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      displayName,
      members: memberIds.map((value) => ({ value })),
      ...extra,
    });
    expect(response.status, JSON.stringify(response.body)).to.equal(201);
    return response.body;
  };

  it('creates a group with members and shows it, with meta and an ETag', async () => {
    const group = await createGroup('Engineering', [users.alice!, users.bob!], { externalId: 'grp-1' });
    expect(group).to.deep.include({ displayName: 'Engineering', externalId: 'grp-1' });
    expect(group.members).to.deep.equal([
      { value: users.alice, type: 'User', $ref: `http://${new URL(core.url).host}${scim.base}/Users/${users.alice}` },
      { value: users.bob, type: 'User', $ref: `http://${new URL(core.url).host}${scim.base}/Users/${users.bob}` },
    ]);
    expect(group.meta).to.deep.include({ resourceType: 'Group', version: 'W/"1"' });
    const alice = (await scim.request('GET', `/Users/${users.alice}`)).body;
    expect(alice.groups).to.deep.equal([
      { value: group.id, display: 'Engineering', $ref: `http://${new URL(core.url).host}${scim.base}/Groups/${group.id}`, type: 'direct' },
    ]);
  });

  it('refuses a duplicate name case-insensitively (409), unknown members and a missing name (400)', async () => {
    await createGroup('Engineering');
    const duplicate = await scim.request('POST', '/Groups', { displayName: 'ENGINEERING' });
    expect(duplicate.status).to.equal(409);
    expect(duplicate.body.scimType).to.equal('uniqueness');
    const unknown = await scim.request('POST', '/Groups', { displayName: 'Sales', members: [{ value: users.alice }, { value: 'ghost' }] });
    expect(unknown.status).to.equal(400);
    expect(unknown.body).to.include({ scimType: 'invalidValue' });
    expect(unknown.body.detail).to.include('ghost');
    const unnamed = await scim.request('POST', '/Groups', { members: [] });
    expect(unnamed.body).to.include({ status: '400', scimType: 'invalidValue' });
    expect((await scim.request('GET', '/Groups')).body.totalResults).to.equal(1);
  });

  it('adds, removes by value filter, removes by value list and replaces members with PATCH', async () => {
    const group = await createGroup('Engineering', [users.alice!]);
    await scim.patch(`/Groups/${group.id}`, [{ op: 'Add', path: 'members', value: [{ value: users.bob }, { value: users.carol }] }]);
    expect(await members(group.id)).to.deep.equal([users.alice, users.bob, users.carol].sort());
    await scim.patch(`/Groups/${group.id}`, [{ op: 'Remove', path: `members[value eq "${users.bob}"]` }]);
    expect(await members(group.id)).to.deep.equal([users.alice, users.carol].sort());
    // Entra's way: remove with a value list and no filter
    await scim.patch(`/Groups/${group.id}`, [{ op: 'Remove', path: 'members', value: [{ value: users.carol }] }]);
    expect(await members(group.id)).to.deep.equal([users.alice]);
    const replaced = await scim.patch(`/Groups/${group.id}`, [{ op: 'replace', path: 'members', value: [{ value: users.bob }] }]);
    expect(replaced.status).to.equal(200);
    expect(replaced.body.meta.version).to.equal('W/"5"');
    expect(await members(group.id)).to.deep.equal([users.bob]);
    await scim.patch(`/Groups/${group.id}`, [{ op: 'remove', path: 'members' }]);
    expect(await members(group.id)).to.deep.equal([]);
  });

  it('applies a group PATCH atomically: one bad operation and nothing changes', async () => {
    const group = await createGroup('Engineering', [users.alice!]);
    const bad = await scim.patch(`/Groups/${group.id}`, [
      { op: 'add', path: 'members', value: [{ value: users.bob }] },
      { op: 'add', path: 'members', value: [{ value: 'ghost' }] },
    ]);
    expect(bad.status).to.equal(400);
    expect(await members(group.id)).to.deep.equal([users.alice]);
    const noTarget = await scim.patch(`/Groups/${group.id}`, [
      { op: 'add', path: 'members', value: [{ value: users.bob }] },
      { op: 'remove', path: 'members[value eq "nobody"]' },
    ]);
    expect(noTarget.body.scimType).to.equal('noTarget');
    expect(await members(group.id)).to.deep.equal([users.alice]);
    const badPath = await scim.patch(`/Groups/${group.id}`, [{ op: 'replace', path: 'members[value eq "x"]', value: [] }]);
    expect(badPath.body.scimType).to.equal('invalidPath');
    const unknownAttr = await scim.patch(`/Groups/${group.id}`, [{ op: 'replace', path: 'owner', value: 'x' }]);
    expect(unknownAttr.body.scimType).to.equal('invalidPath');
  });

  it('refuses renaming a synced group (400 mutability), by PATCH or PUT, in atlassian fidelity as the vendor does', async () => {
    await core.patch(directoryPath, { scimFidelity: 'atlassian' });
    const group = await createGroup('Engineering', [users.alice!]);
    const patched = await scim.patch(`/Groups/${group.id}`, [{ op: 'Replace', path: 'displayName', value: 'R&D' }]);
    expect(patched.status).to.equal(400);
    expect(patched.body.scimType).to.equal('mutability');
    const noPath = await scim.patch(`/Groups/${group.id}`, [{ op: 'Replace', value: { displayName: 'R&D' } }]);
    expect(noPath.body.scimType).to.equal('mutability');
    const put = await scim.request('PUT', `/Groups/${group.id}`, { displayName: 'R&D', members: [] });
    expect(put.body.scimType).to.equal('mutability');
    expect((await scim.request('GET', `/Groups/${group.id}`)).body.displayName).to.equal('Engineering');
    // sending the same name (Entra does on every sync) is fine
    expect((await scim.patch(`/Groups/${group.id}`, [{ op: 'Replace', path: 'displayName', value: 'Engineering' }])).status).to.equal(200);
  });

  it('replaces members and externalId with PUT', async () => {
    const group = await createGroup('Engineering', [users.alice!, users.bob!]);
    const put = await scim.request('PUT', `/Groups/${group.id}`, {
      displayName: 'Engineering',
      externalId: 'x-1',
      members: [{ value: users.carol }, { value: users.bob }],
    });
    expect(put.status).to.equal(200);
    expect(put.body.externalId).to.equal('x-1');
    expect(await members(group.id)).to.deep.equal([users.bob, users.carol].sort());
  });

  it('stores nested groups as members without inheriting their members', async () => {
    const child = await createGroup('Backend', [users.alice!]);
    const parent = await createGroup('Engineering', [users.bob!]);
    await scim.patch(`/Groups/${parent.id}`, [{ op: 'add', path: 'members', value: [{ value: child.id, type: 'Group' }] }]);
    const shown = (await scim.request('GET', `/Groups/${parent.id}`)).body.members;
    expect(shown.map((m: { value: string; type: string }) => `${m.type}:${m.value}`)).to.have.members([`User:${users.bob}`, `Group:${child.id}`]);
    const selfMember = await scim.patch(`/Groups/${parent.id}`, [{ op: 'add', path: 'members', value: [{ value: parent.id }] }]);
    expect(selfMember.body.scimType).to.equal('invalidValue');
    const aliceGroups = (await scim.request('GET', `/Users/${users.alice}`)).body.groups.map((g: { display: string }) => g.display);
    expect(aliceGroups).to.deep.equal(['Backend']);
  });

  it('filters groups by displayName and members, and leaves members out on request', async () => {
    const eng = await createGroup('Engineering', [users.alice!]);
    await createGroup('Sales', [users.bob!]);
    const byName = (await scim.request('GET', `/Groups?filter=${encodeURIComponent('displayName eq "engineering"')}`)).body;
    expect(byName.Resources.map((g: { id: string }) => g.id)).to.deep.equal([eng.id]);
    const byMember = (await scim.request('GET', `/Groups?filter=${encodeURIComponent(`members[value eq "${users.bob}"]`)}`)).body;
    expect(byMember.Resources.map((g: { displayName: string }) => g.displayName)).to.deep.equal(['Sales']);
    const bare = (await scim.request('GET', '/Groups?excludedAttributes=members')).body.Resources;
    expect(bare.every((g: object) => !('members' in g))).to.equal(true);
    const single = (await scim.request('GET', `/Groups/${eng.id}?excludedAttributes=members`)).body;
    expect(single).not.to.have.property('members');
    const onlyName = (await scim.request('GET', `/Groups/${eng.id}?attributes=displayName`)).body;
    expect(onlyName).to.have.all.keys('id', 'schemas', 'displayName');
    expect((await scim.request('GET', '/Groups?filter=userName%20eq%20%22x%22')).body.scimType).to.equal('invalidFilter');
  });

  it('deletes a group: 404 afterwards, and users lose it', async () => {
    const group = await createGroup('Engineering', [users.alice!]);
    expect((await scim.request('DELETE', `/Groups/${group.id}`)).status).to.equal(204);
    expect((await scim.request('GET', `/Groups/${group.id}`)).status).to.equal(404);
    expect((await scim.request('GET', `/Users/${users.alice}`)).body).not.to.have.property('groups');
  });

  it('drops a deleted user from every group', async () => {
    const group = await createGroup('Engineering', [users.alice!, users.bob!]);
    await scim.request('DELETE', `/Users/${users.alice}`);
    expect(await members(group.id)).to.deep.equal([users.bob]);
  });
});
