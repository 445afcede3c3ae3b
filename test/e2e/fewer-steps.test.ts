// What the cache bought, in Chromium against the real engine in web mode: a cached run on the built-in model,
// then "Same forwards as plain steps" (which says its PSNR needs the uncached reference), then the reference;
// the stage then shows the cache's PSNR beside that of as many plain steps as the run computed forwards, each
// the compare request's figure, and the plain-steps run has that many steps. Test-only.

import { describe, expect, it } from 'vitest';
import type { HistoryEntry, RequestOutput } from '../../main/core/contract.ts';
import { formatPsnr } from '../../renderer/lib/format.ts';
import { studioSession } from './helpers/studio-session.ts';

const studio = studioSession();

const history = async () => (await studio.server.call<{ entries: HistoryEntry[] }>('listHistory')).entries;
const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 90_000, interval: 100 });

describe('the cache against fewer steps', () => {
  it('runs the same forwards as plain steps and shows both PSNRs against the uncached reference', async () => {
    const { page } = studio.browser;
    await page.goto(studio.server.url);
    await page.getByRole('button', { name: 'Generate', exact: true }).waitFor();
    await page.getByRole('textbox', { name: 'Prompt', exact: true }).fill('red heart');
    await page.getByRole('radio', { name: '32×32' }).click();
    // A threshold at which the seed rule reuses some of the 30 steps.
    const threshold = page.getByRole('slider', { name: 'Threshold', exact: true });
    await threshold.focus();
    for (let i = 0; i < 5; i++) await threshold.press('ArrowRight');
    await page.getByRole('button', { name: 'Generate', exact: true }).click();
    await page.getByRole('group', { name: 'Wall time' }).waitFor();
    await poll(async () => (await history()).length).toBe(1);
    const [run] = await history();
    const forwards = run!.stats.forwards;
    expect(forwards).toBeGreaterThan(0);
    expect(forwards).toBeLessThan(run!.request.steps);

    await page.getByRole('button', { name: 'Same forwards as plain steps' }).click();
    const summary = page.getByTestId('fewer-steps-summary');
    await poll(() => summary.textContent()).toMatch(new RegExp(`^${forwards} plain steps ran at the same ${forwards} forwards\\. Both PSNRs need the uncached reference`));
    const plain = (await history()).find((e) => e.fewerStepsOf === run!.id)!;
    expect(plain.request).toMatchObject({ steps: forwards, seed: run!.request.seed, prompt: 'red heart', width: 32, height: 32, guidanceScale: run!.request.guidanceScale, cache: { enabled: false } });
    expect(plain.stats).toMatchObject({ hits: 0, misses: forwards });
    expect(plain.events).toHaveLength(forwards);

    await page.getByRole('button', { name: 'Run uncached reference' }).click();
    await page.getByRole('group', { name: 'PSNR', exact: true }).waitFor();
    const linked = (await history()).find((e) => e.id === run!.id)!;
    expect(linked.fewerSteps).toMatchObject({ id: plain.id, steps: forwards });
    const cachePsnr = (await studio.server.call<RequestOutput<'compare'>>('compare', { id: run!.id })).psnr;
    const plainPsnr = (await studio.server.call<RequestOutput<'compare'>>('compare', { id: plain.id, against: linked.baseline!.id })).psnr;
    expect(cachePsnr).toEqual(linked.baseline!.psnr);
    await poll(() => summary.textContent()).toMatch(`Cache: ${formatPsnr(cachePsnr)} · ${forwards} plain steps: ${formatPsnr(plainPsnr)} at the same ${forwards} forwards`);
    expect(await page.getByRole('group', { name: 'Plain steps', exact: true }).textContent()).toContain(formatPsnr(plainPsnr));
    // Both made runs sit under the cached one in the history.
    expect(await page.getByRole('list', { name: /^References of/ }).getByRole('listitem').count()).toBe(2);
    await page.screenshot({ path: 'test-results/fewer-steps.png' });
  });
});
