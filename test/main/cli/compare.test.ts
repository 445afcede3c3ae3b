// generate --compare's pure parts: where the extra images go, the plan before and after a run (the app's
// fewerStepsPlan), the refusals in the CLI's flags, and the printed verdict on what the cache bought.

import { describe, expect, it } from 'vitest';
import { besideOut, comparePlan, compareRefusal, comparisonBlock, NO_CACHE_REFUSAL, predictedPlan, probesNote, type ComparisonFields } from '../../../main/cli/compare.ts';
import type { ResolvedRequest } from '../../../main/core/request.ts';
import { entry } from '../../renderer/fixtures.ts';

/** A 12-step seed-rule run on an even schedule: at threshold 0.3 it computes CCCRRCRRCRRC, 6 forwards. */
const twelve = (cache: Partial<ResolvedRequest['cache']> = {}) => {
  const { request } = entry('run');
  return { request: { ...request, steps: 12, cache: { ...request.cache, threshold: 0.3, ...cache } }, timesteps: Array.from({ length: 13 }, (_, i) => 1 - i / 12) };
};

const refusalOf = (plan: ReturnType<typeof comparePlan> | undefined) => {
  if (!plan || !('problem' in plan)) throw new Error(`expected a refusal, got ${JSON.stringify(plan)}`);
  return plan;
};

describe('besideOut', () => {
  it('puts the uncached reference and the plain steps beside --out, named for what they are', () => {
    expect(besideOut('/x/heart.png', 'uncached')).toBe('/x/heart.uncached.png');
    expect(besideOut('/x/heart.PNG', { steps: 6 })).toBe('/x/heart.steps6.png');
  });
});

describe('predictedPlan', () => {
  it("plans, before the run, as many plain steps as a schedule-only rule will compute forwards", () => {
    expect(predictedPlan(twelve(), 'heart.png')).toEqual({ steps: 6 });
  });

  it('refuses an uncached run and one that will compute every step, and waits for the run where decisions depend on it', () => {
    expect(refusalOf(predictedPlan(twelve({ enabled: false }), 'heart.png')).problem).toBe('uncached');
    expect(refusalOf(predictedPlan(twelve({ threshold: 0 }), 'heart.png')).problem).toBe('all-computed');
    expect(predictedPlan(twelve({ policy: 'teacache' }), 'heart.png')).toBeUndefined();
  });
});

describe('comparePlan', () => {
  it("follows the run's record, as the app's plan does", () => {
    const { request } = twelve({ policy: 'teacache' });
    expect(comparePlan({ request, stats: { hits: 5, misses: 7, forwards: 7, forwardEquivalents: 7 } }, 'heart.png')).toEqual({ steps: 7 });
    expect(refusalOf(comparePlan({ request, stats: { hits: 0, misses: 12, forwards: 12, forwardEquivalents: 12 } }, 'heart.png')).problem).toBe('all-computed');
  });
});

describe('compareRefusal', () => {
  it("words each refusal in the CLI's flags, saying whether the decisions were predicted or made", () => {
    const run = twelve({ threshold: 0 });
    const plan = refusalOf(predictedPlan(run, 'heart.png'));
    expect(compareRefusal(plan, run.request, 'predicted')).toBe(
      '--compare: at threshold 0 (seed rule) this 12-step run computes every step, so the same forwards as plain steps would be the same run: nothing to compare. Raise --threshold so the cache skips steps.',
    );
    expect(compareRefusal(plan, run.request, 'ran')).toMatch(/^--compare: this run computed every one of its 12 steps \(the cache reused none\).*Raise --threshold/);
    expect(compareRefusal(refusalOf(predictedPlan(twelve({ enabled: false }), 'heart.png')), run.request, 'predicted')).toBe(NO_CACHE_REFUSAL);
    expect(NO_CACHE_REFUSAL).toMatch(/Drop --no-cache/);
  });
});

describe('comparisonBlock', () => {
  const cached = { request: twelve().request, stats: { hits: 6, misses: 6, forwards: 6, forwardEquivalents: 6 }, wallMs: 400 };
  const fields = (cache: ComparisonFields['baseline']['psnr'], plain: ComparisonFields['fewerSteps']['psnr'], cacheLeadDb: number | null): ComparisonFields => ({
    baseline: { file: '/x/heart.uncached.png', steps: 12, wallMs: 800, speedup: 2, psnr: cache, ssim: 0.98 },
    fewerSteps: { file: '/x/heart.steps6.png', steps: 6, wallMs: 390, psnr: plain, ssim: 0.9, cacheLeadDb },
  });

  it('gives the forwards, both speedups, both PSNR and SSIM figures, the files and what the cache bought', () => {
    const block = comparisonBlock(cached, fields(34.5, 26.25, 8.25));
    expect(block).toContain('6 forwards of 12 steps, 2.00× ideal, 2.00× measured (400 ms)\n');
    expect(block).toMatch(/PSNR 34\.50 dB {2}SSIM 0\.9800\n {2}plain steps {2}6 steps uncached, 390 ms\n +PSNR 26\.25 dB {2}SSIM 0\.9000\n/);
    expect(block).toContain('At the same 6 forwards the cache came 8.25 dB closer to the uncached image than 6 plain steps: that is what it bought.');
    expect(block).toContain('wrote /x/heart.uncached.png (the uncached reference) and /x/heart.steps6.png (the 6 plain steps)');
  });

  it('puts a measured speedup short of the ideal down to the warm-up the cached run paid, running first', () => {
    const short = fields(34.5, 26.25, 8.25);
    expect(comparisonBlock(cached, { ...short, baseline: { ...short.baseline, speedup: 1.6 } })).toContain('2.00× ideal, 1.60× measured (400 ms; it ran first, so it paid the warm-up)');
  });

  it('calls a measured speedup above the ideal timing noise', () => {
    const noisy = fields(34.5, 26.25, 8.25);
    expect(comparisonBlock(cached, { ...noisy, baseline: { ...noisy.baseline, speedup: 3.4 } })).toContain('2.00× ideal, 3.40× measured (400 ms; above the ideal, so timing noise: run again on a quieter machine)');
  });

  it('says so when plain steps came closer, when the two are even, and when the cache matched the reference exactly', () => {
    expect(comparisonBlock(cached, fields(20, 22.5, -2.5))).toContain('6 plain steps came 2.50 dB closer to the uncached image than the cache: at this setting fewer steps buy more.');
    expect(comparisonBlock(cached, fields(22.02, 22, 0))).toContain('the cache and 6 plain steps are as close to the uncached image (within 0.05 dB)');
    const identical = comparisonBlock(cached, fields('identical', 22, null));
    expect(identical).toContain("The cache's image is identical to the uncached one, at 6 forwards; 6 plain steps are at 22.00 dB.");
    expect(identical).toContain('PSNR identical  SSIM');
  });

  it("counts First-Block Cache's probes in the ideal speedup and says what they cost", () => {
    const probed = { ...cached, stats: { ...cached.stats, forwardEquivalents: 7.5 } };
    expect(probesNote(cached.stats)).toBe('');
    expect(comparisonBlock(probed, fields(30, 25, 5))).toContain("6 forwards (7.50 forward-equivalents with the reused steps' first blocks) of 12 steps, 1.60× ideal");
  });
});
