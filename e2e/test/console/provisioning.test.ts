import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { BillingReport } from '@rehearsal/runtime/client';
import { chromiumMissing, launch, skipWithoutChromium } from '../support/browser.ts';
import { screenshot, signIn, startWithConsole, textOf, type ConsoleStack } from './console-support.ts';

/** The console in Chromium on the attribute-overwrite and billing-surprise examples: the plan's overwrites, a cycle with progress, the bill. */
describe('console in Chromium: provisioning and the bill', function () {
  let browser: Browser;
  before(function () {
    skipWithoutChromium(this);
  });
  after(async () => browser?.close());

  /** One example, one signed-in page per test. */
  function withExample(example: string) {
    const it = { stack: undefined as unknown as ConsoleStack, page: undefined as unknown as Page, context: undefined as unknown as BrowserContext };
    before(async function () {
      if (chromiumMissing()) return this.skip();
      browser ??= await launch();
      it.stack = await startWithConsole(example);
    });
    after(async () => it.stack?.close());
    beforeEach(async () => {
      it.context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      it.page = await it.context.newPage();
      await signIn(it.page, it.stack);
    });
    afterEach(async function () {
      if (this.currentTest?.state === 'failed' && it.page) await screenshot(it.page, `failed-${this.currentTest.title.replace(/[^a-z0-9]+/gi, '-')}`);
      await it.context?.close();
    });
    return it;
  }

  describe('examples/attribute-overwrite.yaml', () => {
    const t = withExample('attribute-overwrite.yaml');

    it("shows the plan's overwrites with who wrote the product's value, then runs the cycle with a progress bar", async () => {
      const { page, stack } = t;
      await page.click('nav.pages >> text=Provisioning');
      expect(await textOf(page, '#plan-summary')).to.contain('users.create 3, groups.create 1');
      const dana = await textOf(page, 'tr.overwrite:has-text("Dr. Dana")');
      expect(dana).to.contain('displayName').and.to.contain('Dana Scully').and.to.contain('written by signup');
      const department = await textOf(page, 'tr.overwrite:has-text("X-Files")');
      expect(department).to.contain('Research').and.to.contain('written by signup');
      expect(await textOf(page, 'tr.overwrite:has-text("Spooky")')).to.contain('Fox Mulder');
      await screenshot(page, 'provisioning-plan');

      await page.click('form.run button[type=submit]');
      await page.waitForURL(/\/provisioning\/cycles\//);
      // The script follows the cycle until it ends, without reloading.
      await page.waitForSelector('#cycle-status[data-status="succeeded"]');
      const bar = page.locator('#cycle-progress');
      expect(await bar.getAttribute('value')).to.equal(await bar.getAttribute('max'));
      expect(await textOf(page, '#cycle-status')).to.contain('users.create 3');
      await screenshot(page, 'provisioning-cycle');
      const dana2 = await stack.core.call<{ displayName: string }[]>('GET', '/api/accounts?email=dana@acme.com');
      expect(dana2[0]!.displayName).to.equal('Dana Scully');
      await page.click('text=Back to the plan');
      expect(await textOf(page, 'main'))
        .to.contain('Last cycles')
        .and.to.contain('succeeded');
    });
  });

  describe('examples/billing-surprise.yaml', () => {
    const t = withExample('billing-surprise.yaml');

    it('walks every page: each answers at once, fills in what it works out later, says no error, and is kept as a screenshot', async function () {
      this.timeout(300_000);
      const { page, stack } = t;
      for (const [path, title] of [
        ['', 'Overview of Acme'],
        ['/people', 'People'],
        ['/rollout', 'Rollout'],
        ['/provisioning', 'Provisioning'],
        ['/billing', 'Billing'],
        ['/logins', 'Logins'],
        ['/clock', 'Clock'],
      ] as const) {
        const answer = await page.goto(stack.orgPage(path));
        expect(answer!.status(), path).to.equal(200);
        expect(await textOf(page, 'h1'), path).to.equal(title);
        // What the page's script fills in later (a plan, the pending cycle's bill) comes, and is no error:
        // nothing of this page is still being worked out while the next tests run.
        await page.waitForSelector('[data-fill]', { state: 'detached' });
        expect(await textOf(page, 'main'), path).not.to.contain('could not be worked out');
        expect(await page.locator('.notice.error').count(), path).to.equal(0);
        await screenshot(page, `billing-surprise-${path.slice(1) || 'overview'}`);
      }
      expect(await textOf(page, '#stack-clock')).to.match(/^Stack time: /);
    });

    it('People renders the 4,006 accounts a page at a time', async () => {
      const { page, stack } = t;
      await page.goto(stack.orgPage('/people'));
      expect(await textOf(page, '#people-count')).to.equal('4006 of 4006 people, page 1 of 41.');
      expect(await page.locator('main tbody tr').count()).to.equal(100);
      await page.click('a[rel=next]');
      expect(await textOf(page, '#people-count')).to.contain('page 2 of 41');
      await page.selectOption('#billable', 'true');
      await page.click('form.filters button[type=submit]');
      expect(await textOf(page, '#people-count')).to.equal('6 of 4006 people.');
    });

    it("Billing: the chart matches `report billing`, each bar lists its accounts, and the what-if shows the pending cycle's bill", async function () {
      // Ceilings, not waits: the pending cycle's plan reads 4,005 users from core, one request each.
      this.timeout(300_000);
      const { page, stack } = t;
      await page.goto(stack.orgPage('/billing'));
      const report = await stack.core.call<BillingReport>('GET', `/api/orgs/${stack.orgId}/billing?accounts=false`);
      const bars = await page
        .locator('svg.chart a')
        .evaluateAll((links) => links.map((a) => [a.getAttribute('data-reason'), Number(a.getAttribute('data-count'))]));
      expect(Object.fromEntries(bars)).to.deep.equal(report.byReason);
      expect(await textOf(page, '#billable-count')).to.contain(`Billable users: ${report.billableCount}`);
      // Worked out after the page is shown, by the page's script.
      await page.waitForSelector('#what-if-provisioning:not([data-fill])', { timeout: 120_000 });
      expect(await textOf(page, '#what-if-provisioning')).to.contain(`billable users ${report.billableCount} → 3406 (+3400)`);
      await screenshot(page, 'billing');
      await page.click('svg.chart a[data-reason="non-billable-policy"]');
      expect(await textOf(page, '#list h2')).to.equal(`Accounts with reason non-billable-policy (${report.byReason['non-billable-policy']})`);
      expect(await page.locator('#list tbody tr').count()).to.equal(100);
      const csv = await page.request.get(stack.orgPage('/billing.csv'));
      const lines = (await csv.text()).trim().split('\r\n');
      expect(lines[0]).to.equal('email,billable,reason,products');
      expect(lines.length - 1).to.equal(4006);
    });

    it('Billing: a what-if rollout shows its bill; bad input is said beside the field', async () => {
      const { page, stack } = t;
      await page.goto(stack.orgPage('/billing'));
      await page.click('form.stacked button[type=submit]');
      expect(await textOf(page, '#policy-error')).to.equal('Choose a policy.');
      await page.selectOption('#what-if-policy', { label: 'Portal customers' });
      await page.selectOption('#what-if-billable', 'true');
      await page.click('form.stacked button[type=submit]');
      expect(await textOf(page, '#what-if-rollout')).to.match(/After this rollout: billable users 6 → \d+ \(\+\d+\)/);
      // Nothing changed: the policy is still not billable.
      const policy = await stack.core.call<{ billable: boolean }>('GET', `/api/orgs/${stack.orgId}/policies/${stack.policy('Portal customers')}`);
      expect(policy.billable).to.equal(false);
    });

    it('Provisioning: the 4,005-user cycle runs with live progress, and the bill follows', async function () {
      this.timeout(600_000);
      const { page, stack } = t;
      await page.goto(stack.orgPage('/provisioning'));
      // The plan of 4,005 people comes once the page is shown (the page's script fills it in).
      expect(await textOf(page, '#plan-summary')).to.contain('users.create 4005');
      expect(await textOf(page, 'main')).to.contain('page 1 of 41');
      await page.click('form.run button[type=submit]');
      await page.waitForSelector('#cycle-status[data-status="succeeded"]', { timeout: 300_000 });
      await page.goto(stack.orgPage('/billing'));
      expect(await textOf(page, '#billable-count')).to.contain('Billable users: 3406');
    });
  });
});
