import { expect } from 'chai';
import { generateSync } from 'otplib';
import { headlessLogin, productEffects } from '@rehearsal/cli';
import { product, startProcesses, type E2eStack } from './support/e2e-stack.ts';

/**
 * The three user stories, against core, the mock IdP and the gateway started
 * as separate processes on loopback. Time moves only through the stack's clock.
 */
describe('user stories, services as separate processes', () => {
  describe('1. the staged SSO rollout: preview, pilot, widen', () => {
    let stack: E2eStack;
    before(async () => {
      stack = await startProcesses('staged-rollout.yaml');
    });
    after(() => stack?.close());

    it('before the pilot, IdP users may choose SSO and product-only users use a password', async () => {
      const bob = await headlessLogin(stack.urls, 'bob@acme.com');
      expect(bob).to.include({ outcome: 'logged-in', reason: 'sso-login' });
      expect(bob.path).to.deep.equal(['sso', 'idp', 'acs']);
      const carol = await headlessLogin(stack.urls, 'carol@acme.com');
      expect(carol).to.include({ outcome: 'input-needed', reason: 'password-required' });
    });

    it('the preview catches the lock-out: a product-only account has no identity at the IdP', async () => {
      const preview = await stack.core.call<any>('POST', `${stack.org}/policies/${stack.policy('SSO pilot')}/preview`, {
        addMembers: ['alice@acme.com', 'bob@acme.com', 'carol@acme.com'],
      });
      expect(preview.summary).to.include({ affected: 3, lockedOut: 1 });
      const carol = preview.accounts.find((a: { email: string }) => a.email === 'carol@acme.com');
      expect(carol).to.include({ lockedOut: true });
      expect(carol.lockOutReasons.map((r: { code: string }) => r.code)).to.deep.equal(['no-identity-in-idp-directory']);
      // Without carol nobody is locked out: that is the pilot the admin enforces.
      const pilot = await stack.core.call<any>('POST', `${stack.org}/policies/${stack.policy('SSO pilot')}/preview`, {
        addMembers: ['alice@acme.com', 'bob@acme.com'],
      });
      expect(pilot.summary).to.include({ affected: 2, lockedOut: 0 });
      expect(pilot.accounts.map((a: { after: { method: string } }) => a.after.method)).to.deep.equal(['sso', 'sso']);
    });

    it('enforcing SSO for two takes effect at their next login, without a restart', async () => {
      await stack.core.call<any>('POST', `${stack.org}/policies/${stack.policy('SSO pilot')}/members`, { emails: ['alice@acme.com', 'bob@acme.com'] });
      for (const email of ['alice@acme.com', 'bob@acme.com']) {
        const login = await headlessLogin(stack.urls, email, { then: '/api/products/trello' });
        expect(login, email).to.include({ outcome: 'logged-in', reason: 'sso-login' });
        expect(login.page!.status).to.equal(200);
        expect((login.page!.body as { boards: { name: string }[] }).boards.map((b) => b.name)).to.deep.equal(['Roadmap']);
      }
      // bob asks for a password path: SSO is enforced now, so the gateway sends him to the IdP anyway.
      const withPassword = await headlessLogin(stack.urls, 'bob@acme.com', { method: 'password', password: 'bob-pass' });
      expect(withPassword.path[0]).to.equal('sso');
      // bob has no password in the product (SCIM made his account): the password step answers as for any wrong password.
      const direct = await stack.gateway.send<any>('POST', '/login/password', { email: 'bob@acme.com', password: 'bob-pass' });
      expect(direct.status).to.equal(401);
      expect(direct.body.error.code).to.equal('password-invalid');
    });

    it('a third user keeps a password with two-step verification: enrolment, then a code', async () => {
      const enrolled = await headlessLogin(stack.urls, 'carol@acme.com', { password: 'carol-pass-123', enrol: true });
      expect(enrolled).to.include({ outcome: 'logged-in', reason: 'two-step-enrolled' });
      expect(enrolled.path).to.deep.equal(['password', 'two-step-enrolment']);
      expect(enrolled.enrolment!.recoveryCodes).to.have.length.greaterThan(5);
      // The next code window: a code is never accepted twice.
      await stack.clock.advance('30s');
      const again = await headlessLogin(stack.urls, 'carol@acme.com', { password: 'carol-pass-123', totpSecret: enrolled.enrolment!.secret });
      expect(again).to.include({ outcome: 'logged-in', reason: 'password-login' });
      expect(again.path).to.deep.equal(['password', 'two-step']);
    });

    it('widening the pilot: the preview is clean, and the new member logs in via SSO at once', async () => {
      const before = await headlessLogin(stack.urls, 'dave@acme.com', { method: 'password', password: 'dave-pass' });
      expect(before).to.include({ outcome: 'refused', reason: 'password-invalid' });
      const preview = await stack.core.call<any>('POST', `${stack.org}/policies/${stack.policy('SSO pilot')}/preview`, { addMembers: ['dave@acme.com'] });
      expect(preview.summary).to.include({ affected: 1, lockedOut: 0 });
      expect(preview.accounts[0].before.method).to.equal('sso-or-password');
      await stack.core.call<any>('POST', `${stack.org}/policies/${stack.policy('SSO pilot')}/members`, { emails: ['dave@acme.com'] });
      const after = await headlessLogin(stack.urls, 'dave@acme.com', { method: 'password', password: 'dave-pass' });
      expect(after).to.include({ outcome: 'logged-in', reason: 'sso-login' });
      const decision = await stack.core.call<any>('GET', `${stack.org}/policies/${stack.policy('SSO pilot')}/members`);
      expect((decision.members ?? decision.items ?? decision).map((m: { email: string }) => m.email).sort()).to.deep.equal([
        'alice@acme.com',
        'bob@acme.com',
        'dave@acme.com',
      ]);
    });
  });

  // Issue 14.1: a rollout stays rolled out when provisioning runs again.
  describe('1b. the rollout survives the next provisioning cycle', () => {
    let stack: E2eStack;
    before(async () => {
      stack = await startProcesses('staged-rollout.yaml');
    });
    after(() => stack?.close());

    it('report rollout --apply moves bob into the pilot; a change at the IdP and a provisioning run leave him there', async () => {
      const pilot = stack.policy('SSO pilot');
      const applied = await stack.core.call<any>('POST', `${stack.org}/policies/${pilot}/rollout`, { addMembers: ['bob@acme.com'] });
      expect(applied.applied).to.equal(true);
      await stack.idp.call<any>('PATCH', '/api/users/bob@acme.com', { department: 'Field sales', jobTitle: 'Lead' });
      const cycle = await stack.idp.call<any>('POST', `/api/provisioning/targets/${stack.applied!.provisioningTarget}/cycles`, {
        kind: 'incremental',
        wait: true,
      });
      expect(cycle).to.include({ status: 'succeeded' });
      expect(cycle.counts).to.deep.equal({ 'users.update': 1 });
      const bob = (await stack.core.call<any>('GET', '/api/accounts?email=bob%40acme.com'))[0];
      expect(bob).to.include({ department: 'Field sales', jobTitle: 'Lead', policyId: pilot });
      expect(await headlessLogin(stack.urls, 'bob@acme.com')).to.include({ outcome: 'logged-in', reason: 'sso-login' });
    });
  });

  describe('2. the attribute-overwrite check: plan, run, SAML login rewrites the name', () => {
    let stack: E2eStack;
    before(async () => {
      stack = await startProcesses('examples/attribute-overwrite.yaml');
    });
    after(() => stack?.close());

    const account = async (email: string) => (await stack.core.call<any>('GET', `/api/accounts?email=${encodeURIComponent(email)}`))[0];

    const plan = () => stack.idp.call<any>('POST', `/api/provisioning/targets/${stack.applied!.provisioningTarget}/plan`, {});
    const effects = async () => productEffects(await plan(), stack.core, stack.applied!.orgId, stack.applied!.directories.find((d) => d.scim)!.id);

    it('the plan shows what the first cycle overwrites on accounts people edited, and who wrote each value', async () => {
      expect((await plan()).summary).to.deep.equal({ 'users.create': 3, 'groups.create': 1 });
      const changes = (await effects()).overwrites.map((o) => `${o.user} ${o.field}: ${o.product} (${o.writtenBy}) -> ${o.idp} ${o.when}`).sort();
      // The IdP sends no time zone and no job title for fox: those stay the accounts' own.
      expect(changes).to.deep.equal([
        'dana@acme.com department: X-Files (signup) -> Research this-cycle',
        'dana@acme.com displayName: Dr. Dana (signup) -> Dana Scully this-cycle',
        'fox@acme.com displayName: Spooky (signup) -> Fox Mulder this-cycle',
      ]);
      // A plan writes nothing.
      expect(await account('dana@acme.com')).to.include({ displayName: 'Dr. Dana', department: 'X-Files', timezone: 'Europe/London' });
    });

    it('the run does exactly that, and leaves what the IdP does not send', async () => {
      const cycle = await stack.idp.call<any>('POST', `/api/provisioning/targets/${stack.applied!.provisioningTarget}/cycles`, { wait: true });
      expect(cycle).to.include({ status: 'succeeded' });
      expect(await account('dana@acme.com')).to.include({ displayName: 'Dana Scully', department: 'Research', timezone: 'Europe/London' });
      expect(await account('fox@acme.com')).to.include({ displayName: 'Fox Mulder', jobTitle: 'Special Agent' });
    });

    // Issue 14.5 and 14.6: synced fields are the IdP's to change; the drift a SAML login leaves is in the plan.
    it('an admin cannot rename a synced account; a SAML login can, and the plan shows the drift it leaves and who made it', async () => {
      const dana = await account('dana@acme.com');
      const refused = await stack.core.send<any>('PATCH', `/api/accounts/${dana.id}`, { displayName: 'Dr. Dana' });
      expect([refused.status, refused.body.error.code]).to.deep.equal([409, 'managed-by-identity-provider']);
      // Her connection writes the family name first at each SAML login (people who write their names that way).
      const idp = stack.applied!.directories.find((d) => d.saml)!;
      const saml = await stack.core.call<any>('GET', `${stack.org}/directories/${idp.id}/saml`);
      await stack.core.call<any>('PUT', `${stack.org}/directories/${idp.id}/saml`, {
        idpEntityId: saml.idpEntityId,
        ssoUrl: saml.ssoUrl,
        certificate: saml.certificate,
        displayNameFromSaml: 'family-given',
      });
      const login = await headlessLogin(stack.urls, 'dana@acme.com', { then: '/api/products/confluence' });
      expect(login).to.include({ outcome: 'logged-in', reason: 'sso-login' });
      expect(login.page!.status).to.equal(200);
      expect(await account('dana@acme.com')).to.include({ displayName: 'Scully Dana' });
      // The IdP's plan has nothing to send (nothing changed at the IdP), yet its next write to dana puts her name back.
      expect((await plan()).summary).to.deep.equal({});
      expect((await effects()).overwrites).to.deep.equal([
        { user: 'dana@acme.com', field: 'displayName', product: 'Scully Dana', writtenBy: 'saml-login', idp: 'Dana Scully', when: 'next-write' },
      ]);
      // A change at the IdP makes that write happen in this cycle.
      await stack.idp.call<any>('PATCH', '/api/users/dana@acme.com', { department: 'Field office' });
      expect((await effects()).overwrites).to.deep.equal([
        { user: 'dana@acme.com', field: 'displayName', product: 'Scully Dana', writtenBy: 'saml-login', idp: 'Dana Scully', when: 'this-cycle' },
      ]);
    });
  });

  describe('3. idle timeout and two-step enrolment, driven by the clock', () => {
    let stack: E2eStack;
    before(async () => {
      stack = await startProcesses('staged-rollout.yaml');
      await stack.clock.freeze(new Date('2026-11-23T09:00:00Z'));
      await stack.core.call<any>('POST', `${stack.org}/policies/${stack.policy('SSO pilot')}/members`, { emails: ['alice@acme.com'] });
    });
    after(() => stack?.close());

    it("an SSO session lives while used and ends after the pilot policy's idle hour", async () => {
      const { cookie } = await headlessLogin(stack.urls, 'alice@acme.com');
      await stack.clock.advance('59m');
      expect((await product(stack, '/api/products/trello', cookie)).status).to.equal(200);
      await stack.clock.advance('59m');
      expect((await product(stack, '/api/products/trello', cookie)).status).to.equal(200);
      await stack.clock.advance('61m');
      // A browser is sent back to the login page with the reason; the session is gone after that.
      const page = await fetch(`${stack.urls.gateway}/trello`, { headers: { cookie: cookie! }, redirect: 'manual' });
      expect(page.status).to.equal(303);
      expect(page.headers.get('location')).to.match(/^\/login\?reason=idle-timeout&/);
      expect((await product(stack, '/api/products/trello', cookie)).status).to.equal(401);
    });

    it('a password user enrols in 2SV, a code is refused twice, and the 30-minute idle limit applies', async () => {
      const enrolled = await headlessLogin(stack.urls, 'carol@acme.com', { password: 'carol-pass-123', enrol: true });
      expect(enrolled).to.include({ outcome: 'logged-in', reason: 'two-step-enrolled' });
      const secret = enrolled.enrolment!.secret;
      // Same instant, same code: refused as reused.
      const code = generateSync({ secret, epoch: Math.floor(new Date((await stack.clock.show()).gateway!.now).getTime() / 1000) });
      const reused = await headlessLogin(stack.urls, 'carol@acme.com', { password: 'carol-pass-123', totp: code });
      expect(reused).to.include({ outcome: 'refused', reason: 'two-step-code-reused' });
      await stack.clock.advance('30s');
      const next = await headlessLogin(stack.urls, 'carol@acme.com', { password: 'carol-pass-123', totpSecret: secret });
      expect(next).to.include({ outcome: 'logged-in' });
      await stack.clock.advance('29m');
      expect((await product(stack, '/api/products/trello', next.cookie)).status).to.equal(200);
      const jira = await product(stack, '/api/products/jira-software', next.cookie);
      expect([jira.status, jira.body.error.code]).to.deep.equal([403, 'no-product-access']);
      await stack.clock.advance('31m');
      const expired = await product(stack, '/api/products/trello', next.cookie);
      expect(expired.status).to.equal(401);
      expect(expired.body.error.code).to.equal('idle-timeout');
    });
  });

  // Issue 14.10: what the subscription allows.
  describe('4. a free organization tries SSO and is told what it needs', () => {
    let stack: E2eStack;
    before(async () => {
      stack = await startProcesses('free-org.yaml');
    });
    after(() => stack?.close());

    it('is refused SSO and provisioning (subscription-required, naming the feature), gets them by subscribing, and is billed nothing before', async () => {
      const billing = await stack.core.call<any>('GET', `${stack.org}/billing`);
      expect(billing).to.deep.include({ guard: 'none', billableCount: 0, ifSubscribed: { billableCount: 2, monthly: 6 } });
      const refused = await stack.core.send<any>('POST', `${stack.org}/directories`, { name: 'Entra ID' });
      expect(refused.status).to.equal(422);
      expect(refused.body.error).to.deep.include({ code: 'subscription-required' });
      expect(refused.body.error.details[0].feature).to.equal('SAML single sign-on and user provisioning');
      expect((await stack.core.send<any>('POST', `${stack.org}/policies`, { name: 'SSO pilot' })).body.error.code).to.equal('subscription-required');
      // Its one policy does what a free organization has: mandatory two-step verification.
      expect(await headlessLogin(stack.urls, 'ann@small.example', { password: 'ann-pass-1234' })).to.include({
        outcome: 'input-needed',
        reason: 'two-step-enrolment-required',
      });
      await stack.core.call<any>('PATCH', stack.org, { subscription: 'guard' });
      expect((await stack.core.send<any>('POST', `${stack.org}/directories`, { name: 'Entra ID' })).status).to.equal(201);
      expect((await stack.core.call<any>('GET', `${stack.org}/billing`)).billableCount).to.equal(2);
    });
  });
});
