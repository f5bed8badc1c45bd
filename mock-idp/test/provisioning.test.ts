import { expect } from 'chai';
import { addTarget, runCycle, startCoreTarget, wireOf, type CoreTarget } from './support/core-target.ts';
import { startIdp, type TestIdp } from './support/idp.ts';
import { coreGroup, coreUser, memberNames, patchIdpUser } from './support/provisioning-helpers.ts';

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

  describe('the entra profile on the wire', () => {
    it('initial cycle: matches on userName then externalId, creates with POST, groups with POST then PATCH Add members', async () => {
      await addTarget(idp, core);
      const cycle = await runCycle(idp, 'initial');
      expect(cycle).to.include({ status: 'succeeded', total: 5, done: 5, reads: 7, writes: 7 });
      expect(cycle.counts).to.deep.equal({ 'users.create': 2, 'groups.create': 3 });
      const alice = (await idp.request('GET', '/api/users/alice@acme.com')).body;
      const wire = await wireOf(idp, cycle.id);
      const aliceId = (await coreUser(core, 'alice@acme.com')).id;
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
        `PATCH /Groups/${(await coreGroup(core, 'engineering')).id}`,
        'POST /Groups',
        `PATCH /Groups/${(await coreGroup(core, 'sales')).id}`,
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
      expect(await memberNames(core, 'everyone')).to.deep.equal([]);
      expect(await memberNames(core, 'engineering')).to.deep.equal(['alice@acme.com']);
      expect((await coreUser(core, 'alice@acme.com'))[ENTERPRISE].department).to.equal('Engineering');
    });

    it('incremental cycles: PATCH with Replace/Add/Remove for what changed, active=false to deprovision, nothing when nothing changed', async () => {
      await addTarget(idp, core);
      await runCycle(idp, 'initial');
      const aliceId = (await coreUser(core, 'alice@acme.com')).id;

      const unchanged = await runCycle(idp, 'incremental');
      expect(unchanged).to.include({ status: 'succeeded', reads: 0, writes: 0 });
      const again = await runCycle(idp, 'initial');
      expect(again.writes, 'an initial cycle over an unchanged directory writes nothing').to.equal(0);

      await patchIdpUser(idp, 'alice@acme.com', { department: 'Research', jobTitle: null, employeeId: 'E-1' });
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
      const landed = await coreUser(core, 'alice@acme.com');
      expect(landed.title).to.equal(undefined);
      expect(landed[ENTERPRISE].department).to.equal('Research');

      await patchIdpUser(idp, 'bob@acme.com', { active: false });
      const bobId = (await coreUser(core, 'bob@acme.com')).id;
      const deactivated = await runCycle(idp, 'incremental');
      const deactivation = await wireOf(idp, deactivated.id);
      expect(deactivation.map((w) => w.request)).to.deep.equal([
        `GET /Users/${bobId}`,
        `PATCH /Users/${bobId}`,
        `PATCH /Groups/${(await coreGroup(core, 'sales')).id}`,
      ]);
      expect(deactivation[1]!.body).to.deep.equal({ schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'active', value: false }] });
      expect(deactivation[2]!.body).to.deep.equal({ schemas: [PATCH_OP], Operations: [{ op: 'Remove', path: 'members', value: [{ value: bobId }] }] });
      expect((await coreUser(core, 'bob@acme.com')).active).to.equal(false);

      // Deleted at the IdP: a soft delete too; the record stays on the target.
      await idp.request('DELETE', '/api/users/alice@acme.com');
      const deleted = await runCycle(idp, 'incremental');
      expect(deleted.counts['users.deprovision']).to.equal(1);
      expect((await coreUser(core, 'alice@acme.com')).active).to.equal(false);
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
      const linkedId = (await coreUser(core, 'alice@acme.com')).id;
      expect(wire.filter((w) => w.request.includes(linkedId)).map((w) => w.request)).to.deep.equal([`PATCH /Users/${linkedId}`]);
      expect(cycle.counts['users.update']).to.equal(1);
      expect(cycle.counts['users.create']).to.equal(1);
    });
  });

  describe('matching and group updates', () => {
    it('matches on the attribute a mapping marks, and sends a group rename the target may refuse (logged, skipped)', async () => {
      await patchIdpUser(idp, 'alice@acme.com', { employeeId: 'E-100' });
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
      expect((await coreUser(core, 'alice@acme.com')).externalId).to.equal('E-100');

      // Core in atlassian fidelity refuses renaming a synced group, as the product does.
      await core.setFidelity('atlassian');
      await idp.request('PUT', '/api/groups/engineering', { name: 'engineering', displayName: 'Engineering & Research' });
      const renamed = await runCycle(idp, 'incremental');
      const rename = (await wireOf(idp, renamed.id)).find((w) => w.request.startsWith('PATCH /Groups/'))!;
      expect(rename.body).to.deep.equal({ schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'displayName', value: 'Engineering & Research' }] });
      // The cycle logs the refusal and goes on.
      expect(renamed.status).to.equal('succeeded');
      expect(renamed.failures[0]).to.include({ group: 'engineering', status: rename.status });
    });
  });

  describe('the okta profile on the wire', () => {
    it("plans a PUT's side effect: what the target holds outside the mappings is cleared, and is", async () => {
      await addTarget(idp, core, { profile: 'okta' });
      await runCycle(idp, 'initial');
      const bob = await coreUser(core, 'bob@acme.com');
      // Bob set these in the product; Okta's mapping sends none of them.
      await core.scim.request('PATCH', `/Users/${bob.id}`, {
        schemas: [PATCH_OP],
        Operations: [
          { op: 'add', path: 'nickName', value: 'Bobby' },
          { op: 'add', path: 'timezone', value: 'Europe/Paris' },
        ],
      });
      await patchIdpUser(idp, 'bob@acme.com', { department: 'Field Sales' });
      const plan = (await idp.request('POST', '/api/provisioning/targets/core/plan', {})).body;
      const cleared = plan.users[0].attributes.filter((a: { change: string }) => a.change === 'clear');
      expect(cleared).to.deep.equal([
        { path: 'nickName', current: 'Bobby', change: 'clear' },
        { path: 'timezone', current: 'Europe/Paris', change: 'clear' },
      ]);
      await runCycle(idp, 'incremental');
      const after = await coreUser(core, 'bob@acme.com');
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
      expect(await memberNames(core, 'everyone'), 'okta pushes groups flat: no inherited members').to.deep.equal([]);
      expect(await memberNames(core, 'sales')).to.deep.equal(['bob@acme.com']);

      const bob = await coreUser(core, 'bob@acme.com');
      await patchIdpUser(idp, 'bob@acme.com', { department: 'Field Sales' });
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

      await patchIdpUser(idp, 'bob@acme.com', { active: false });
      const deactivate = await wireOf(idp, (await runCycle(idp, 'incremental')).id);
      expect(deactivate[1]!.request).to.equal(`PUT /Users/${bob.id}`);
      expect(deactivate[1]!.body).to.include({ active: false, userName: 'bob@acme.com' });
      expect(deactivate[2]!.body).to.deep.equal({ schemas: [PATCH_OP], Operations: [{ op: 'remove', path: `members[value eq "${bob.id}"]` }] });
      expect(await memberNames(core, 'sales')).to.deep.equal([]);
    });
  });

  describe('nested groups', () => {
    it('entra-flatten makes members of nested groups members of every ancestor; entra does not', async () => {
      await addTarget(idp, core, { profile: 'entra-flatten' });
      await runCycle(idp, 'initial');
      expect(await memberNames(core, 'everyone')).to.deep.equal(['alice@acme.com', 'bob@acme.com']);
      // Un-nesting sales from everyone takes bob out of it at the next cycle.
      await idp.request('PUT', '/api/groups/everyone', { name: 'everyone', groups: ['engineering'] });
      const cycle = await runCycle(idp, 'incremental');
      expect(cycle.counts['groups.update']).to.equal(1);
      expect(await memberNames(core, 'everyone')).to.deep.equal(['alice@acme.com']);
    });
  });

  describe('scope', () => {
    it('provisions assigned users and members of assigned groups; leaving scope deprovisions', async () => {
      await addTarget(idp, core, { scope: 'assigned', assignments: { groups: ['engineering'] } });
      const first = await runCycle(idp, 'initial');
      expect(first.counts).to.deep.equal({ 'users.create': 1, 'groups.create': 1 });
      expect(await coreUser(core, 'bob@acme.com')).to.equal(undefined);
      expect(await coreGroup(core, 'sales')).to.equal(undefined);

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
      expect((await coreUser(core, 'bob@acme.com')).active).to.equal(true);
      expect((await coreUser(core, 'alice@acme.com')).active).to.equal(false);
      expect(await coreGroup(core, 'engineering')).to.equal(undefined);
    });

    it('provisions one user on demand, without touching the others', async () => {
      await addTarget(idp, core);
      const res = await idp.request('POST', '/api/provisioning/targets/core/provision', { user: 'bob@acme.com' });
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.include({ kind: 'on-demand', status: 'succeeded' });
      expect(await coreUser(core, 'bob@acme.com')).to.include({ userName: 'bob@acme.com' });
      expect(await coreUser(core, 'alice@acme.com')).to.equal(undefined);
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
      const aliceId = (await coreUser(core, 'alice@acme.com')).id;
      // Someone edits the display name and the nickname in the product; the IdP changes the surname and drops the title.
      await core.scim.request('PATCH', `/Users/${aliceId}`, {
        schemas: [PATCH_OP],
        Operations: [
          { op: 'replace', path: 'displayName', value: 'Ali L.' },
          { op: 'replace', path: 'nickName', value: 'Ali' },
        ],
      });
      await patchIdpUser(idp, 'alice@acme.com', { surname: 'Hargreaves', jobTitle: null });
      const before = await coreUser(core, 'alice@acme.com');

      const plan = (await idp.request('POST', '/api/provisioning/targets/core/plan', { kind: 'incremental' })).body;
      expect(await coreUser(core, 'alice@acme.com')).to.deep.equal(before);
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
      const after = await coreUser(core, 'alice@acme.com');
      expect(after).to.include({ displayName: 'Alice Hargreaves', nickName: 'Ali' });
      const logged = (await idp.request('GET', `/api/provisioning/targets/core/log?cycle=${cycle.id}&writes=true`)).body.entries[0];
      expect(logged.diff.map((d: { path: string; change: string }) => `${d.path} ${d.change}`)).to.deep.equal([
        'displayName overwrite',
        'title clear',
        'name.familyName update',
      ]);
    });
  });
});
