// Checkpoint models in the studio, end to end: Debian's Chromium opens the
// tiny Z-Image-Turbo and FLUX.2 klein folders (written by diffusers and
// transformers, see training/fixtures/) through web mode's model picker, and
// generates with each model's own defaults and megapixel sizes. Test-only.

import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EngineInfo, HistoryEntry } from '../../main/core/contract.ts';
import { studioSession } from './helpers/studio-session.ts';

const studio = studioSession();


const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 90_000, interval: 200 });
const history = async () => (await studio.server.call<{ entries: HistoryEntry[] }>('listHistory')).entries;

/** Opens `dir` from the model picker and waits until the engine serves `name`. */
async function openModel(dir: string, name: string): Promise<void> {
  const { page } = studio.browser;
  await page.getByRole('button', { name: 'Model', exact: true }).click();
  await page.getByRole('textbox', { name: 'Model folder path' }).fill(dir);
  await page.getByRole('button', { name: 'Open folder', exact: true }).click();
  await poll(async () => (await studio.server.call<EngineInfo>('getInfo')).model.name).toBe(name);
  await poll(() => page.getByRole('banner').textContent()).toContain(name);
  await page.getByRole('button', { name: 'Close', exact: true }).click();
}

/** The predicted reuses, after checking the strip predicts every one of `steps`. */
async function predictedHits(steps: number): Promise<number> {
  const { page } = studio.browser;
  const hits = await page.locator('[data-predicted="hit"]').count();
  expect(hits + (await page.locator('[data-predicted="miss"]').count())).toBe(steps);
  return hits;
}



describe('checkpoint folders in the studio', () => {
  it('Z-Image-Turbo loads from the model picker and generates at a megapixel-scale size with Turbo’s defaults', async () => {
    const { page } = studio.browser;
    await page.goto(studio.server.url);
    await page.getByRole('button', { name: 'Generate', exact: true }).waitFor();
    await openModel(resolve('test/fixtures/z-image-turbo'), 'Z-Image-Turbo');

    // Turbo's own settings, and the sizes of a model trained around a megapixel.
    const steps = page.getByRole('slider', { name: 'Steps', exact: true });
    await poll(() => steps.getAttribute('aria-valuetext')).toBe('9');
    expect(await page.getByRole('slider', { name: 'Guidance', exact: true }).getAttribute('aria-valuetext')).toBe('0');
    expect(await page.getByRole('radio', { name: '32×32' }).count()).toBe(0);
    await page.getByRole('radio', { name: '512×512' }).click();
    // The seed rule reads only the schedule, so the strip predicts all 9 steps before the run.
    const predicted = await predictedHits(9);

    await page.getByRole('textbox', { name: 'Prompt', exact: true }).fill('a red cat');
    await page.getByRole('button', { name: 'Generate', exact: true }).click();
    await poll(async () => (await history()).length).toBe(1);
    const [run] = await history();
    expect(run!.model.name).toBe('Z-Image-Turbo');
    expect(run!.request).toMatchObject({ prompt: 'a red cat', width: 512, height: 512, steps: 9, guidanceScale: 0 });
    expect(run!.stats.hits + run!.stats.misses).toBe(9);
    expect(run!.stats.hits).toBe(predicted);
    const image = page.getByRole('img', { name: 'Generated image: a red cat' });
    await poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(512);
    expect(studio.browser.errors).toEqual([]);
  });

  it('distilled FLUX.2 klein: guidance it ignores is disabled, and the strip says before the run how little 4 steps can skip', async () => {
    const { page } = studio.browser;
    await openModel(resolve('test/fixtures/flux2-klein'), 'FLUX.2 [klein]');
    const steps = page.getByRole('slider', { name: 'Steps', exact: true });
    await poll(() => steps.getAttribute('aria-valuetext')).toBe('4');
    expect(await page.getByRole('slider', { name: 'Guidance', exact: true }).isDisabled()).toBe(true);
    await page.getByRole('radio', { name: '512×512' }).click();
    const predicted = await predictedHits(4);
    expect(predicted).toBeLessThanOrEqual(1);
    await page.getByRole('note').filter({ hasText: /of its 4 steps/ }).waitFor();

    const runsBefore = (await history()).length;
    await page.getByRole('textbox', { name: 'Prompt', exact: true }).fill('a blue bird');
    await page.getByRole('button', { name: 'Generate', exact: true }).click();
    await poll(async () => (await history()).length).toBe(runsBefore + 1);
    const [run] = await history();
    expect(run!.model.name).toBe('FLUX.2 [klein]');
    expect(run!.request).toMatchObject({ prompt: 'a blue bird', width: 512, height: 512, steps: 4 });
    expect(run!.stats.hits).toBe(predicted);
    const image = page.getByRole('img', { name: 'Generated image: a blue bird' });
    await poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(512);
    expect(studio.browser.errors).toEqual([]);
  });
});
