// The UI's predictions against the seed rule worked by hand and the engine's other policies; pure, no DOM.

import { describe, expect, it } from 'vitest';
import { draftDefaults, type Draft } from '../../../renderer/lib/draft.ts';
import { aimFor, predictRun, thresholdForTarget, type RunPrediction } from '../../../renderer/lib/prediction.ts';
import { FLUX1_MAG_RATIOS } from '../../../main/core/teacache/magcache-policy.ts';
import { entry, MODEL } from '../fixtures.ts';

const base = draftDefaults(MODEL);
const withCache = (patch: Partial<Draft['cache']>, draft: Partial<Draft> = {}): Draft => ({ ...base, ...draft, cache: { ...base.cache, ...patch } });

function predicted(draft: Draft): RunPrediction {
  const result = predictRun(MODEL, draft);
  if ('error' in result) throw new Error(result.error);
  if ('unavailable' in result) throw new Error(result.unavailable);
  return result;
}

const pattern = (p: RunPrediction) => p.steps.map((s) => (s.compute ? 'C' : 'r')).join('');

describe('predictRun', () => {
  it('reproduces the seed rule by hand: distance to the last computed step, strict comparison', () => {
    // Linear schedule, 30 steps: t moves 1/30 a step. After a computed step the
    // accumulator gains 1/30, then 2/30 (distance to that step), so it reaches
    // 0.1 after two reuses and passes 0.15 on the third step.
    const p = predicted(withCache({ threshold: 0.15 }));
    expect(pattern(p)).toBe(`CCC${'rrC'.repeat(9)}`);
    expect(p.forwards).toBe(12);
    expect(p.reused).toBe(18);
    expect(p.speedup).toBeCloseTo(2.5, 10);
    expect(p.steps.slice(0, 3).map((s) => s.reason)).toEqual(['first-step', 'skip-early', 'skip-early']);
    expect(p.steps[5]).toMatchObject({ compute: true, reason: 'threshold' });
    expect(p.steps[5]!.accumulated).toBeCloseTo(0.2, 6);
  });

  it('resolves skip-early like the engine: 3 under true CFG, 0 without guidance', () => {
    expect(predicted(withCache({ threshold: 0.5 })).request.cache.skipEarlySteps).toBe(3);
    const noGuidance = predicted(withCache({ threshold: 0.5 }, { guidanceScale: 1 }));
    expect(noGuidance.request.guidanceMode).toBe('none');
    expect(noGuidance.request.cache.skipEarlySteps).toBe(0);
    expect(noGuidance.steps[1]!.compute).toBe(false);
    const explicit = predicted(withCache({ threshold: 0.5, skipEarlySteps: 7 }));
    expect(pattern(explicit).slice(0, 8)).toBe('CCCCCCCr');
  });

  it('reuses more as the threshold rises (the seed rule: higher threshold, more reuse)', () => {
    let previous = -1;
    for (let threshold = 0; threshold <= 1; threshold += 0.05) {
      const { reused } = predicted(withCache({ threshold }));
      expect(reused).toBeGreaterThanOrEqual(previous);
      previous = reused;
    }
    expect(predicted(withCache({ threshold: 0 })).reused).toBe(0);
    expect(previous).toBeGreaterThan(20);
  });

  it('reuses less as rescale grows, since each distance counts for more', () => {
    const gentle = predicted(withCache({ threshold: 0.2, rescaleFactor: 0.5 }));
    const strict = predicted(withCache({ threshold: 0.2, rescaleFactor: 2 }));
    expect(gentle.reused).toBeGreaterThan(strict.reused);
  });

  it('predicts every step computed with the cache off', () => {
    const p = predicted(withCache({ enabled: false, threshold: 0.9 }));
    expect(p.forwards).toBe(30);
    expect(p.reused).toBe(0);
    expect(p.speedup).toBe(1);
    expect(p.threshold).toBeNull();
    expect(p.steps.every((s) => s.reason === 'cache-off')).toBe(true);
  });

  it('follows the step count', () => {
    expect(predicted(withCache({}, { steps: 12 })).steps).toHaveLength(12);
  });

  it('returns the engine’s own message for a size the model cannot make', () => {
    const result = predictRun(MODEL, { ...base, width: 30, height: 30 });
    expect(result).toEqual({ error: expect.stringMatching(/width 30 .*multiple of 4/) });
  });
});

describe('predictRun with other policies', () => {
  it('predicts the step-to-step timestep rule exactly, and it reuses more than the seed’s at the same threshold', () => {
    // Step-to-step distances stay at 1/30, so 0.15 fires on the fifth reuse-candidate step.
    const consecutive = predicted(withCache({ policy: 'timestep-consecutive', threshold: 0.15 }));
    expect(consecutive.exact).toBe(true);
    expect(pattern(consecutive).slice(0, 9)).toBe('CCCrrrrCr');
    expect(consecutive.reused).toBeGreaterThan(predicted(withCache({ threshold: 0.15 })).reused);
  });

  it('applies the window, the cap on reuses in a row and the last-step rule', () => {
    const p = predicted(withCache({ threshold: 0.9, maxConsecutiveReuses: 2, alwaysComputeLast: true, endFraction: 0.5 }));
    const shape = pattern(p);
    expect(shape.slice(0, 9)).toBe('CCCrrCrrC');
    expect(shape.slice(15)).toBe('C'.repeat(15));
    expect(p.steps[15]!.reason).toBe('outside-window');
  });

  it('needs a recorded signal trace for the teacache policy, and replays the newest one with the same steps', () => {
    const draft = withCache({ policy: 'teacache', threshold: 0.4 });
    const none = predictRun(MODEL, draft, []);
    expect(none).toMatchObject({ unavailable: expect.stringMatching(/recorded run/) });

    const signals = Array.from({ length: 30 }, (_, i) => (i === 0 ? undefined : 0.05));
    const recorded = entry('run7', { events: entry('x').events.map((e, i) => ({ ...e, ...(signals[i] === undefined ? {} : { signal: signals[i] }) })) });
    const wrongSteps = entry('run8', { request: { ...recorded.request, steps: 12 } });
    const p = predictRun(MODEL, draft, [wrongSteps, recorded]);
    if (!('steps' in p)) throw new Error('expected a prediction');
    expect(p.exact).toBe(false);
    expect(p.traceFrom?.id).toBe('run7');
    expect(p.forwards + p.reused).toBe(30);
    expect(p.steps[29]).toMatchObject({ compute: true });
  });

  it("passes the teacache policy's accumulation through: summing since the last compute reuses less at the same threshold", () => {
    const signals = Array.from({ length: 30 }, (_, i) => (i === 0 ? undefined : 0.05));
    const recorded = entry('run9', { events: entry('x').events.map((e, i) => ({ ...e, ...(signals[i] === undefined ? {} : { signal: signals[i] }) })) });
    const forwards = (accumulate: Draft['cache']['accumulate']) => {
      const p = predictRun(MODEL, withCache({ policy: 'teacache', threshold: 0.6, accumulate }), [recorded]);
      if (!('steps' in p)) throw new Error('expected a prediction');
      return p.forwards;
    };
    expect(forwards('since-compute')).toBeGreaterThan(forwards('consecutive'));
  });
});

describe('thresholdForTarget', () => {
  it('finds the lowest seed-rule threshold predicted to reach the speed, as the prediction then confirms', () => {
    const answer = thresholdForTarget(MODEL, base, [], 2);
    if (!('threshold' in answer)) throw new Error('expected a threshold');
    expect(answer.reachable).toBe(true);
    const at = predicted(withCache({ threshold: answer.threshold }));
    expect(at.speedup).toBeGreaterThanOrEqual(2);
    expect(at.speedup).toBe(answer.speedup);
    // A little lower and the speed is missed: no better quality gives it.
    expect(predicted(withCache({ threshold: answer.threshold * 0.9 })).speedup).toBeLessThan(2);
  });

  it('needs a recorded run for the teacache policy, then replays it', () => {
    const draft = withCache({ policy: 'teacache' });
    expect(thresholdForTarget(MODEL, draft, [], 2)).toMatchObject({ unavailable: expect.stringMatching(/Generate once/) });
    const signals = Array.from({ length: 30 }, (_, i) => (i === 0 ? undefined : 0.05));
    const recorded = entry('run10', { events: entry('x').events.map((e, i) => ({ ...e, ...(signals[i] === undefined ? {} : { signal: signals[i] }) })) });
    const answer = thresholdForTarget(MODEL, draft, [recorded], 2);
    if (!('threshold' in answer)) throw new Error('expected a threshold');
    const p = predictRun(MODEL, withCache({ policy: 'teacache', threshold: answer.threshold }), [recorded]);
    if (!('steps' in p)) throw new Error('expected a prediction');
    expect(p.speedup).toBeGreaterThanOrEqual(2);
  });

  it('says when the speed is out of reach and stays within the slider', () => {
    // Capped at one reuse in a row, nothing beats 2×.
    const answer = thresholdForTarget(MODEL, withCache({ maxConsecutiveReuses: 1 }), [], 4);
    expect(answer).toMatchObject({ reachable: false });
    if (!('threshold' in answer)) throw new Error('expected a threshold');
    expect(answer.threshold).toBeLessThanOrEqual(1);
    expect(answer.speedup).toBeLessThanOrEqual(2);
  });

  it("returns the engine's message for settings it refuses", () => {
    expect(thresholdForTarget(MODEL, withCache({}, { width: 50, height: 50 }), [], 2)).toMatchObject({ error: expect.any(String) });
  });
});

describe('the published methods in the UI', () => {
  it('predicts magcache exactly from its ratios before any run, as the engine decides', () => {
    const p = predicted(withCache({ policy: 'magcache', threshold: 0.06, skipEarlySteps: 2 }));
    expect(p.exact).toBe(true);
    expect(p.request.cache.magRatios).toEqual([...FLUX1_MAG_RATIOS]);
    expect(p.steps.slice(0, 2).every((s) => s.compute)).toBe(true);
    expect(p.reused).toBeGreaterThan(0);
  });

  it.each(['first-block', 'easycache'] as const)('says up front that %s has no pattern before the run', (policy) => {
    const result = predictRun(MODEL, withCache({ policy, threshold: 0.2 }), [entry('a')]);
    expect(result).toMatchObject({ unavailable: expect.stringMatching(/known only after the run/) });
    expect(thresholdForTarget(MODEL, withCache({ policy, threshold: 0.2 }), [], 2)).toMatchObject({ unavailable: expect.stringMatching(/known only after the run/) });
  });

  it('claims no speedup for First-Block Cache before the run, and says its reused steps still run the first block', () => {
    const result = predictRun(MODEL, withCache({ policy: 'first-block', threshold: 0.2 }), [entry('a')]);
    expect(result).not.toHaveProperty('speedup');
    expect(result).toMatchObject({ unavailable: expect.stringMatching(/each step it reuses still runs that block, and its speedup counts it/) });
  });

  it("aims with the policy of the slowest preset measured at the target or beyond, and that target's threshold", () => {
    const measured = (speedup: number) => ({ speedup, source: 'test' });
    const model = {
      ...MODEL,
      defaults: {
        ...MODEL.defaults,
        presets: {
          quality: { policy: 'seed' as const, threshold: 0.1, measured: measured(2) },
          balanced: { policy: 'magcache' as const, reuse: 'residual' as const, threshold: 0.1, skipEarlySteps: 2, measured: measured(3) },
          fast: { policy: 'seed' as const, threshold: 0.5, measured: measured(4) },
        },
      },
    };
    const { cache, aim } = aimFor(model, base, [], 2.5);
    expect(cache).toMatchObject({ policy: 'magcache', reuse: 'residual', skipEarlySteps: 2 });
    expect(aim).toMatchObject({ reachable: true, threshold: cache.threshold });
    expect((aim as { speedup: number }).speedup).toBeGreaterThanOrEqual(2.5);
    // Without presets the draft's own policy stays.
    expect(aimFor(MODEL, base, [], 2).cache).toEqual({ threshold: (thresholdForTarget(MODEL, base, [], 2) as { threshold: number }).threshold });
  });
});
