import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { ROOT } from './e2e-stack.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Screenshots of failed browser tests, kept for CI to collect. */
export const SCREENSHOTS = join(ROOT, 'e2e', '.test-results', 'screenshots');

/**
 * Debian's Chromium, headless. Without it the browser suite skips with one
 * line, except in CI (CI=true), where .ci/run installs it and a skip would hide
 * a broken setup.
 */
export function chromiumMissing(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  const why = `browser suite: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`;
  if (process.env.CI === 'true') throw new Error(`${why}; CI must run it`);
  return why;
}

export function launch(): Promise<Browser> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

/** In a `before` hook: skips the suite, with one line saying why, where there is no Chromium (never in CI). */
export function skipWithoutChromium(hook: Mocha.Context): void {
  const missing = chromiumMissing();
  if (!missing) return;
  console.log(`    skipped: ${missing}`);
  hook.skip();
}
