import { expect } from 'chai';
import { generateSync } from 'otplib';
import { headlessLogin, productOverwrites } from '@rehearsal/cli';
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
      const preview = await stack.core.call('POST', `${stack.org}/policies/${stack.policy('SSO pilot')}/preview`, { addMembers: ['alice@acme.com', 'bob@acme.com', 'carol@acme.com'] });
      expect(preview.summary).to.include({ affected: 3, lockedOut: 1 });
      const carol = preview.accounts.find((a: { email: string }) => a.email === 'carol@acme.com');
      expect(carol).to.include({ lockedOut: true });
      expect(carol.lockOutReasons.map((r: { code: string }) => r.code)).to.deep.equal(['no-identity-in-idp-directory']);
      // Without carol nobody is locked out: that is the pilot the admin enforces.
      const pilot = await stack.core.call('POST', `${stack.org}/policies/${stack.policy('SSO pilot')}/preview`, { addMembers: ['alice@acme.com', 'bob@acme.com'] });
      expect(pilot.summary).to.include({ affected: 2, lockedOut: 0 });
      expect(pilot.accounts.map((a: { after: { method: string } }) => a.after.method)).to.deep.equal(['sso', 'sso']);
    });

    it('enforcing SSO for two takes effect at their next login, without a restart', async () => {
      await stack.core.call('POST', `${stack.org}/policies/${stack.policy('SSO pilot')}/members`, { emails: ['alice@acme.com', 'bob@acme.com'] });
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
      const direct = await stack.gateway.send('POST', '/login/password', { email: 'bob@acme.com', password: 'bob-pass' });
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
      const preview = await stack.core.call('POST', `${stack.org}/policies/${stack.policy('SSO pilot')}/preview`, { addMembers: ['dave@acme.com'] });
      expect(preview.summary).to.include({ affected: 1, lockedOut: 0 });
      expect(preview.accounts[0].before.method).to.equal('sso-or-password');
      await stack.core.call('POST', `${stack.org}/policies/${stack.policy('SSO pilot')}/members`, { emails: ['dave@acme.com'] });
      const after = await headlessLogin(stack.urls, 'dave@acme.com', { method: 'password', password: 'dave-pass' });
      expect(after).to.include({ outcome: 'logged-in', reason: 'sso-login' });
      const decision = await stack.core.call('GET', `${stack.org}/policies/${stack.policy('SSO pilot')}/members`);
      expect((decision.members ?? decision.items ?? decision).map((m: { email: string }) => m.email).sort()).to.deep.equal(['alice@acme.com', 'bob@acme.com', 'dave@acme.com']);
    });
  });

  describe('2. the attribute-overwrite check: plan, run, SAML login rewrites the name', () => {
    let stack: E2eStack;
    before(async () => {
      stack = await startProcesses('examples/attribute-overwrite.yaml');
    });
    after(() => stack?.close());

    const account = async (email: string) => (await stack.core.call('GET', `/api/accounts?email=${encodeURIComponent(email)}`))[0];

    it('the plan shows what the first cycle overwrites and clears on accounts people edited', async () => {
      const plan = await stack.idp.call('POST', `/api/provisioning/targets/${stack.applied!.provisioningTarget}/plan`, {});
      expect(plan.summary).to.deep.equal({ 'users.create': 3, 'groups.create': 1 });
      const changes = (await productOverwrites(plan, stack.core)).map((o) => `${o.user} ${o.field} ${o.change} ${o.product} -> ${o.idp}`).sort();
      expect(changes).to.deep.equal([
        'dana@acme.com department overwrite X-Files -> Research',
        'dana@acme.com displayName overwrite Dr. Dana -> Dana Scully',
        'dana@acme.com timezone clear Europe/London -> null',
        'fox@acme.com displayName overwrite Spooky -> Fox Mulder',
        'fox@acme.com jobTitle clear Special Agent -> null',
      ]);
      // A plan writes nothing.
      expect(await account('dana@acme.com')).to.include({ displayName: 'Dr. Dana', department: 'X-Files', timezone: 'Europe/London' });
    });

    it('the run does exactly that', async () => {
      const cycle = await stack.idp.call('POST', `/api/provisioning/targets/${stack.applied!.provisioningTarget}/cycles`, { wait: true });
      expect(cycle).to.include({ status: 'succeeded' });
      expect(await account('dana@acme.com')).to.include({ displayName: 'Dana Scully', department: 'Research', timezone: null });
      expect(await account('fox@acme.com')).to.include({ displayName: 'Fox Mulder', jobTitle: null });
    });

    it('the person renames themselves in the product; the next SAML login rewrites the name from the IdP', async () => {
      const dana = await account('dana@acme.com');
      await stack.core.call('PATCH', `/api/accounts/${dana.id}`, { displayName: 'Dr. Dana' });
      const login = await headlessLogin(stack.urls, 'dana@acme.com', { then: '/api/products/confluence' });
      expect(login).to.include({ outcome: 'logged-in', reason: 'sso-login' });
      expect(await account('dana@acme.com')).to.include({ displayName: 'Dana Scully' });
      expect(login.page!.status).to.equal(200);
    });
  });

  describe('3. idle timeout and two-step enrolment, driven by the clock', () => {
    let stack: E2eStack;
    before(async () => {
      stack = await startProcesses('staged-rollout.yaml');
      await stack.clock.freeze(new Date('2026-11-23T09:00:00Z'));
      await stack.core.call('POST', `${stack.org}/policies/${stack.policy('SSO pilot')}/members`, { emails: ['alice@acme.com'] });
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
});
