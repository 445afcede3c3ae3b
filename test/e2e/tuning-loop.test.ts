// The tuning loop and the everyday features in Chromium at 1024×700, against the real engine in web mode: the
// threshold moves a predicted speedup that stays on screen before and after a run; Save downloads the stored
// PNG with its parameters chunk; "Use these settings" brings a run back; a batch of 3 queues consecutive seeds;
// a non-square size runs; axe-core finds no serious or critical violation; the README's screenshots (into docs/
// only with TEACACHE_SCREENSHOTS=1). Test-only.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { HistoryEntry } from '../../main/core/contract.ts';
import { studioSession } from './helpers/studio-session.ts';

const studio = studioSession({ viewport: { width: 1024, height: 700 } });


const history = async () => (await studio.server.call<{ entries: HistoryEntry[] }>('listHistory')).entries;
const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 90_000, interval: 100 });

/** True when the whole element is inside the viewport, as drawn (no scrolling needed to see it). */
async function inView(page: Page, locator: Locator): Promise<boolean> {
  const box = await locator.boundingBox();
  const viewport = page.viewportSize()!;
  return box !== null && box.y >= 0 && box.x >= 0 && box.y + box.height <= viewport.height && box.x + box.width <= viewport.width;
}

/** Moves the threshold slider by `presses` arrow keys (it moves in thousandths for teacache, hundredths otherwise). */
async function nudgeThreshold(page: Page, key: 'ArrowRight' | 'ArrowLeft', presses: number): Promise<void> {
  const threshold = page.getByRole('slider', { name: 'Threshold', exact: true });
  await threshold.focus();
  for (let i = 0; i < presses; i++) await threshold.press(key);
}

const speedup = (page: Page) => page.getByTestId('predicted-speedup');

/**
 * Where a README screenshot goes: docs/ only when asked (TEACACHE_SCREENSHOTS=1), since CI must leave tracked files
 * alone; else a folder of its own under test-results/ (studio.test.ts has a studio.png there).
 */
const docsScreenshot = (name: string) => join(process.env.TEACACHE_SCREENSHOTS === '1' ? 'docs' : 'test-results/docs', name);

async function runAxe(page: Page): Promise<{ id: string; impact: string; nodes: string[] }[]> {
  // Evaluated through the DevTools protocol: the page's CSP (scripts from 'self' only) would refuse a script tag.
  await page.evaluate(readFileSync(join(process.cwd(), 'node_modules/axe-core/axe.min.js'), 'utf8'));
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document, options: unknown): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')) }));
  });
}



describe('the tuning loop at 1024×700', () => {
  it('moving the threshold changes a predicted speedup that is on screen without scrolling, before and after a run', async () => {
    const { page } = studio.browser;
    await page.goto(studio.server.url);
    await page.getByRole('button', { name: 'Generate', exact: true }).waitFor();
    await page.getByRole('textbox', { name: 'Prompt', exact: true }).fill('red heart');
    await page.getByRole('radio', { name: '32×32' }).click();

    const before = await speedup(page).textContent();
    await nudgeThreshold(page, 'ArrowRight', 8);
    await poll(() => speedup(page).textContent()).not.toBe(before);
    expect(await inView(page, page.getByRole('slider', { name: 'Threshold', exact: true }))).toBe(true);
    expect(await inView(page, speedup(page))).toBe(true);

    await page.getByRole('button', { name: 'Generate', exact: true }).click();
    await page.getByRole('group', { name: 'Wall time' }).waitFor();
    // After the run the stage shows its result, and the sidebar still predicts the next one.
    const afterRun = await speedup(page).textContent();
    await nudgeThreshold(page, 'ArrowLeft', 8);
    await poll(() => speedup(page).textContent()).not.toBe(afterRun);
    expect(await inView(page, speedup(page))).toBe(true);
    expect(await inView(page, page.getByRole('slider', { name: 'Threshold', exact: true }))).toBe(true);
    // For the README: the TeaCache panel at the top of the sidebar, its threshold in reach of the prediction.
    await page.getByRole('heading', { name: 'TeaCache' }).evaluate((heading) => {
      const column = heading.closest('.sidebar-scroll')!;
      column.scrollTop += heading.getBoundingClientRect().top - column.getBoundingClientRect().top - 4;
      (document.activeElement as HTMLElement | null)?.blur();
    });
    expect(await page.evaluate(() => document.scrollingElement!.scrollTop)).toBe(0);
    await page.mouse.move(0, 0);
    await page.screenshot({ path: docsScreenshot('studio-1024.png') });
    expect(studio.browser.errors).toEqual([]);
  });

  it('saves the stored PNG, parameters chunk and all, as a download', async () => {
    const { page } = studio.browser;
    const [run] = await history();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Save…' }).click()]);
    expect(download.suggestedFilename()).toBe(`red-heart-seed-${run!.request.seed}.png`);
    const saved = readFileSync((await download.path())!);
    expect([...saved.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
    expect(saved.includes(Buffer.from('tEXtparameters'))).toBe(true);
    expect(saved.toString('latin1')).toContain(`Seed: ${run!.request.seed}`);
    await page.getByRole('status').filter({ hasText: /Downloaded red-heart/ }).waitFor();
  });

  it('copies the image to the clipboard, and zooms on it with crisp pixels', async () => {
    const { page, context } = studio.browser;
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(studio.server.url).origin });
    await page.getByRole('button', { name: 'Copy', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Image copied' }).waitFor();
    const types = await page.evaluate(async () => (await navigator.clipboard.read()).flatMap((item) => [...item.types]));
    expect(types).toContain('image/png');

    await page.getByRole('button', { name: 'Zoom', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Zoomed image' });
    const zoomed = dialog.getByRole('img');
    await poll(() => zoomed.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(32);
    expect((await zoomed.boundingBox())!.width).toBeGreaterThan(300);
    expect(await zoomed.evaluate((img) => getComputedStyle(img).imageRendering)).toBe('pixelated');
    // Esc closes the zoom and nothing else.
    await page.keyboard.press('Escape');
    await poll(() => dialog.count()).toBe(0);
  });

  it('"Use these settings" brings back a run’s prompt, seed, size and threshold', async () => {
    const { page } = studio.browser;
    const [run] = await history();
    await page.getByRole('textbox', { name: 'Prompt', exact: true }).fill('something else');
    await page.getByRole('spinbutton', { name: 'Seed' }).fill('999');
    await page.getByRole('radio', { name: '64×64' }).click();
    await nudgeThreshold(page, 'ArrowRight', 20);
    await page.getByRole('main', { name: 'Run' }).getByRole('button', { name: 'Use these settings' }).click();
    await poll(() => page.getByRole('textbox', { name: 'Prompt', exact: true }).inputValue()).toBe(run!.request.prompt);
    expect(await page.getByRole('spinbutton', { name: 'Seed' }).inputValue()).toBe(String(run!.request.seed));
    expect(await page.getByRole('radio', { name: '32×32' }).getAttribute('aria-checked')).toBe('true');
    const shown = await page.getByRole('slider', { name: 'Threshold', exact: true }).getAttribute('aria-valuetext');
    expect(Number(shown)).toBeCloseTo(run!.request.cache.threshold, 3);
  });

  it('a batch of 3 queues three images with consecutive seeds, shown in the queue, all filed in history', async () => {
    const { page } = studio.browser;
    const runsBefore = (await history()).length;
    const seed = Number(await page.getByRole('spinbutton', { name: 'Seed' }).inputValue());
    await page.getByRole('combobox', { name: 'Images per Generate' }).selectOption('3');
    await page.getByRole('button', { name: 'Generate 3', exact: true }).click();
    await page.getByRole('region', { name: 'Queue' }).waitFor();
    await page.screenshot({ path: 'test-results/queue-1024.png' });
    await poll(async () => (await history()).length).toBe(runsBefore + 3);
    const seeds = (await history()).slice(0, 3).map((e) => e.request.seed).sort((a, b) => a - b);
    expect(seeds).toEqual([seed, seed + 1, seed + 2]);
    await poll(() => page.getByRole('region', { name: 'Queue' }).count()).toBe(0);
    await page.getByRole('combobox', { name: 'Images per Generate' }).selectOption('1');
    expect(studio.browser.errors).toEqual([]);
  });

  it('makes a non-square image (64×32) at its shape', async () => {
    const { page } = studio.browser;
    const runsBefore = (await history()).length;
    await page.getByRole('radio', { name: '64×32' }).click();
    await page.getByRole('button', { name: 'Generate', exact: true }).click();
    await poll(async () => (await history()).length).toBe(runsBefore + 1);
    const [run] = await history();
    expect([run!.width, run!.height]).toEqual([64, 32]);
    const image = page.getByRole('img', { name: `Generated image: ${run!.request.prompt}` });
    await poll(() => image.evaluate((img: HTMLImageElement) => img.complete && [img.naturalWidth, img.naturalHeight].join('×'))).toBe('64×32');
    const box = (await image.boundingBox())!;
    expect(box.width / box.height).toBeCloseTo(2, 1);
    await page.getByRole('radio', { name: '32×32' }).click();
  });

  it('passes axe-core with no serious or critical violation, and takes the 1440×900 screenshot', async () => {
    const { page } = studio.browser;
    // A measured run shows every tile and the comparison.
    await page.getByRole('button', { name: 'Run uncached reference' }).click();
    await page.getByRole('group', { name: 'PSNR' }).waitFor();
    expect(await runAxe(page)).toEqual([]);
    // The charts are pictures with text summaries, not tab stops (recharts' tooltip boxes take tabindex -1 only).
    expect(await page.locator('.chart [tabindex]:not([tabindex^="-"])').count()).toBe(0);
    expect(await page.locator('.chart .visually-hidden').count()).toBe(3);
    // Switching to the difference map moves nothing: the same two figures, the same size, the legend under one.
    const compare = page.locator('.compare');
    const sideBySide = (await compare.boundingBox())!;
    await page.getByRole('radio', { name: 'Difference' }).click();
    await page.getByRole('img', { name: 'Difference from the uncached reference' }).waitFor();
    await page.getByText(/of 255$/).waitFor();
    const difference = (await compare.boundingBox())!;
    expect(Math.abs(difference.width - sideBySide.width)).toBeLessThanOrEqual(2);
    expect(Math.abs(difference.height - sideBySide.height)).toBeLessThanOrEqual(2);
    expect(await runAxe(page)).toEqual([]);
    await page.screenshot({ path: 'test-results/difference-1024.png' });
    await page.getByRole('radio', { name: 'Side by side' }).click();
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.getByRole('img', { name: 'Uncached reference image' }).waitFor();
    await poll(() => page.getByRole('img', { name: 'Uncached reference image' }).evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
    expect(await runAxe(page)).toEqual([]);
    // For the README: both columns from their top.
    for (const region of [page.getByRole('main', { name: 'Run' }), page.locator('.sidebar-scroll')]) await region.evaluate((el) => el.scrollTo(0, 0));
    await page.mouse.move(0, 0);
    await page.screenshot({ path: docsScreenshot('studio.png') });
    await page.setViewportSize({ width: 1024, height: 700 });
    expect(studio.browser.errors).toEqual([]);
  });
});
