import { expect } from 'chai';
import { addTarget, flakyProxy, runCycle, startCoreTarget, wireOf, type CoreTarget, type Interception } from './support/core-target.ts';
import { startIdp, type TestIdp } from './support/idp.ts';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

describe('mock-idp: SCIM provisioning into core', function () {
  this.timeout(30_000);
  let idp: TestIdp;
  let core: CoreTarget;
  beforeEach(async () => {
    [idp, core] = await Promise.all([startIdp(), startCoreTarget()]);
  });
  afterEach(async () => {
    await Promise.all([idp.close(), core.close()]);
  });

  const coreUser = async (userName: string) =>
    (await core.scim.request('GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`)).body.Resources[0];
  const coreGroup = async (name: string) =>
    (await core.scim.request('GET', `/Groups?filter=${encodeURIComponent(`displayName eq "${name}"`)}`)).body.Resources[0];
  const memberNames = async (name: string) => {
    const group = await coreGroup(name);
    const ids = ((group?.members ?? []) as { value: string }[]).map((m) => m.value);
    const names = await Promise.all(ids.map(async (id) => (await core.scim.request('GET', `/Users/${id}`)).body.userName));
    return names.sort();
  };
  const patchIdpUser = (user: string, changes: Record<string, unknown>) => idp.request('PATCH', `/api/users/${user}`, changes);

  describe('the entra profile on the wire', () => {
    it('initial cycle: matches on userName then externalId, creates with POST, groups with POST then PATCH Add members', async () => {
      await addTarget(idp, core);
      const cycle = await runCycle(idp, 'initial');
      expect(cycle).to.include({ status: 'succeeded', total: 5, done: 5, reads: 7, writes: 7 });
      expect(cycle.counts).to.deep.equal({ 'users.create': 2, 'groups.create': 3 });
      const alice = (await idp.request('GET', '/api/users/alice@acme.com')).body;
      const wire = await wireOf(idp, cycle.id);
      const aliceId = (await coreUser('alice@acme.com')).id;
      expect(wire.map((w) => w.request)).to.deep.equal([
        'GET /Users?filter=userName eq "alice@acme.com"',
        `GET /Users?filter=externalId eq "${alice.id}"`,
        'GET /Users?filter=userName eq "bob@acme.com"',
        `GET /Users?filter=externalId eq "${(await idp.request('GET', '/api/users/bob@acme.com')).body.id}"`,
        'GET /Groups?filter=displayName eq "engineering"&excludedAttributes=members',
        'GET /Groups?filter=displayName eq "sales"&excludedAttributes=members',
        'GET /Groups?filter=displayName eq "everyone"&excludedAttributes=members',
        'POST /Users',
        'POST /Users',
        'POST /Groups',
        `PATCH /Groups/${(await coreGroup('engineering')).id}`,
        'POST /Groups',
        `PATCH /Groups/${(await coreGroup('sales')).id}`,
        'POST /Groups',
      ]);
      expect(wire[7]!.body).to.deep.equal({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE],
        userName: 'alice@acme.com',
        active: true,
        displayName: 'Alice Liddell',
        title: 'Engineer',
        emails: [{ type: 'work', primary: true, value: 'alice@acme.com' }],
        name: { givenName: 'Alice', familyName: 'Liddell' },
        externalId: alice.id,
        [ENTERPRISE]: { department: 'Engineering' },
      });
      expect(wire[9]!.body).to.deep.equal({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
        externalId: (await idp.request('GET', '/api/groups/engineering')).body.id,
        displayName: 'engineering',
        members: [],
      });
      expect(wire[10]!.body).to.deep.equal({ schemas: [PATCH_OP], Operations: [{ op: 'Add', path: 'members', value: [{ value: aliceId }] }] });
      // Nested groups are not inherited: "everyone" holds engineering and sales, but no users.
      expect(await memberNames('everyone')).to.deep.equal([]);
      expect(await memberNames('engineering')).to.deep.equal(['alice@acme.com']);
      expect((await coreUser('alice@acme.com'))[ENTERPRISE].department).to.equal('Engineering');
    });

    it('incremental cycles: PATCH with Replace/Add/Remove for what changed, active=false to deprovision, nothing when nothing changed', async () => {
      await addTarget(idp, core);
      await runCycle(idp, 'initial');
      const aliceId = (await coreUser('alice@acme.com')).id;

      const unchanged = await runCycle(idp, 'incremental');
      expect(unchanged).to.include({ status: 'succeeded', reads: 0, writes: 0 });
      const again = await runCycle(idp, 'initial');
      expect(again.writes, 'an initial cycle over an unchanged directory writes nothing').to.equal(0);

      await patchIdpUser('alice@acme.com', { department: 'Research', jobTitle: null, employeeId: 'E-1' });
      const changed = await runCycle(idp, 'incremental');
      const wire = await wireOf(idp, changed.id);
      expect(wire.map((w) => w.request)).to.deep.equal([`GET /Users/${aliceId}`, `PATCH /Users/${aliceId}`]);
      expect(wire[1]!.body).to.deep.equal({
        schemas: [PATCH_OP],
        Operations: [
          { op: 'Remove', path: 'title' },
          { op: 'Replace', path: `${ENTERPRISE}:department`, value: 'Research' },
        ],
      });
      const landed = await coreUser('alice@acme.com');
      expect(landed.title).to.equal(undefined);
      expect(landed[ENTERPRISE].department).to.equal('Research');

      await patchIdpUser('bob@acme.com', { active: false });
      const bobId = (await coreUser('bob@acme.com')).id;
      const deactivated = await runCycle(idp, 'incremental');
      const deactivation = await wireOf(idp, deactivated.id);
      expect(deactivation.map((w) => w.request)).to.deep.equal([
        `GET /Users/${bobId}`,
        `PATCH /Users/${bobId}`,
        `PATCH /Groups/${(await coreGroup('sales')).id}`,
      ]);
      expect(deactivation[1]!.body).to.deep.equal({ schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'active', value: false }] });
      expect(deactivation[2]!.body).to.deep.equal({ schemas: [PATCH_OP], Operations: [{ op: 'Remove', path: 'members', value: [{ value: bobId }] }] });
      expect((await coreUser('bob@acme.com')).active).to.equal(false);

      // Deleted at the IdP: a soft delete too; the record stays on the target.
      await idp.request('DELETE', '/api/users/alice@acme.com');
      const deleted = await runCycle(idp, 'incremental');
      expect(deleted.counts['users.deprovision']).to.equal(1);
      expect((await coreUser('alice@acme.com')).active).to.equal(false);
    });

    it('links to a user that exists on the target already, found by externalId when userName changed', async () => {
      const alice = (await idp.request('GET', '/api/users/alice@acme.com')).body;
      await core.scim.createUser({
        userName: 'a.liddell@acme.com',
        externalId: alice.id,
        emails: [{ value: 'alice@acme.com', primary: true, type: 'work' }],
        name: { givenName: 'Alice', familyName: 'Liddell' },
      });
      await addTarget(idp, core);
      const cycle = await runCycle(idp, 'initial');
      const wire = await wireOf(idp, cycle.id);
      const linkedId = (await coreUser('alice@acme.com')).id;
      expect(wire.filter((w) => w.request.includes(linkedId)).map((w) => w.request)).to.deep.equal([`PATCH /Users/${linkedId}`]);
      expect(cycle.counts['users.update']).to.equal(1);
      expect(cycle.counts['users.create']).to.equal(1);
    });
  });

  describe('matching and group updates', () => {
    it('matches on the attribute a mapping marks, and sends a group rename the target may refuse (logged, skipped)', async () => {
      await patchIdpUser('alice@acme.com', { employeeId: 'E-100' });
      await core.scim.createUser({ userName: 'alice.old@acme.com', externalId: 'E-100', emails: [{ value: 'alice@acme.com', primary: true, type: 'work' }] });
      await addTarget(idp, core, {
        scope: 'assigned',
        assignments: { users: ['alice@acme.com'], groups: ['engineering'] },
        mappings: [{ target: 'externalId', source: '[employeeId]', matching: true }],
      });
      const cycle = await runCycle(idp, 'initial');
      const wire = await wireOf(idp, cycle.id);
      expect(wire[0]!.request).to.equal('GET /Users?filter=externalId eq "E-100"');
      expect(cycle.counts['users.update'], 'linked to the existing user and brought up to date').to.equal(1);
      expect((await coreUser('alice@acme.com')).externalId).to.equal('E-100');

      await idp.request('PUT', '/api/groups/engineering', { name: 'engineering', displayName: 'Engineering & Research' });
      const renamed = await runCycle(idp, 'incremental');
      const rename = (await wireOf(idp, renamed.id)).find((w) => w.request.startsWith('PATCH /Groups/'))!;
      expect(rename.body).to.deep.equal({ schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'displayName', value: 'Engineering & Research' }] });
      // Core, like the product it models, refuses renaming a synced group: the cycle logs it and goes on.
      expect(renamed.status).to.equal('succeeded');
      expect(renamed.failures[0]).to.include({ group: 'engineering', status: rename.status });
    });
  });

  describe('the okta profile on the wire', () => {
    it("plans a PUT's side effect: what the target holds outside the mappings is cleared, and is", async () => {
      await addTarget(idp, core, { profile: 'okta' });
      await runCycle(idp, 'initial');
      const bob = await coreUser('bob@acme.com');
      // Bob set these in the product; Okta's mapping sends none of them.
      await core.scim.request('PATCH', `/Users/${bob.id}`, {
        schemas: [PATCH_OP],
        Operations: [
          { op: 'add', path: 'nickName', value: 'Bobby' },
          { op: 'add', path: 'timezone', value: 'Europe/Paris' },
        ],
      });
      await patchIdpUser('bob@acme.com', { department: 'Field Sales' });
      const plan = (await idp.request('POST', '/api/provisioning/targets/core/plan', {})).body;
      const cleared = plan.users[0].attributes.filter((a: { change: string }) => a.change === 'clear');
      expect(cleared).to.deep.equal([
        { path: 'nickName', current: 'Bobby', change: 'clear' },
        { path: 'timezone', current: 'Europe/Paris', change: 'clear' },
      ]);
      await runCycle(idp, 'incremental');
      const after = await coreUser('bob@acme.com');
      expect(after.nickName, 'the PUT cleared it, as planned').to.equal(undefined);
      expect(after.timezone).to.equal(undefined);
      expect(after[ENTERPRISE]).to.include({ department: 'Field Sales' });
    });

    it('matches on userName only, updates and deactivates with a PUT of the whole user, removes members by filter', async () => {
      await addTarget(idp, core, { profile: 'okta' });
      const initial = await runCycle(idp, 'initial');
      const wire = await wireOf(idp, initial.id);
      expect(wire.filter((w) => w.request.startsWith('GET /Users')).map((w) => w.request)).to.deep.equal([
        'GET /Users?filter=userName eq "alice@acme.com"',
        'GET /Users?filter=userName eq "bob@acme.com"',
      ]);
      const groupCreate = wire.find((w) => w.request === 'POST /Groups')!;
      expect(groupCreate.body).to.deep.equal({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'engineering', members: [] });
      expect(await memberNames('everyone'), 'okta pushes groups flat: no inherited members').to.deep.equal([]);
      expect(await memberNames('sales')).to.deep.equal(['bob@acme.com']);

      const bob = await coreUser('bob@acme.com');
      await patchIdpUser('bob@acme.com', { department: 'Field Sales' });
      const update = await wireOf(idp, (await runCycle(idp, 'incremental')).id);
      // The first PUT reads the target's schemas once: what is read-only there is not cleared by a PUT.
      expect(update.map((w) => w.request)).to.deep.equal([`GET /Users/${bob.id}`, 'GET /Schemas', `PUT /Users/${bob.id}`]);
      expect(update[2]!.body).to.deep.equal({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE],
        userName: 'bob@acme.com',
        active: true,
        name: { givenName: 'Bob', familyName: 'Stone' },
        emails: [{ type: 'work', primary: true, value: 'bob@acme.com' }],
        displayName: 'Bob Stone',
        [ENTERPRISE]: { department: 'Field Sales' },
        id: bob.id,
      });

      await patchIdpUser('bob@acme.com', { active: false });
      const deactivate = await wireOf(idp, (await runCycle(idp, 'incremental')).id);
      expect(deactivate[1]!.request).to.equal(`PUT /Users/${bob.id}`);
      expect(deactivate[1]!.body).to.include({ active: false, userName: 'bob@acme.com' });
      expect(deactivate[2]!.body).to.deep.equal({ schemas: [PATCH_OP], Operations: [{ op: 'remove', path: `members[value eq "${bob.id}"]` }] });
      expect(await memberNames('sales')).to.deep.equal([]);
    });
  });

  describe('nested groups', () => {
    it('entra-flatten makes members of nested groups members of every ancestor; entra does not', async () => {
      await addTarget(idp, core, { profile: 'entra-flatten' });
      await runCycle(idp, 'initial');
      expect(await memberNames('everyone')).to.deep.equal(['alice@acme.com', 'bob@acme.com']);
      // Un-nesting sales from everyone takes bob out of it at the next cycle.
      await idp.request('PUT', '/api/groups/everyone', { name: 'everyone', groups: ['engineering'] });
      const cycle = await runCycle(idp, 'incremental');
      expect(cycle.counts['groups.update']).to.equal(1);
      expect(await memberNames('everyone')).to.deep.equal(['alice@acme.com']);
    });
  });

  describe('scope', () => {
    it('provisions assigned users and members of assigned groups; leaving scope deprovisions', async () => {
      await addTarget(idp, core, { scope: 'assigned', assignments: { groups: ['engineering'] } });
      const first = await runCycle(idp, 'initial');
      expect(first.counts).to.deep.equal({ 'users.create': 1, 'groups.create': 1 });
      expect(await coreUser('bob@acme.com')).to.equal(undefined);
      expect(await coreGroup('sales')).to.equal(undefined);

      const widened = await idp.request('PUT', '/api/provisioning/targets/core', {
        baseUrl: core.baseUrl,
        token: core.token,
        concurrency: 1,
        scope: 'assigned',
        assignments: { users: ['bob@acme.com'] },
      });
      expect(widened.status, widened.text).to.equal(200);
      const next = await runCycle(idp, 'incremental');
      expect(next.counts).to.include({ 'users.create': 1, 'users.deprovision': 1, 'groups.delete': 1 });
      expect((await coreUser('bob@acme.com')).active).to.equal(true);
      expect((await coreUser('alice@acme.com')).active).to.equal(false);
      expect(await coreGroup('engineering')).to.equal(undefined);
    });

    it('provisions one user on demand, without touching the others', async () => {
      await addTarget(idp, core);
      const res = await idp.request('POST', '/api/provisioning/targets/core/provision', { user: 'bob@acme.com' });
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.include({ kind: 'on-demand', status: 'succeeded' });
      expect(await coreUser('bob@acme.com')).to.include({ userName: 'bob@acme.com' });
      expect(await coreUser('alice@acme.com')).to.equal(undefined);
      expect((await idp.request('POST', '/api/provisioning/targets/core/provision', { user: 'nobody@acme.com' })).status).to.equal(404);
    });
  });

  describe('dry-run plans', () => {
    it('predicts exactly what the next cycle sends, flagging overwrites of target-side edits and cleared values, and writes nothing', async () => {
      await addTarget(idp, core, {
        mappings: [
          { target: 'displayName', source: 'Join(" ", [givenName], [surname])' },
          { target: 'nickName', source: '[givenName]', apply: 'on-create' },
        ],
      });
      await runCycle(idp, 'initial');
      const aliceId = (await coreUser('alice@acme.com')).id;
      // Someone edits the display name and the nickname in the product; the IdP changes the surname and drops the title.
      await core.scim.request('PATCH', `/Users/${aliceId}`, {
        schemas: [PATCH_OP],
        Operations: [
          { op: 'replace', path: 'displayName', value: 'Ali L.' },
          { op: 'replace', path: 'nickName', value: 'Ali' },
        ],
      });
      await patchIdpUser('alice@acme.com', { surname: 'Hargreaves', jobTitle: null });
      const before = await coreUser('alice@acme.com');

      const plan = (await idp.request('POST', '/api/provisioning/targets/core/plan', { kind: 'incremental' })).body;
      expect(await coreUser('alice@acme.com')).to.deep.equal(before);
      expect(plan.summary).to.deep.equal({ 'users.update': 1 });
      const [alice] = plan.users;
      const byPath = Object.fromEntries(alice.attributes.map((a: { path: string }) => [a.path, a]));
      expect(byPath.displayName).to.deep.equal({
        path: 'displayName',
        current: 'Ali L.',
        desired: 'Alice Hargreaves',
        lastProvisioned: 'Alice Liddell',
        change: 'overwrite',
      });
      expect(byPath.title).to.deep.equal({ path: 'title', current: 'Engineer', lastProvisioned: 'Engineer', change: 'clear' });
      expect(byPath['name.familyName']).to.include({ current: 'Liddell', desired: 'Hargreaves', change: 'update' });
      expect(byPath.nickName, 'on-create attributes are the target’s after creation').to.equal(undefined);

      const cycle = await runCycle(idp, 'incremental');
      const writes = (await wireOf(idp, cycle.id)).filter((w) => !w.request.startsWith('GET'));
      expect(writes).to.have.length(1);
      expect(writes[0]!.body).to.deep.equal(alice.request.body);
      expect(writes[0]!.request).to.equal(`${alice.request.method} ${alice.request.path}`);
      const after = await coreUser('alice@acme.com');
      expect(after).to.include({ displayName: 'Alice Hargreaves', nickName: 'Ali' });
      const logged = (await idp.request('GET', `/api/provisioning/targets/core/log?cycle=${cycle.id}&writes=true`)).body.entries[0];
      expect(logged.diff.map((d: { path: string; change: string }) => `${d.path} ${d.change}`)).to.deep.equal([
        'displayName overwrite',
        'title clear',
        'name.familyName update',
      ]);
    });
  });

  describe('retries and quarantine', () => {
    it('retries 429 and 503, honouring Retry-After on the clock, and logs every attempt', async () => {
      let failures = 0;
      const proxy = await flakyProxy(core, (method, path): Interception | 'pass' => {
        if (method === 'POST' && path.endsWith('/Users') && failures < 2) {
          failures += 1;
          return failures === 1 ? { status: 429, headers: { 'retry-after': '7' }, body: { detail: 'slow down' } } : { status: 503 };
        }
        return 'pass';
      });
      try {
        await addTarget(idp, { ...core, baseUrl: proxy.baseUrl }, { retry: { attempts: 3, delay: '2s' } });
        const clockBefore = Date.parse((await idp.request('GET', '/_rehearsal/clock')).body.now);
        const cycle = await runCycle(idp, 'initial');
        expect(cycle.status).to.equal('succeeded');
        expect(cycle.counts['users.create']).to.equal(2);
        // 7 s from Retry-After, then the second backoff step (2 s × 2), on the IdP's clock.
        expect(Date.parse((await idp.request('GET', '/_rehearsal/clock')).body.now) - clockBefore).to.equal(11_000);
        const attempts = (await idp.request('GET', `/api/provisioning/targets/core/log?cycle=${cycle.id}&user=alice@acme.com&writes=true`)).body.entries;
        expect(attempts.map((e: { status: number; attempt: number; outcome: string }) => `${e.attempt} ${e.status} ${e.outcome}`)).to.deep.equal([
          '1 429 retried',
          '2 503 retried',
          '3 201 ok',
        ]);
      } finally {
        await proxy.close();
      }
    });

    it("paces itself by core's own rate limit: every 429 waits Retry-After on both clocks, and the cycle completes", async () => {
      const orgId = (await core.core.get('/api/orgs')).body[0].id;
      const directoryId = core.baseUrl.split('/').pop();
      expect(
        (await core.core.patch(`/api/orgs/${orgId}/directories/${directoryId}`, { scimFidelity: 'atlassian', scimRateLimit: { requests: 5, perSeconds: 60 } }))
          .status,
      ).to.equal(200);
      // The IdP's waits pass on core's clock too, as they would in real time.
      const waited: number[] = [];
      const paced: TestIdp = await startIdp({
        sleep: (ms) => {
          waited.push(ms);
          paced.clock.advance(ms);
          core.core.clock.advance(ms);
          return Promise.resolve();
        },
      });
      try {
        await addTarget(paced, core);
        const cycle = await runCycle(paced, 'initial');
        expect(cycle).to.include({ status: 'succeeded', reads: 7, writes: 7 });
        // Five requests fit the burst; each of the other nine waits the 12 s core asks for, once.
        expect(waited).to.deep.equal(Array(9).fill(12_000));
        const wire = await wireOf(paced, cycle.id);
        expect(wire.filter((w) => w.status === 429)).to.have.length(9);
        const entries = (await paced.request('GET', `/api/provisioning/targets/core/log?cycle=${cycle.id}&limit=1000`)).body.entries as {
          status: number;
          outcome: string;
        }[];
        expect(entries.filter((e) => e.status === 429).every((e) => e.outcome === 'retried')).to.equal(true);
        await core.core.patch(`/api/orgs/${orgId}/directories/${directoryId}`, { scimRateLimit: 'off' });
        expect(await memberNames('engineering')).to.deep.equal(['alice@acme.com']);
      } finally {
        await paced.close();
      }
    });

    it('skips a bad record (a 400) and finishes the cycle', async () => {
      const proxy = await flakyProxy(core, (method, path, body) =>
        method === 'POST' && path.endsWith('/Users') && body.includes('bob@acme.com')
          ? {
              status: 400,
              body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '400', scimType: 'invalidValue', detail: 'bob is not welcome' },
            }
          : 'pass',
      );
      try {
        await addTarget(idp, { ...core, baseUrl: proxy.baseUrl });
        const cycle = await runCycle(idp, 'initial');
        expect(cycle.status).to.equal('succeeded');
        expect(cycle.failures).to.deep.equal([{ user: 'bob@acme.com', status: 400, reason: '400 invalidValue: bob is not welcome' }]);
        expect(await coreUser('alice@acme.com')).to.include({ userName: 'alice@acme.com' });
        const skipped = (await idp.request('GET', '/api/provisioning/targets/core/log?outcome=skipped')).body.entries;
        expect(skipped).to.have.length(1);
        expect(skipped[0]).to.include({ user: 'bob@acme.com', status: 400 });
      } finally {
        await proxy.close();
      }
    });

    it('quarantines a target that keeps failing, with the reason visible, until the quarantine is lifted', async () => {
      let down = true;
      const proxy = await flakyProxy(core, () => (down ? { status: 503, body: { detail: 'maintenance' } } : 'pass'));
      try {
        await addTarget(idp, { ...core, baseUrl: proxy.baseUrl }, { retry: { attempts: 1, delay: '1s' } });
        const cycle = await runCycle(idp, 'initial');
        expect(cycle.status).to.equal('quarantined');
        expect(cycle.error).to.match(/kept failing: 503: maintenance on 3 requests in a row, each tried 2 times/);
        const target = (await idp.request('GET', '/api/provisioning/targets/core')).body;
        expect(target.quarantine.reason).to.equal(cycle.error);
        // Once quarantined, nothing more is sent: three requests, two attempts each.
        expect((await idp.request('GET', `/api/provisioning/targets/core/log?cycle=${cycle.id}`)).body.entries).to.have.length(6);
        const refused = await idp.request('POST', '/api/provisioning/targets/core/cycles', { kind: 'incremental' });
        expect(refused.status).to.equal(409);
        expect(refused.body.error.code).to.equal('target-quarantined');

        down = false;
        expect((await idp.request('DELETE', '/api/provisioning/targets/core/quarantine')).status).to.equal(204);
        expect((await runCycle(idp, 'initial')).status).to.equal('succeeded');
        expect(await coreUser('bob@acme.com')).to.include({ userName: 'bob@acme.com' });
      } finally {
        await proxy.close();
      }
    });

    it('quarantines at once when the target refuses the token, and never logs the token', async () => {
      await addTarget(idp, { ...core, token: 'wrong-token-0123456789' });
      const cycle = await runCycle(idp, 'initial');
      expect(cycle.status).to.equal('quarantined');
      expect(cycle.error).to.match(/refused the token \(401 on GET \/Users\)/);
      const log = (await idp.request('GET', '/api/provisioning/targets/core/log')).text;
      expect(log).not.to.contain('wrong-token-0123456789');
      expect((await idp.request('GET', '/api/provisioning/targets/core')).text).not.to.contain('wrong-token-0123456789');
    });
  });

  describe('progress', () => {
    it('shows done/total while a cycle runs, and refuses a second cycle meanwhile', async () => {
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let posts = 0;
      const proxy = await flakyProxy(core, async (method, path): Promise<Interception | 'pass'> => {
        if (method === 'POST' && path.endsWith('/Users') && ++posts === 2) await held;
        return 'pass';
      });
      try {
        await addTarget(idp, { ...core, baseUrl: proxy.baseUrl });
        const started = await idp.request('POST', '/api/provisioning/targets/core/cycles', { kind: 'initial' });
        expect(started.status).to.equal(202);
        const location = started.headers.get('location')!;
        let progress = (await idp.request('GET', location)).body;
        // Polls only until the held request is reached: no timing, the proxy decides.
        while (progress.done < 1) progress = (await idp.request('GET', location)).body;
        expect(progress).to.include({ status: 'running', phase: 'writing', done: 1, total: 5 });
        const second = await idp.request('POST', '/api/provisioning/targets/core/cycles', { kind: 'incremental' });
        expect(second.status).to.equal(409);
        expect(second.body.error.code).to.equal('cycle-running');
        release();
        while (progress.status === 'running') progress = (await idp.request('GET', location)).body;
        expect(progress).to.include({ status: 'succeeded', done: 5, total: 5 });
      } finally {
        release();
        await proxy.close();
      }
    });
  });

  describe('deprovisioning: disable, soft delete, DELETE', () => {
    const DAY = 24 * 60 * 60 * 1000;
    const usersOn = async (cycle: { id: string }) =>
      (await wireOf(idp, cycle.id)).filter((w) => !w.request.startsWith('GET')).map((w) => w.request.replace(/\/Users\/[^/?]+$/, '/Users/{id}'));
    const coreStatus = async (id: string) => (await core.scim.request('GET', `/Users/${id}`)).status;

    it('entra: a user deleted at the IdP is disabled, then DELETEd once the 30-day soft-delete period has passed on the IdP clock', async () => {
      await addTarget(idp, core);
      await runCycle(idp, 'initial');
      const bob = await coreUser('bob@acme.com');
      expect((await idp.request('GET', '/api/provisioning/targets/core')).body.deprovision).to.equal('disable-then-delete');
      const deletedAt = idp.clock.now().getTime();
      expect((await idp.request('DELETE', '/api/users/bob@acme.com')).status).to.equal(204);

      const plan = (await idp.request('POST', '/api/provisioning/targets/core/plan', { kind: 'incremental' })).body;
      const bobPlan = plan.users.find((u: { user: string }) => u.user === 'bob@acme.com');
      expect(bobPlan).to.include({ operation: 'deprovision', deleteAfter: new Date(deletedAt + 30 * DAY).toISOString() });
      const disabled = await runCycle(idp, 'incremental');
      expect(disabled.counts).to.include({ 'users.deprovision': 1 });
      expect(await usersOn(disabled)).to.deep.include('PATCH /Users/{id}');
      expect((await coreUser('bob@acme.com')).active).to.equal(false);

      idp.clock.advance(30 * DAY - 1000);
      expect(await runCycle(idp, 'incremental')).to.include({ reads: 0, writes: 0 });
      idp.clock.advance(1000);
      const due = (await idp.request('POST', '/api/provisioning/targets/core/plan', { kind: 'incremental' })).body;
      expect(due.summary).to.deep.equal({ 'users.delete': 1 });
      const deleted = await runCycle(idp, 'incremental');
      expect(deleted.counts).to.include({ 'users.delete': 1 });
      expect(await usersOn(deleted)).to.deep.equal(['DELETE /Users/{id}']);
      expect(await coreStatus(bob.id)).to.equal(404);
      const logged = (await idp.request('GET', `/api/provisioning/targets/core/log?cycle=${deleted.id}&writes=true`)).body.entries;
      expect(logged.map((e: { operation: string; user: string; outcome: string }) => `${e.operation} ${e.user} ${e.outcome}`)).to.deep.equal([
        'delete bob@acme.com ok',
      ]);
      // Nothing left to do: the IdP forgot bob, and core took him out of his groups.
      expect(await memberNames('sales')).to.deep.equal([]);
      expect(await runCycle(idp, 'incremental')).to.include({ reads: 0, writes: 0 });
      expect((await idp.request('GET', '/api/provisioning/targets/core')).body.provisioned.users).to.equal(1);
    });

    it('entra: a user restored within the soft-delete period is enabled again and never deleted', async () => {
      await addTarget(idp, core);
      await runCycle(idp, 'initial');
      const bob = (await idp.request('GET', '/api/users/bob@acme.com')).body;
      await idp.request('DELETE', '/api/users/bob@acme.com');
      await runCycle(idp, 'incremental');
      idp.clock.advance(10 * DAY);
      expect(
        (
          await idp.request('POST', '/api/users', {
            email: bob.email,
            givenName: bob.givenName,
            surname: bob.surname,
            department: bob.department,
            groups: ['sales'],
          })
        ).status,
      ).to.equal(201);
      const restored = await runCycle(idp, 'incremental');
      expect(restored.counts).to.include({ 'users.update': 1 });
      expect((await coreUser('bob@acme.com')).active).to.equal(true);
      idp.clock.advance(60 * DAY);
      const later = await runCycle(idp, 'initial');
      expect(later.writes).to.equal(0);
      expect((await coreUser('bob@acme.com')).active).to.equal(true);
    });

    it('entra: a user disabled at the IdP is only disabled, however long it stays so', async () => {
      await addTarget(idp, core);
      await runCycle(idp, 'initial');
      await patchIdpUser('alice@acme.com', { active: false });
      expect((await runCycle(idp, 'incremental')).counts).to.include({ 'users.deprovision': 1 });
      idp.clock.advance(90 * DAY);
      expect((await runCycle(idp, 'initial')).writes).to.equal(0);
      expect((await coreUser('alice@acme.com')).active).to.equal(false);
    });

    it('okta: deactivates with a PUT and never sends DELETE', async () => {
      await addTarget(idp, core, { profile: 'okta' });
      await runCycle(idp, 'initial');
      await idp.request('DELETE', '/api/users/bob@acme.com');
      const cycle = await runCycle(idp, 'incremental');
      expect(await usersOn(cycle)).to.deep.include('PUT /Users/{id}');
      expect(cycle.counts).to.include({ 'users.deprovision': 1 });
      idp.clock.advance(90 * DAY);
      expect((await runCycle(idp, 'initial')).writes).to.equal(0);
      expect((await coreUser('bob@acme.com')).active).to.equal(false);
    });

    it('deprovision: delete sends DELETE at once, for a disabled user too; back in the IdP, the user is created again', async () => {
      await addTarget(idp, core, { deprovision: 'delete' });
      await runCycle(idp, 'initial');
      const alice = await coreUser('alice@acme.com');
      await patchIdpUser('alice@acme.com', { active: false });
      const plan = (await idp.request('POST', '/api/provisioning/targets/core/plan', { kind: 'incremental' })).body;
      expect(plan.users.map((u: { user: string; operation: string }) => `${u.user} ${u.operation}`)).to.deep.equal(['alice@acme.com delete']);
      const cycle = await runCycle(idp, 'incremental');
      expect(await usersOn(cycle)).to.deep.equal(['DELETE /Users/{id}']);
      expect(await coreStatus(alice.id)).to.equal(404);
      expect(await memberNames('engineering')).to.deep.equal([]);
      await patchIdpUser('alice@acme.com', { active: true });
      const back = await runCycle(idp, 'incremental');
      expect(back.counts).to.include({ 'users.create': 1, 'groups.update': 1 });
      expect(await memberNames('engineering')).to.deep.equal(['alice@acme.com']);
    });

    it("softDeletePeriod: the period is the target's to choose", async () => {
      await addTarget(idp, core, { softDeletePeriod: '1h' });
      await runCycle(idp, 'initial');
      await idp.request('DELETE', '/api/users/bob@acme.com');
      await runCycle(idp, 'incremental');
      idp.clock.advance(60 * 60 * 1000);
      expect((await runCycle(idp, 'incremental')).counts).to.include({ 'users.delete': 1 });
    });
  });

  describe('bad input', () => {
    it('refuses bad targets with a 400 naming the field, and adds nothing', async () => {
      const base = { baseUrl: core.baseUrl, token: core.token };
      const cases: [Record<string, unknown>, string, RegExp][] = [
        [{ ...base, baseUrl: 'ftp://x' }, 'invalid-request', /baseUrl/],
        [{ ...base, profile: 'azure' }, 'invalid-request', /profile/],
        [{ ...base, token: '' }, 'invalid-request', /token/],
        [
          { ...base, mappings: [{ target: 'displayName', source: 'Join(" ", [givenName], [nickname])' }] },
          'invalid-mapping',
          /mappings\[0\]\.source: displayName <- .*: at position 24: unknown attribute \[nickname\]/,
        ],
        [{ ...base, mappings: [{ target: 'displayName', source: 'Foo([givenName])' }] }, 'invalid-mapping', /at position 1: unknown function Foo/],
        [
          { ...base, mappings: [{ target: 'emails[type eq "work"]', source: '[email]' }] },
          'invalid-mapping',
          /mappings\[0\]\.target: .* is not a SCIM attribute path/,
        ],
        [
          {
            ...base,
            mappings: [
              { target: 'externalId', source: '[id]', matching: true },
              { target: 'nickName', source: '[givenName]', matching: true },
            ],
          },
          'invalid-mapping',
          /only one matching attribute/,
        ],
        [
          { ...base, scope: 'assigned', assignments: { users: ['nobody@acme.com'] } },
          'unknown-assignment',
          /assignments\.users\[0\]: no user nobody@acme\.com/,
        ],
        [{ ...base, extra: 1 }, 'invalid-request', /extra/],
        [{ ...base, deprovision: 'purge' }, 'invalid-request', /deprovision/],
        [{ ...base, softDeletePeriod: 'soon' }, 'invalid-request', /softDeletePeriod/],
      ];
      for (const [body, code, message] of cases) {
        const res = await idp.request('POST', '/api/provisioning/targets', body);
        expect(res.status, JSON.stringify(body)).to.equal(400);
        expect(res.body.error.code, JSON.stringify(body)).to.equal(code);
        expect(JSON.stringify(res.body.error), JSON.stringify(body)).to.match(message);
      }
      expect((await idp.request('GET', '/api/provisioning/targets')).body.targets).to.deep.equal([]);
    });

    it('refuses bad cycle, plan and log requests', async () => {
      await addTarget(idp, core);
      expect((await idp.request('POST', '/api/provisioning/targets/core/cycles', { kind: 'full' })).status).to.equal(400);
      expect((await idp.request('POST', '/api/provisioning/targets/nope/cycles', { kind: 'initial' })).status).to.equal(404);
      expect((await idp.request('POST', '/api/provisioning/targets/core/plan', { user: 'nobody@acme.com' })).status).to.equal(404);
      expect((await idp.request('GET', '/api/provisioning/targets/core/log?limit=0')).status).to.equal(400);
      expect((await idp.request('GET', '/api/provisioning/targets/core/cycles/nope')).status).to.equal(404);
      expect((await idp.request('POST', '/api/provisioning/targets', { id: 'core', baseUrl: core.baseUrl, token: 't' })).status).to.equal(409);
      expect((await idp.request('GET', '/api/provisioning/targets/core/cycles')).body.cycles).to.deep.equal([]);
    });

    it('reset forgets what was provisioned and the log; configured targets come back', async () => {
      await addTarget(idp, core);
      await runCycle(idp, 'initial');
      await idp.request('POST', '/api/reset');
      expect((await idp.request('GET', '/api/provisioning/targets')).body.targets).to.deep.equal([]);
    });
  });
});
