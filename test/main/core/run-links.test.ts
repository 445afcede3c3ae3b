// The links between history entries: which run an uncached reference or a plain-steps run measures, clearing
// every link to a deleted run, how many plain steps spend a cached run's forwards (or why none can), and what
// the cache bought over them.

import { describe, expect, it } from 'vitest';
import { cacheLeadDb, fewerStepsPlan, measuredRunOf, withoutLinksTo } from '../../../main/core/run-links.ts';
import { fewerStepsRequest, uncachedRequest } from '../../../main/core/request.ts';
import { entry } from '../../renderer/fixtures.ts';
import type { HistoryEntry } from '../../../main/core/contract.ts';

/** A 30-step cached run that computed 7 forwards. */
const cached = (overrides: Partial<HistoryEntry> = {}) => entry('run', { stats: { hits: 23, misses: 7, forwards: 7 }, ...overrides });

describe('measuredRunOf', () => {
  it('names the run a reference or a plain-steps run measures, and null for a run of its own or an old entry', () => {
    expect(measuredRunOf({ baselineOf: 'a' })).toBe('a');
    expect(measuredRunOf({ baselineOf: null, fewerStepsOf: 'b' })).toBe('b');
    expect(measuredRunOf({ baselineOf: null, fewerStepsOf: null })).toBeNull();
    expect(measuredRunOf({ baselineOf: null })).toBeNull();
  });
});

describe('withoutLinksTo', () => {
  it('clears each kind of link to the deleted run and leaves other links alone', () => {
    const run = cached({ baseline: { id: 'base', wallMs: 10, speedup: 2, psnr: 30 }, fewerSteps: { id: 'plain', steps: 7, wallMs: 5 } });
    expect(withoutLinksTo(run, 'base')).toEqual({ ...run, baseline: null });
    expect(withoutLinksTo(run, 'plain')).toEqual({ ...run, fewerSteps: null });
    expect(withoutLinksTo(entry('b', { baselineOf: 'run' }), 'run')?.baselineOf).toBeNull();
    expect(withoutLinksTo(entry('p', { fewerStepsOf: 'run' }), 'run')?.fewerStepsOf).toBeNull();
  });

  it('says undefined for an entry with no link to it, old entries included', () => {
    expect(withoutLinksTo(cached({ fewerSteps: { id: 'plain', steps: 7, wallMs: 5 } }), 'other')).toBeUndefined();
    expect(withoutLinksTo(entry('old'), 'run')).toBeUndefined();
  });
});

describe('fewerStepsPlan', () => {
  it('spends the forwards the record counts as plain steps', () => {
    expect(fewerStepsPlan(cached())).toEqual({ steps: 7 });
    // A forward is a computed step whatever the guidance: CFG's pair counts once, as every step of the plain run does.
    expect(fewerStepsPlan(cached({ request: { ...cached().request, guidanceMode: 'none' } }))).toEqual({ steps: 7 });
  });

  it('refuses, saying why, where there is nothing to compare', () => {
    const uncached = cached({ request: { ...cached().request, cache: { ...cached().request.cache, enabled: false } } });
    const cases: [ReturnType<typeof cached>, string, RegExp][] = [
      [uncached, 'uncached', /ran uncached already: all its 30 steps are plain steps/],
      [cached({ baselineOf: 'other' }), 'is-reference', /uncached reference of run other/],
      [cached({ fewerStepsOf: 'other' }), 'is-fewer-steps', /itself the plain-steps run of run other/],
      [cached({ stats: { hits: 30, misses: 0, forwards: 0 } }), 'no-forwards', /computed no forward.*at least 1 step/],
      [cached({ stats: { hits: 0, misses: 30, forwards: 30 } }), 'all-computed', /computed every one of its 30 steps.*nothing to compare/],
    ];
    for (const [run, problem, message] of cases) expect(fewerStepsPlan(run)).toEqual({ problem, message: expect.stringMatching(message) });
  });
});

describe('fewerStepsRequest', () => {
  it('is the uncached request at the given steps, every other setting the same', () => {
    const { request } = cached();
    expect(fewerStepsRequest(request, 7)).toEqual({ ...uncachedRequest(request), steps: 7 });
    expect(fewerStepsRequest(request, 7).cache?.enabled).toBe(false);
  });
});

describe('cacheLeadDb', () => {
  it('gives the dB the cache came closer to the uncached image than plain steps, either way', () => {
    expect(cacheLeadDb(31.25, 22)).toBeCloseTo(9.25, 10);
    expect(cacheLeadDb(20, 22.5)).toBeCloseTo(-2.5, 10);
  });

  it('calls a gap under 0.05 dB even, and gives no gap where either image matched the uncached one', () => {
    expect(cacheLeadDb(30.04, 30)).toBe(0);
    expect(cacheLeadDb(30, 30.04)).toBe(0);
    expect(cacheLeadDb(30.06, 30)).toBeCloseTo(0.06, 10);
    expect(cacheLeadDb('identical', 22)).toBeNull();
    expect(cacheLeadDb(22, 'identical')).toBeNull();
  });
});
