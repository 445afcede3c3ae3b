// The studio end to end: Debian's Chromium drives web mode against the real
// engine — prompt, threshold, generate, chart marks against the engine's stats,
// Cancel, history after a reload, a screenshot, a refused model folder, and calibrating the model with a tiny
// prompt set. Test-only.

import { mkdirSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EngineInfo, HistoryEntry } from '../../main/core/contract.ts';
import { studioSession } from './helpers/studio-session.ts';

const studio = studioSession();

const PROMPT = 'red heart';
const SCREENSHOT = 'test-results/studio.png';

let initialRuns = 0;

const history = async () => (await studio.server.call<{ entries: HistoryEntry[] }>('listHistory')).entries;
const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 90_000, interval: 100 });

beforeAll(async () => {
  initialRuns = (await history()).length;
});



describe('TeaCache Studio in Chromium', () => {
  it('generates with a moved threshold; the chart shows exactly the engine’s hits and misses', async () => {
    const { page } = studio.browser;
    await page.goto(studio.server.url);
    await page.getByRole('button', { name: 'Generate' }).waitFor();

    await page.getByRole('textbox', { name: 'Prompt', exact: true }).fill(PROMPT);
    // The smallest size keeps a 30-step run to a couple of seconds on 2 cores.
    await page.getByRole('radio', { name: '32×32' }).click();

    const threshold = page.getByRole('slider', { name: 'Threshold', exact: true });
    const before = await threshold.getAttribute('aria-valuetext');
    await threshold.focus();
    for (let i = 0; i < 5; i++) await threshold.press('ArrowRight');
    await poll(() => threshold.getAttribute('aria-valuetext')).toBe('0.15');
    expect(before).toBe('0.1');
    const predictedHits = await page.locator('[data-predicted="hit"]').count();
    const predictedMisses = await page.locator('[data-predicted="miss"]').count();
    expect(predictedHits + predictedMisses).toBe(30);

    await page.getByRole('button', { name: 'Generate' }).click();
    // The finished run replaces the live view; its stats tiles carry the engine's numbers.
    await page.getByRole('group', { name: 'Wall time' }).waitFor();
    await poll(async () => (await history()).length).toBe(initialRuns + 1);
    const [run] = await history();
    expect(run!.request).toMatchObject({ prompt: PROMPT, width: 32, steps: 30, cache: { enabled: true, threshold: 0.15 } });
    expect(run!.stats.hits + run!.stats.misses).toBe(30);
    expect(run!.stats.hits).toBeGreaterThan(0);

    const hitMarks = page.getByRole('img', { name: /reused \(cache hit\)/ });
    const missMarks = page.getByRole('img', { name: /computed \(cache miss\)/ });
    await poll(() => hitMarks.count()).toBe(run!.stats.hits);
    expect(await missMarks.count()).toBe(run!.stats.misses);
    // The seed rule reads only the schedule, so the prediction shown before the run was exact.
    expect(predictedHits).toBe(run!.stats.hits);

    const image = page.getByRole('img', { name: `Generated image: ${PROMPT}` });
    await image.waitFor();
    await poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(32);
    expect(await page.getByRole('group', { name: 'Reused' }).textContent()).toContain(String(run!.stats.hits));
  });

  it('cancels a run partway: it stops, and nothing is added to history', async () => {
    const { page } = studio.browser;
    const runsBefore = (await history()).length;
    // The largest size, the most steps and no reuse: a run far longer than the round trip of Cancel, even on a busy machine.
    await page.getByRole('radio', { name: '64×64' }).click();
    const caching = page.getByRole('switch', { name: 'Step caching' });
    await caching.click();
    await poll(() => caching.getAttribute('aria-checked')).toBe('false');
    const steps = page.getByRole('slider', { name: 'Steps', exact: true });
    await steps.focus();
    await steps.press('End');
    await poll(() => steps.getAttribute('aria-valuetext')).toBe('100');

    await page.getByRole('button', { name: 'Generate' }).click();
    const progress = page.getByRole('progressbar', { name: 'Generation progress' });
    await progress.waitFor();
    // Cancel once the first steps have arrived, so the run is truly under way.
    await poll(async () => Number(await progress.getAttribute('aria-valuenow'))).toBeGreaterThanOrEqual(2);
    // The stage's Cancel exists only while the run is active (the sidebar's turns back into Generate in place).
    // A real pointer click: while the tiny model's 100 fast steps stream in, the page must still take input.
    await page.getByRole('main', { name: 'Run' }).getByRole('button', { name: 'Cancel' }).click();

    const status = page.getByRole('status').filter({ hasText: /^Cancelled after/ });
    await status.waitFor();
    const text = (await status.textContent()) ?? '';
    const done = Number(/after (\d+) of 100/.exec(text)?.[1]);
    expect(done).toBeGreaterThanOrEqual(2);
    expect(done).toBeLessThan(100);
    await poll(async () => (await studio.server.call<{ jobs: unknown[] }>('listJobs')).jobs.length).toBe(0);
    expect((await history()).length).toBe(runsBefore);
    await page.getByRole('button', { name: 'Generate' }).waitFor();

    await steps.focus();
    await steps.press('Home');
    for (let i = 0; i < 26; i++) await steps.press('ArrowRight');
    await poll(() => steps.getAttribute('aria-valuetext')).toBe('30');
    await page.getByRole('radio', { name: '32×32' }).click();
    await caching.click();
    await poll(() => caching.getAttribute('aria-checked')).toBe('true');
  });

  it('keeps the run in history across a reload, with its image and chart', async () => {
    const { page } = studio.browser;
    const [run] = await history();
    await page.reload();
    const runs = page.getByRole('list', { name: 'Runs' });
    await runs.waitFor();
    await poll(() => runs.getByRole('listitem').count()).toBe(initialRuns + 1);
    await expect(runs.getByRole('button', { name: new RegExp(`^${PROMPT}`) }).count()).resolves.toBeGreaterThan(0);

    await page.getByRole('group', { name: 'Wall time' }).waitFor();
    await poll(() => page.getByRole('img', { name: /reused \(cache hit\)/ }).count()).toBe(run!.stats.hits);
    // The settings came back too (kept in the renderer's storage).
    expect(await page.getByRole('slider', { name: 'Threshold', exact: true }).getAttribute('aria-valuetext')).toBe('0.15');
  });

  it('measures against the uncached run on request and saves a screenshot', async () => {
    const { page } = studio.browser;
    // The engine is warm by now; a fresh cached run makes the timing comparison fair (the first run paid for warm-up).
    const runsBefore = (await history()).length;
    await page.getByRole('button', { name: 'Generate' }).click();
    await poll(async () => (await history()).length).toBe(runsBefore + 1);
    const [fresh] = await history();
    await page.getByRole('main', { name: 'Run' }).locator(`[data-run-id="${fresh!.id}"]`).waitFor();
    await page.getByRole('button', { name: 'Run uncached reference' }).click();
    await page.getByRole('group', { name: 'PSNR' }).waitFor();
    const [cached] = (await history()).filter((e) => e.baselineOf === null);
    expect(cached!.id).toBe(fresh!.id);
    expect(cached!.baseline).not.toBeNull();
    expect(await page.getByRole('group', { name: 'Speedup', exact: true }).textContent()).toContain('×');
    await page.getByRole('img', { name: 'Uncached reference image' }).waitFor();

    await page.getByRole('radio', { name: 'Difference' }).click();
    await page.getByRole('img', { name: 'Difference from the uncached reference' }).waitFor();
    await page.getByRole('radio', { name: 'Side by side' }).click();
    await page.getByRole('img', { name: 'Uncached reference image' }).waitFor();
    await poll(() => page.getByRole('img', { name: 'Uncached reference image' }).evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);

    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
    expect(studio.browser.errors).toEqual([]);
  });

  it('refuses a model folder that does not exist, naming it, and keeps the loaded model', async () => {
    const { page } = studio.browser;
    const missing = '/nonexistent/teacache-e2e-model';
    await page.getByRole('button', { name: 'Model', exact: true }).click();
    await page.getByRole('textbox', { name: 'Model folder path' }).fill(missing);
    await page.getByRole('button', { name: 'Open folder', exact: true }).click();
    const refusal = page.getByRole('alert').filter({ hasText: missing });
    await refusal.waitFor();
    expect(await refusal.textContent()).toContain(`${missing}: The model folder ${missing} does not exist.`);
    expect(await studio.server.call('getModelSource')).toEqual({ kind: 'builtin', dir: null, note: null });
    await page.getByRole('button', { name: 'Close', exact: true }).click();
    await page.getByRole('button', { name: 'Generate' }).waitFor();
    expect(studio.browser.errors).toEqual([]);
  });

  it('calibrates the model from the TeaCache panel; the teacache policy then uses the fit', async () => {
    const { page } = studio.browser;
    await page.locator('summary', { hasText: /^Calibration$/ }).click();
    // Four prompts of 6 steps: the 20 step pairs a degree-4 fit needs at least, a few seconds on 2 cores.
    await page.getByRole('textbox', { name: 'Calibration prompts' }).fill('red apple\nblue fish\ngreen tree\nyellow sun');
    const steps = page.getByRole('slider', { name: 'Calibration steps' });
    await steps.focus();
    await steps.press('Home');
    await steps.press('ArrowRight');
    await steps.press('ArrowRight');
    await poll(() => steps.getAttribute('aria-valuetext')).toBe('6');
    await page.getByRole('button', { name: 'Calibrate for this model' }).click();

    const fit = page.getByRole('group', { name: 'Calibration fit' });
    await fit.waitFor();
    expect(await fit.getByRole('status').textContent()).toContain('The teacache policy now uses this polynomial');
    const { model } = await studio.server.call<EngineInfo>('getInfo');
    expect(model.calibration).not.toBeNull();
    expect(model.calibration!.fit.samples).toBe(20);
    expect(model.defaults.teacache.coefficients).toEqual(model.calibration!.coefficients);
    expect(await page.getByLabel('Polynomial in use').textContent()).toContain(`R² ${model.calibration!.fit.r2.toFixed(3)}`);
    await fit.scrollIntoViewIfNeeded();
    await page.getByRole('complementary', { name: 'Settings' }).screenshot({ path: 'test-results/calibration.png' });
    expect(studio.browser.errors).toEqual([]);
  });
});
