import { expect } from 'chai';
import { startCore, type TestCore } from '../support/core.ts';
import { entraUser, scimClient, scimFixture, type ScimClient } from '../support/scim.ts';

// https://support.atlassian.com/provisioning-users/docs/understand-user-provisioning/:
// "we stop syncing new users after 150,000 ... you can only sync up to 35,000 users for each group".
describe('SCIM: the limits the product enforces', () => {
  let core: TestCore;
  let scim: ScimClient;
  let directoryUrl: string;
  const settle = (body: Record<string, unknown>) => core.patch(directoryUrl, body);
  const userCount = async () => (await scim.request('GET', '/Users?count=0')).body.totalResults as number;

  afterEach(() => core.close());

  describe('rate limiting on the injected clock', () => {
    beforeEach(async () => {
      core = await startCore();
      const fixture = await scimFixture(core);
      scim = fixture.scim;
      directoryUrl = `/api/orgs/${fixture.org.id}/directories/${fixture.directory.id}`;
    });

    it('rate-limited: a burst over the rate gets 429 with Retry-After, changes nothing, and the time the clock moves refills it', async () => {
      const set = await settle({ scimRateLimit: { requests: 3, perSeconds: 60 } });
      expect(set.status).to.equal(200);
      expect(set.body.scim.rateLimit).to.deep.equal({ requests: 3, perSeconds: 60 });
      for (const name of ['ann', 'ben', 'cat']) expect((await scim.createUser(entraUser(name))).status).to.equal(201);

      const refused = await scim.createUser(entraUser('dan'));
      expect(refused.status).to.equal(429);
      expect(refused.headers.get('retry-after')).to.equal('20');
      expect(refused.headers.get('content-type')).to.match(/^application\/scim\+json/);
      expect(refused.body).to.include({ status: '429' });
      expect(refused.body.detail).to.match(/^rate-limited: this directory takes 3 requests per 60 s; try again in 20 s\./);
      expect((await core.get('/api/accounts?email=dan@acme.com')).body).to.deep.equal([]);

      // A frozen clock refills nothing; 19 s is one second short.
      expect((await scim.request('GET', '/Users?count=0')).headers.get('retry-after')).to.equal('20');
      core.clock.advance(19_000);
      expect((await scim.request('GET', '/Users?count=0')).headers.get('retry-after')).to.equal('1');
      core.clock.advance(1_000);
      expect((await scim.createUser(entraUser('dan'))).status).to.equal(201);
      core.clock.advance(60_000);
      expect(await userCount()).to.equal(4);
    });

    it('rate-limited: atlassian fidelity has a default rate, rfc none; "off" and null choose', async () => {
      expect((await core.get(directoryUrl)).body.scim.rateLimit).to.equal(null);
      const atlassian = await settle({ scimFidelity: 'atlassian' });
      expect(atlassian.body.scim.rateLimit).to.deep.equal({ requests: 1000, perSeconds: 60 });
      const statuses = await Promise.all(Array.from({ length: 1001 }, () => scim.request('GET', '/ServiceProviderConfig').then((r) => r.status)));
      expect(statuses.filter((s) => s === 200)).to.have.length(1000);
      expect(statuses.filter((s) => s === 429)).to.have.length(1);

      expect((await settle({ scimRateLimit: 'off' })).body.scim.rateLimit).to.equal(null);
      expect((await scim.request('GET', '/ServiceProviderConfig')).status).to.equal(200);
      // Back to the fidelity's default, whose bucket is as empty as it was: time refills it.
      expect((await settle({ scimRateLimit: null })).body.scim.rateLimit).to.deep.equal({ requests: 1000, perSeconds: 60 });
      expect((await scim.request('GET', '/ServiceProviderConfig')).headers.get('retry-after')).to.equal('1');
      core.clock.advance(1_000);
      expect((await scim.request('GET', '/ServiceProviderConfig')).status).to.equal(200);
      expect((await core.get(directoryUrl)).body.scim).to.include({ fidelity: 'atlassian' });
    });

    it('rate-limited: a wrong token spends nothing, and each directory has its own bucket', async () => {
      await settle({ scimRateLimit: { requests: 1, perSeconds: 10 } });
      const stranger = scimClient(core, scim.directoryId, 'rhsc_not-the-token');
      for (let i = 0; i < 5; i += 1) expect((await stranger.request('GET', '/Users')).status).to.equal(401);
      expect((await scim.request('GET', '/Users')).status).to.equal(200);
      expect((await scim.request('GET', '/Users')).status).to.equal(429);

      const other = await startCore();
      try {
        const second = await scimFixture(other);
        expect((await second.scim.request('GET', '/Users')).status).to.equal(200);
      } finally {
        await other.close();
      }
      const orgId = directoryUrl.split('/')[3]!;
      expect((await core.patch(`/api/orgs/${orgId}`, { plan: 'enterprise' })).status).to.equal(200);
      const okta = (await core.post(`/api/orgs/${orgId}/directories`, { name: 'Okta' })).body;
      expect((await scimClient(core, okta.id, okta.scim.token).request('GET', '/Users')).status).to.equal(200);
    });

    it('refuses a malformed rate limit with 400 and keeps the one it had', async () => {
      await settle({ scimRateLimit: { requests: 5, perSeconds: 60 } });
      for (const body of [
        {},
        { scimRateLimit: { requests: 0, perSeconds: 60 } },
        { scimRateLimit: { requests: 5 } },
        { scimRateLimit: { requests: 5, perSeconds: 60, burst: 9 } },
        { scimRateLimit: { requests: 1.5, perSeconds: 60 } },
        { scimRateLimit: { requests: '5', perSeconds: 60 } },
        { scimRateLimit: { requests: 5, perSeconds: 90_000 } },
        { scimRateLimit: 'on' },
      ]) {
        const answer = await settle(body);
        expect(answer.status, JSON.stringify(body)).to.equal(400);
        expect(answer.body.error.code).to.be.a('string');
      }
      expect((await core.get(directoryUrl)).body.scim.rateLimit).to.deep.equal({ requests: 5, perSeconds: 60 });
    });
  });

  describe('directory and group sizes in atlassian fidelity', () => {
    let groupId: string;
    beforeEach(async () => {
      core = await startCore({ scimLimits: { usersPerDirectory: 3, membersPerGroup: 2 } });
      const fixture = await scimFixture(core);
      scim = fixture.scim;
      directoryUrl = `/api/orgs/${fixture.org.id}/directories/${fixture.directory.id}`;
      await settle({ scimFidelity: 'atlassian' });
      for (const name of ['ann', 'ben', 'cat']) expect((await scim.createUser(entraUser(name))).status).to.equal(201);
      groupId = (await scim.request('POST', '/Groups', { displayName: 'Engineering' })).body.id;
    });

    const idOf = async (name: string) =>
      (await scim.request('GET', `/Users?filter=${encodeURIComponent(`userName eq "${name}@acme.com"`)}`)).body.Resources[0].id as string;
    const membersOf = async (id: string) => ((await scim.request('GET', `/Groups/${id}`)).body.members ?? []).map((m: { value: string }) => m.value).sort();

    it('directory-user-limit: a new user past the limit gets 400 and lands nowhere; the others still update', async () => {
      expect((await core.get(directoryUrl)).body.scim.limits).to.deep.equal({ usersPerDirectory: 3, membersPerGroup: 2 });
      const refused = await scim.createUser(entraUser('dan'));
      expect(refused.status).to.equal(400);
      expect(refused.body.detail).to.match(/^directory-user-limit: /);
      expect(await userCount()).to.equal(3);
      expect((await core.get('/api/accounts?email=dan@acme.com')).body).to.deep.equal([]);
      const patched = await scim.patch(`/Users/${await idOf('ann')}`, [{ op: 'replace', path: 'title', value: 'Lead' }]);
      expect(patched.status).to.equal(200);
      // Deleting one makes room again.
      expect((await scim.request('DELETE', `/Users/${await idOf('cat')}`)).status).to.equal(204);
      expect((await scim.createUser(entraUser('dan'))).status).to.equal(201);
    });

    it('group-member-limit: POST, PUT and PATCH past the limit get 400 and leave the members as they were', async () => {
      const [ann, ben, cat] = [await idOf('ann'), await idOf('ben'), await idOf('cat')];
      const created = await scim.request('POST', '/Groups', { displayName: 'Everyone', members: [{ value: ann }, { value: ben }, { value: cat }] });
      expect(created.status).to.equal(400);
      expect(created.body.detail).to.match(/^group-member-limit: group Everyone would have 3 users/);
      expect((await scim.request('GET', `/Groups?filter=${encodeURIComponent('displayName eq "Everyone"')}`)).body.totalResults).to.equal(0);

      expect((await scim.patch(`/Groups/${groupId}`, [{ op: 'add', path: 'members', value: [{ value: ann }, { value: ben }] }])).status).to.equal(200);
      const patched = await scim.patch(`/Groups/${groupId}`, [{ op: 'add', path: 'members', value: [{ value: cat }] }]);
      expect(patched.status).to.equal(400);
      expect(patched.body.detail).to.match(/^group-member-limit: /);
      const replaced = await scim.request('PUT', `/Groups/${groupId}`, {
        displayName: 'Engineering',
        members: [{ value: ann }, { value: ben }, { value: cat }],
      });
      expect(replaced.status).to.equal(400);
      expect(await membersOf(groupId)).to.deep.equal([ann, ben].sort());
      // Swapping one member for another stays within the limit.
      expect(
        (
          await scim.patch(`/Groups/${groupId}`, [
            { op: 'remove', path: `members[value eq "${ben}"]` },
            { op: 'add', path: 'members', value: [{ value: cat }] },
          ])
        ).status,
      ).to.equal(200);
      expect(await membersOf(groupId)).to.deep.equal([ann, cat].sort());
    });

    it('rfc fidelity enforces no size limit', async () => {
      await settle({ scimFidelity: 'rfc' });
      expect((await core.get(directoryUrl)).body.scim.limits).to.equal(null);
      expect((await scim.createUser(entraUser('dan'))).status).to.equal(201);
      const members = await Promise.all(['ann', 'ben', 'cat', 'dan'].map(async (n) => ({ value: await idOf(n) })));
      expect((await scim.request('POST', '/Groups', { displayName: 'Everyone', members })).status).to.equal(201);
    });
  });
});
