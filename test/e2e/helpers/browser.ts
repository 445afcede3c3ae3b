// Launches Debian's Chromium headless through playwright-core with a fresh
// profile, as CI runs it. Test-only.

import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export interface Browser {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Uncaught page errors and console errors, for asserting a clean run. */
  readonly errors: string[];
  close(): Promise<void>;
}

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CONSOLE_LOG = 'test-results/browser.log';

export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'teacache-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: { width: 1440, height: 900 },
    deviceScaleFactor: 1,
    colorScheme: 'dark',
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  // The page's console, kept for diagnosing a failed run in CI.
  mkdirSync('test-results', { recursive: true });
  writeFileSync(CONSOLE_LOG, '');
  const note = (line: string) => appendFileSync(CONSOLE_LOG, `${new Date().toISOString()} ${line}\n`);
  page.on('pageerror', (error) => {
    errors.push(`pageerror: ${error.message}`);
    note(`pageerror: ${error.stack ?? error.message}`);
  });
  page.on('console', (message) => {
    note(`${message.type()}: ${message.text()}`);
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('request', (request) => {
    if (request.url().includes('/api/')) note(`request ${request.method()} ${request.url()} ${request.postData() ?? ''}`);
  });
  page.on('response', (response) => {
    if (response.url().includes('/api/')) note(`response ${response.status()} ${response.url()}`);
  });
  return {
    context,
    page,
    errors,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
