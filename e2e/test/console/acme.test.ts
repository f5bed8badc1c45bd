import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launch, skipWithoutChromium } from '../support/browser.ts';
import { screenshot, signIn, startWithConsole, textOf, type ConsoleStack } from './console-support.ts';

/** The console in Chromium on examples/acme.yaml: every page, the rollout that would lock carol out, a live login trace. */
describe('console in Chromium: the pilot (examples/acme.yaml)', function () {
  let stack: ConsoleStack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  before(async function () {
    skipWithoutChromium(this);
    stack = await startWithConsole('acme.yaml');
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
  });
  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    await signIn(page, stack);
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && page) await screenshot(page, `failed-${this.currentTest.title.replace(/[^a-z0-9]+/gi, '-')}`);
    await context?.close();
  });

  it('Overview: the organization, its domain, the SAML connection, the SCIM target and the policies', async () => {
    expect(await page.title()).to.equal('Overview of Acme · Rehearsal console');
    const body = await textOf(page, 'main');
    expect(body).to.contain('included in the Enterprise plan');
    expect(body).to.match(/acme\.com\s*verified \(claimed\)\s*dns/);
    expect(body).to.contain(`${stack.urls.idp}/saml/metadata`);
    expect(body).to.match(/expires \d{4}-\d\d-\d\d \(in \d+ days\)/);
    expect(body).to.contain('2 users, 3 groups');
    expect(body).to.match(/SSO pilot\s*Mock IdP\s*enforced\s*idp\s*1h\s*none\s*yes\s*1/);
    // The stack's clock is in the header of every page.
    expect(await textOf(page, '#stack-clock')).to.match(/^Stack time: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ \(real time\)$/);
    await screenshot(page, 'overview');
  });

  it('People: every account with its next login and reason code, filtered by policy and searched', async () => {
    await page.click('nav.pages >> text=People');
    expect(await textOf(page, '#people-count')).to.equal('4 of 4 people.');
    const alice = await textOf(page, 'tr:has-text("alice@acme.com")');
    expect(alice).to.contain('SSO pilot').and.to.contain('sso policy-sso-enforced').and.to.contain('not billable trello-awaiting-first-login');
    const root = await textOf(page, 'tr:has-text("root@acme.com")');
    expect(root).to.contain('admin').and.to.contain('two-step-enrolment policy-password');
    await page.selectOption('#policy', { label: 'SSO pilot (1)' });
    await page.click('form.filters button[type=submit]');
    expect(await textOf(page, '#people-count')).to.equal('1 of 4 people.');
    await page.fill('#q', 'nobody-here');
    await page.click('form.filters button[type=submit]');
    expect(await textOf(page, 'main')).to.contain('Nobody matches these filters.');
    await page.goto(stack.orgPage('/people'));
    await screenshot(page, 'people');
  });

  it("Rollout: the preview shows carol's lock-out in red and refuses to apply it; a safe change is applied after confirmation", async () => {
    await page.click('nav.pages >> text=Rollout');
    await page.selectOption('#policy', { label: 'SSO pilot' });
    await page.fill('#people', 'bob@acme.com, carol@acme.com');
    await page.click('form.rollout button[type=submit]');
    const carol = page.locator('tr.locked:has-text("carol@acme.com")');
    expect(await carol.count()).to.equal(1);
    expect(await carol.textContent())
      .to.contain('LOCKED OUT')
      .and.to.contain('no-identity-in-idp-directory');
    expect(
      await page
        .locator('tr.locked td')
        .first()
        .evaluate((td) => getComputedStyle(td).color),
    ).to.equal('rgb(191, 38, 0)');
    expect(await textOf(page, '#preview .summary')).to.contain('2 affected, 1 locked out');
    expect(await textOf(page, '#cannot-apply')).to.contain('cannot be applied');
    expect(await page.locator('form.apply').count()).to.equal(0);
    await screenshot(page, 'rollout-lock-out');

    // bob alone, found with the search box: nobody locked out; applying needs the box ticked.
    await page.fill('#people', '');
    expect(await page.locator('#people-emails option[value="bob@acme.com"]').count()).to.equal(1);
    await page.fill('#find', 'bob@acme.com');
    await page.click('form.rollout button[type=submit]');
    expect(await textOf(page, '#preview .summary')).to.contain('1 affected, 0 locked out');
    await page.click('form.apply button[type=submit]');
    expect(await textOf(page, '#confirm-error')).to.contain('Tick this box');
    const members = async () =>
      (await stack.core.call<{ members: { email: string }[] }>('GET', `/api/orgs/${stack.orgId}/policies/${stack.policy('SSO pilot')}/members`)).members.map(
        (m) => m.email,
      );
    expect(await members()).to.deep.equal(['alice@acme.com']);
    await page.check('#confirm');
    await page.click('form.apply button[type=submit]');
    expect(await textOf(page, '.notice.ok')).to.contain('Applied: 1 people affected');
    expect((await members()).sort()).to.deep.equal(['alice@acme.com', 'bob@acme.com']);
  });

  it('Rollout: a CSV file is read into the list of people', async () => {
    await page.goto(stack.orgPage('/rollout'));
    await page.setInputFiles('#people-file', { name: 'pilot.csv', mimeType: 'text/csv', buffer: Buffer.from('name,email\nCarol,carol@acme.com\n') });
    await page.waitForFunction(() => (document.querySelector('#people') as HTMLTextAreaElement).value.includes('carol@acme.com'));
    await page.selectOption('#policy', { label: 'Everyone else' });
    await page.click('form.rollout button[type=submit]');
    expect(await textOf(page, '#preview .summary')).to.match(/^1 affected/);
    expect(await page.locator('#preview tr:has-text("carol@acme.com")').count()).to.equal(1);
  });

  it('has a label on every control of every page, and works from the keyboard', async () => {
    for (const path of ['', '/people', '/rollout', '/provisioning', '/billing', '/logins', '/clock']) {
      await page.goto(stack.orgPage(path));
      const unlabelled = await page.$$eval('input:not([type=hidden]), select, textarea', (controls) =>
        controls.filter((c) => !(c as HTMLInputElement).labels?.length).map((c) => c.id || c.outerHTML),
      );
      expect(unlabelled, path).to.deep.equal([]);
    }
    // The skip link first, then the page's own controls: search People without a mouse.
    await page.goto(stack.orgPage('/people'));
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).to.equal('Skip to content');
    await page.focus('#q');
    await page.keyboard.type('carol');
    await page.keyboard.press('Enter');
    await page.waitForURL(/q=carol/);
    expect(await textOf(page, '#people-count')).to.equal('1 of 4 people.');
  });

  it('reads on a narrow window: nothing but the wide tables scrolls sideways', async () => {
    await page.setViewportSize({ width: 400, height: 800 });
    for (const path of ['', '/people', '/rollout', '/billing', '/logins', '/clock']) {
      await page.goto(stack.orgPage(path));
      expect(await page.evaluate(() => document.documentElement.scrollWidth), path).to.be.at.most(400);
    }
  });

  it('Rollout: bad input gets a message beside its field, and nothing changes', async () => {
    await page.goto(stack.orgPage('/rollout'));
    await page.click('form.rollout button[type=submit]');
    expect(await textOf(page, '#policy-error')).to.equal('Choose a policy.');
    await page.selectOption('#policy', { label: 'SSO pilot' });
    await page.fill('#people', 'bob@acme.com, not-an-email');
    await page.fill('#idleSession', 'soon');
    await page.click('form.rollout button[type=submit]');
    expect(await textOf(page, '#people-error')).to.equal('Not an email address: not-an-email.');
    expect(await textOf(page, '#idleSession-error')).to.contain('A duration such as');
    expect(await page.getAttribute('#people', 'aria-invalid')).to.equal('true');
    expect(await page.locator('#preview').count()).to.equal(0);
    await page.fill('#people', '');
    await page.fill('#idleSession', '');
    await page.click('form.rollout button[type=submit]');
    expect(await textOf(page, '#people-error')).to.equal('Add people to the policy, or change one of its settings.');
  });

  it('Logins: a login by alice appears in the live trace, with its decoded Response', async () => {
    await page.goto(stack.orgPage('/logins'));
    const before = await page.locator('#logins > li').count();
    // alice logs in, in another tab, through the gateway and the mock IdP's login page.
    const other = await context.newPage();
    await other.goto(`${stack.urls.gateway}/login`);
    await other.fill('input[name=email]', 'alice@acme.com');
    await other.click('button[type=submit]');
    await other.fill('input[name=username]', 'alice@acme.com');
    await other.fill('input[name=password]', 'alice-pass');
    await other.click('form:has(input[name=username]) button[type=submit]');
    await other.waitForURL(`${stack.urls.gateway}/`);
    await other.close();
    // No reload: the page's script brings it in.
    const item = page.locator('#logins > li.logged-in:has-text("alice@acme.com")').first();
    await item.waitFor();
    expect(await page.locator('#logins > li').count()).to.equal(before + 1);
    await item.locator('summary').first().click();
    const timeline = await item.textContent();
    expect(timeline).to.contain('policy-sso-enforced').and.to.contain('sso-login').and.to.contain('✓ signature');
    await item.locator('details.xml summary:has-text("Response")').click();
    const xml = (await item.locator('details.xml:has-text("Response") pre').textContent())!;
    expect(xml)
      .to.match(/^<samlp:Response /)
      .and.to.contain('\n  <samlp:Status>')
      .and.to.contain('alice@acme.com');
    await screenshot(page, 'logins');
  });

  it('Clock: advancing moves every service and the header says so; a bad duration is refused beside the field', async () => {
    await page.click('nav.pages >> text=Clock');
    await page.fill('#duration', 'tomorrow');
    await page.click('form:has(#duration) button[type=submit]');
    expect(await textOf(page, '#duration-error')).to.contain('A duration such as');
    const clocks = await stack.clock.show();
    expect(Object.values(clocks).every((c) => c.offsetMs === 0)).to.equal(true);
    await page.fill('#duration', '31m');
    await page.click('form:has(#duration) button[type=submit]');
    expect(await textOf(page, '.notice.ok')).to.contain('every clock advanced');
    expect(await textOf(page, '#stack-clock')).to.match(/\(\+0h 31m from real time\)$/);
    expect(await page.getAttribute('#stack-clock', 'class')).to.contain('moved');
    for (const c of Object.values(await stack.clock.show())) expect(Math.round(c.offsetMs / 60_000)).to.equal(31);
    await screenshot(page, 'clock');
    await page.click('button[value=reset]');
    expect(await textOf(page, '#stack-clock')).to.match(/\(real time\)$/);
  });
});
