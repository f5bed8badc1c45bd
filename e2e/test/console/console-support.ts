import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ServiceClient, start, type Stack } from '@rehearsal/cli';
import { ROOT } from '../support/e2e-stack.ts';

/** Screenshots of every console page, kept as test artifacts (CI collects e2e/.test-results); the README shows copies. */
export const CONSOLE_SHOTS = join(ROOT, 'e2e', '.test-results', 'console');

export interface ConsoleStack extends Stack {
  core: ServiceClient;
  orgId: string;
  /** A page of the organization in the console: `/people`, `/rollout`... */
  orgPage(path?: string): string;
  policy(name: string): string;
  /** A one-time link that signs a browser in (what `rehearsal up` prints). */
  signInLink(): Promise<string>;
}

/** The stack with the console, in this process, with an example scenario applied. */
export async function startWithConsole(example: string): Promise<ConsoleStack> {
  const stack = await start({ scenario: join(ROOT, 'examples', example) });
  const core = new ServiceClient('core', stack.urls.core, stack.credentials.coreAdminKey);
  const orgId = stack.applied!.orgId;
  return Object.assign(stack, {
    core,
    orgId,
    orgPage: (path = '') => `${stack.urls.console}/orgs/${orgId}${path}`,
    policy: (name: string) => stack.applied!.policies.find((p) => p.name === name)!.id,
    signInLink: async () =>
      (await new ServiceClient('console', stack.urls.console, stack.credentials.coreAdminKey).call<{ url: string }>('POST', '/api/sign-in-links')).url,
  });
}

export async function signIn(page: Page, stack: ConsoleStack): Promise<void> {
  // Pages of 4,006 people on a busy 2-core CI machine: a ceiling, not a wait.
  page.setDefaultTimeout(120_000);
  page.setDefaultNavigationTimeout(120_000);
  await page.goto(await stack.signInLink());
  await page.waitForURL(stack.orgPage());
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(CONSOLE_SHOTS, { recursive: true });
  await page.screenshot({ path: join(CONSOLE_SHOTS, `${name}.png`), fullPage: true });
}

/** The text of the element, squeezed: what a person reads. */
export const textOf = async (page: Page, selector: string) => (await page.innerText(selector)).replace(/\s+/g, ' ').trim();
