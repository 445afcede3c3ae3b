// A checkpoint model in the studio, end to end: Debian's Chromium opens the
// tiny Z-Image-Turbo folder (written by diffusers and transformers, see
// training/fixtures/) through web mode's model picker, and generates with the
// model's own defaults and megapixel sizes. Test-only.

import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineInfo, HistoryEntry } from '../../main/core/contract.ts';
import { launchBrowser, type Browser } from './helpers/browser.ts';
import { startWebServer, type WebServer } from './helpers/web-server.ts';

let server: WebServer;
let browser: Browser;

const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 90_000, interval: 200 });
const history = async () => (await server.call<{ entries: HistoryEntry[] }>('listHistory')).entries;

beforeAll(async () => {
  server = await startWebServer();
  browser = await launchBrowser();
  browser.page.setDefaultTimeout(90_000);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('a Z-Image-Turbo folder in the studio', () => {
  it('loads from the model picker and generates at a megapixel-scale size with Turbo’s defaults', async () => {
    const { page } = browser;
    const dir = resolve('test/fixtures/z-image-turbo');
    await page.goto(server.url);
    await page.getByRole('button', { name: 'Generate', exact: true }).waitFor();

    await page.getByRole('button', { name: 'Model', exact: true }).click();
    await page.getByRole('textbox', { name: 'Model folder path' }).fill(dir);
    await page.getByRole('button', { name: 'Open folder', exact: true }).click();
    await poll(async () => (await server.call<EngineInfo>('getInfo')).model.name).toBe('Z-Image-Turbo');
    await poll(() => page.getByRole('banner').textContent()).toContain('Z-Image-Turbo');
    await page.getByRole('button', { name: 'Close', exact: true }).click();

    // Turbo's own settings, and the sizes of a model trained around a megapixel.
    const steps = page.getByRole('slider', { name: 'Steps', exact: true });
    await poll(() => steps.getAttribute('aria-valuetext')).toBe('9');
    expect(await page.getByRole('slider', { name: 'Guidance', exact: true }).getAttribute('aria-valuetext')).toBe('0');
    expect(await page.getByRole('radio', { name: '32×32' }).count()).toBe(0);
    await page.getByRole('radio', { name: '512×512' }).click();
    // The seed rule reads only the schedule, so the strip predicts all 9 steps before the run.
    const predictedHits = await page.locator('[data-predicted="hit"]').count();
    expect(predictedHits + (await page.locator('[data-predicted="miss"]').count())).toBe(9);

    await page.getByRole('textbox', { name: 'Prompt', exact: true }).fill('a red cat');
    await page.getByRole('button', { name: 'Generate', exact: true }).click();
    await poll(async () => (await history()).length).toBe(1);
    const [run] = await history();
    expect(run!.model.name).toBe('Z-Image-Turbo');
    expect(run!.request).toMatchObject({ prompt: 'a red cat', width: 512, height: 512, steps: 9, guidanceScale: 0 });
    expect(run!.stats.hits + run!.stats.misses).toBe(9);
    expect(run!.stats.hits).toBe(predictedHits);
    const image = page.getByRole('img', { name: 'Generated image: a red cat' });
    await poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(512);
    expect(browser.errors).toEqual([]);
  });
});
