import { expect } from 'chai';
import { join } from 'node:path';
import { generateSync } from 'otplib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launch, SCREENSHOTS, skipWithoutChromium } from './support/browser.ts';
import { startProcesses, type E2eStack } from './support/e2e-stack.ts';

/** The login flows clicked through in Chromium, against the services as separate processes. */
describe('in a real browser (Chromium)', function () {
  let stack: E2eStack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  before(async function () {
    skipWithoutChromium(this);
    stack = await startProcesses('staged-rollout.yaml');
    await stack.clock.freeze(new Date('2026-11-23T09:00:00Z'));
    await stack.core.call('POST', `${stack.org}/policies/${stack.policy('SSO pilot')}/members`, { emails: ['alice@acme.com'] });
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
  });
  beforeEach(async () => {
    context = await browser.newContext();
    page = await context.newPage();
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && page) {
      await page.screenshot({ path: join(SCREENSHOTS, `${this.currentTest.fullTitle().replace(/[^a-z0-9]+/gi, '-')}.png`), fullPage: true });
    }
    await context?.close();
  });

  it('SSO: email at the gateway, the IdP login page, back to the Trello boards', async () => {
    await page.goto(`${stack.urls.gateway}/trello`);
    // Not logged in: the gateway asks for the email and remembers where we were going.
    expect(new URL(page.url()).pathname).to.equal('/login');
    await page.fill('input[name=email]', 'alice@acme.com');
    await page.click('button[type=submit]');
    await page.waitForURL((url) => url.origin === stack.urls.idp);
    expect(await page.textContent('body')).to.contain('Username');
    await page.fill('input[name=username]', 'alice@acme.com');
    await page.fill('input[name=password]', 'alice-pass');
    await page.click('form:has(input[name=username]) button[type=submit]');
    // The IdP's page posts the SAMLResponse to the gateway's ACS, which sends us on to /trello.
    await page.waitForURL(`${stack.urls.gateway}/trello`);
    const body = await page.textContent('body');
    expect(body).to.contain('Roadmap');
    const cookies = await context.cookies(stack.urls.gateway);
    const session = cookies.find((c) => c.name === 'rehearsal_gw_session')!;
    expect(session).to.include({ httpOnly: true, sameSite: 'Lax' });
  });

  it('idle timeout: after the policy hour the browser is back at the login page, told why', async () => {
    await page.goto(`${stack.urls.gateway}/login`);
    await page.fill('input[name=email]', 'alice@acme.com');
    await page.click('button[type=submit]');
    await page.waitForURL((url) => url.origin === stack.urls.idp);
    await page.fill('input[name=username]', 'alice@acme.com');
    await page.fill('input[name=password]', 'alice-pass');
    await page.click('form:has(input[name=username]) button[type=submit]');
    await page.waitForURL(`${stack.urls.gateway}/`);
    await stack.clock.advance('61m');
    await page.goto(`${stack.urls.gateway}/trello`);
    const url = new URL(page.url());
    expect(url.pathname).to.equal('/login');
    expect(url.searchParams.get('reason')).to.equal('idle-timeout');
    expect(await page.textContent('body')).to.match(/idle|inactiv/i);
  });

  it('password and two-step enrolment: secret and QR code, a TOTP code, recovery codes once, then in', async () => {
    await page.goto(`${stack.urls.gateway}/login`);
    await page.fill('input[name=email]', 'carol@acme.com');
    await page.click('button[type=submit]');
    await page.fill('input[name=password]', 'carol-pass-123');
    await page.click('form[action="/login/password"] button[type=submit]');
    await page.waitForSelector('text=Set up two-step verification');
    expect(await page.locator('figure svg').count()).to.equal(1);
    const secret = (await page.textContent('p:has-text("Secret") code'))!.trim();
    expect(secret).to.match(/^[A-Z2-7]{16,}$/);
    // The authenticator app, at the stack's (frozen) time.
    const now = new Date((await stack.clock.show()).gateway!.now);
    await page.fill('input[name=code]', generateSync({ secret, epoch: Math.floor(now.getTime() / 1000) }));
    await page.click('form[action="/login/two-step/enrol"] button[type=submit]');
    await page.waitForSelector('text=Save your recovery codes');
    expect(await page.locator('li code').count()).to.be.greaterThan(5);
    await page.click('text=Continue');
    await page.goto(`${stack.urls.gateway}/trello`);
    expect(await page.textContent('body')).to.contain('Roadmap');
  });
});
