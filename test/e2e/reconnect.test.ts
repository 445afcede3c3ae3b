// The server dies mid-run and comes back: the page reconciles with the restarted host, says the run was lost and
// lets Generate run again, with no reload. Test-only.

import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type Browser } from './helpers/browser.ts';
import { startWebServer, type WebServer } from './helpers/web-server.ts';

let server: WebServer;
let browser: Browser;
const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 90_000, interval: 100 });

beforeAll(async () => {
  server = await startWebServer();
  browser = await launchBrowser();
  browser.page.setDefaultTimeout(90_000);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (server?.dataDir) rmSync(server.dataDir, { recursive: true, force: true });
});

describe('a server restart mid-run', () => {
  it('marks the lost run as lost and re-enables Generate once the server is back', async () => {
    if (process.env.E2E_BASE_URL) return;
    const { page } = browser;
    await page.goto(server.url);
    // A long run: the largest size, the most steps, no reuse.
    await page.getByRole('radio', { name: '64×64' }).click();
    const caching = page.getByRole('switch', { name: 'Step caching' });
    await caching.click();
    const steps = page.getByRole('slider', { name: 'Steps', exact: true });
    await steps.focus();
    await steps.press('End');
    await poll(() => steps.getAttribute('aria-valuetext')).toBe('100');
    await page.getByRole('button', { name: 'Generate' }).click();
    const progress = page.getByRole('progressbar', { name: 'Generation progress' });
    await poll(async () => Number(await progress.getAttribute('aria-valuenow'))).toBeGreaterThanOrEqual(2);

    const { port } = new URL(server.url);
    const dataDir = server.dataDir!;
    await server.kill();
    server = await startWebServer({ port: Number(port), dataDir });

    await page.getByText(/The engine restarted while this run was in progress/).waitFor();
    await page.getByRole('status').filter({ hasText: /^Stopped after \d+ of 100 steps/ }).waitFor();
    const generate = page.getByRole('button', { name: 'Generate' });
    await generate.waitFor();
    expect(await generate.isEnabled()).toBe(true);
    expect(await page.getByText('Cancelling…').count()).toBe(0);
    expect((await server.call<{ jobs: unknown[] }>('listJobs')).jobs).toEqual([]);
  });
});
