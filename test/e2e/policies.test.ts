// The prediction before a run equals the engine's decisions for every policy
// whose decisions are known in advance: Chromium picks each in the TeaCache
// panel of web mode, reads the predicted strip, generates, and compares with
// the run the engine recorded; for teacache, which reads the model, the strip
// replays a recorded run's signal. Test-only.

import { beforeAll, describe, expect, it } from 'vitest';
import type { HistoryEntry } from '../../main/core/contract.ts';
import { POLICY_NAMES } from '../../main/core/teacache/policy.ts';
import { readsScheduleOnly } from '../../main/core/teacache/create-policy.ts';
import { POLICY_LABELS } from '../../renderer/lib/labels.ts';
import { studioSession } from './helpers/studio-session.ts';

const studio = studioSession();

beforeAll(async () => {
  const { page } = studio.browser;
  await page.goto(studio.server.url);
  await page.getByRole('button', { name: 'Generate', exact: true }).waitFor();
  await page.getByRole('radio', { name: '32×32' }).click();
});


const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 90_000, interval: 100 });
const history = async () => (await studio.server.call<{ entries: HistoryEntry[] }>('listHistory')).entries;



const predictable = POLICY_NAMES.filter(readsScheduleOnly);

describe('the prediction is the engine’s decisions', () => {
  it('covers every policy known before the run: the timestep rules and MagCache', () => {
    expect(predictable).toEqual(['seed', 'timestep-consecutive', 'magcache']);
  });

  it.each(predictable)('%s: the strip before the run shows each step the engine then computes or reuses', async (policy) => {
    const { page } = studio.browser;
    await page.getByRole('combobox', { name: 'Policy' }).selectOption({ label: POLICY_LABELS[policy].label });
    const strip = page.locator('[data-predicted]');
    await poll(() => strip.count()).toBeGreaterThan(0);
    const predicted = await strip.evaluateAll((marks) => marks.map((mark) => (mark.getAttribute('data-predicted') === 'hit' ? '.' : 'C')).join(''));
    expect(predicted).toHaveLength(30);
    // Something is reused, or the comparison would hold for any rule.
    expect(predicted).toContain('.');

    const runsBefore = (await history()).length;
    await page.getByRole('button', { name: 'Generate', exact: true }).click();
    await poll(async () => (await history()).length).toBe(runsBefore + 1);
    const [run] = await history();
    expect(run!.request.cache).toMatchObject({ enabled: true, policy });
    expect(run!.events.map((event) => (event.computed ? 'C' : '.')).join('')).toBe(predicted);
    expect(studio.browser.errors).toEqual([]);
  });

  it('teacache: after a run, the strip replays that run’s recorded signal and shows exactly its decisions', async () => {
    const { page } = studio.browser;
    await page.getByRole('combobox', { name: 'Policy' }).selectOption({ label: POLICY_LABELS.teacache.label });
    const runsBefore = (await history()).length;
    await page.getByRole('button', { name: 'Generate', exact: true }).click();
    await poll(async () => (await history()).length).toBe(runsBefore + 1);
    const [run] = await history();
    expect(run!.request.cache).toMatchObject({ enabled: true, policy: 'teacache' });
    const decided = run!.events.map((event) => (event.computed ? 'C' : '.')).join('');
    expect(decided).toContain('.');
    const strip = page.locator('[data-predicted]');
    await poll(() => strip.evaluateAll((marks) => marks.map((mark) => (mark.getAttribute('data-predicted') === 'hit' ? '.' : 'C')).join(''))).toBe(decided);
    expect(studio.browser.errors).toEqual([]);
  });
});
