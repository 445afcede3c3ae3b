// The prediction must equal what a real run decides, step for step, and the
// target-speedup search must land on the lowest threshold that reaches it. Pure.

import { describe, expect, it } from 'vitest';
import { fluxSchedule } from '../../../../main/core/schedule.ts';
import type { PolicySettings } from '../../../../main/core/teacache/create-policy.ts';
import { NO_POLICY_OPTIONS } from '../../../../main/core/teacache/policy-options.ts';
import { predictDecisions, predictSettings, thresholdForSpeedup } from '../../../../main/core/teacache/predict.ts';
import { SeedPolicy } from '../../../../main/core/teacache/seed-policy.ts';
import { FLUX1_COEFFICIENTS } from '../../../../main/core/teacache/teacache-policy.ts';

describe('predictDecisions', () => {
  it('counts forwards and reuses over the N steps of an N+1-point schedule', () => {
    const prediction = predictDecisions(new SeedPolicy(null), fluxSchedule(30));
    expect(prediction.decisions).toHaveLength(30);
    expect(prediction.forwards + prediction.reused).toBe(30);
    expect(prediction.forwards).toBe(prediction.decisions.filter((d) => d.compute).length);
    expect(prediction.idealSpeedup).toBeCloseTo(30 / prediction.forwards, 12);
  });

  it('predicts more reuse as the threshold rises', () => {
    const forwards = [0, 0.05, 0.1, 0.2, 0.4].map(
      (threshold) => predictDecisions(new SeedPolicy({ threshold, rescaleFactor: 1, skipEarlySteps: 0 }), fluxSchedule(30)).forwards,
    );
    expect(forwards[0]).toBe(30);
    for (let i = 1; i < forwards.length; i++) expect(forwards[i]!).toBeLessThan(forwards[i - 1]!);
  });
});


const base = (overrides: Partial<PolicySettings> = {}): Omit<PolicySettings, 'threshold'> => ({
  policy: 'seed',
  rescaleFactor: 1,
  skipEarlySteps: 0,
  coefficients: [...FLUX1_COEFFICIENTS],
  ...NO_POLICY_OPTIONS,
  ...overrides,
});
/** A recorded-looking trace: large changes early and late, small in the middle. */
const trace = [undefined, ...Array.from({ length: 29 }, (_, i) => 0.02 + 0.1 * ((i - 14) / 14) ** 2)];

describe('predictSettings from a recorded trace', () => {
  it('replays the teacache rule over the trace', () => {
    const prediction = predictSettings({ ...base({ policy: 'teacache', alwaysComputeLast: true }), threshold: 0.4 }, fluxSchedule(30), trace);
    expect(prediction.decisions[0]!.reason).toBe('first-step');
    expect(prediction.decisions[29]!.reason).toBe('last-step');
    // The middle of the trace changes least, so it reuses most.
    const reusedIn = (from: number, to: number) => prediction.decisions.slice(from, to).filter((d) => !d.compute).length;
    expect(reusedIn(10, 20)).toBeGreaterThan(reusedIn(1, 6));
  });

  it('asks for a trace as long as the run', () => {
    expect(() => predictSettings({ ...base({ policy: 'teacache' }), threshold: 0.4 }, fluxSchedule(30), trace.slice(0, 10))).toThrow(/10 entries for 30 steps/);
  });
});

describe('thresholdForSpeedup', () => {
  it.each([
    ['seed', 1.5],
    ['seed', 2],
    ['timestep-consecutive', 2.5],
    ['teacache', 1.5],
    ['teacache', 2],
    ['teacache', 3],
  ] as const)('finds the lowest %s threshold reaching %s×', (policy, target) => {
    const settings = base({ policy });
    const timesteps = fluxSchedule(30);
    const solution = thresholdForSpeedup(settings, timesteps, target, [trace]);
    expect(solution.reachable).toBe(true);
    expect(solution.idealSpeedup).toBeGreaterThanOrEqual(target);
    expect(predictSettings({ ...settings, threshold: solution.threshold }, timesteps, trace)).toEqual(solution.predictions[0]);
    expect(solution.threshold).toBeGreaterThanOrEqual(solution.lowest);
    // Just below the lowest threshold, the target is missed: nothing cheaper in quality gives the speed.
    expect(predictSettings({ ...settings, threshold: solution.lowest * (1 - 1e-6) }, timesteps, trace).idealSpeedup).toBeLessThan(target);
  });

  it('over several traces, reaches the speedup for the set as a whole, where their mean would leave one short', () => {
    const settings = base({ policy: 'teacache' });
    const timesteps = fluxSchedule(30);
    const calmer = trace.map((s) => (s === undefined ? s : s * 0.9));
    const pair = [trace, calmer];
    const solution = thresholdForSpeedup(settings, timesteps, 3, pair);
    expect(solution.predictions).toHaveLength(2);
    const forwards = solution.predictions.map((p) => p.forwards);
    expect(forwards.reduce((a, b) => a + b)).toBeLessThanOrEqual(20);
    expect(solution.idealSpeedup).toBeCloseTo(60 / (forwards[0]! + forwards[1]!), 12);
    pair.forEach((t, i) => expect(predictSettings({ ...settings, threshold: solution.threshold }, timesteps, t)).toEqual(solution.predictions[i]));
    // The lowest such threshold: just below it the set needs more forwards.
    const below = pair.map((t) => predictSettings({ ...settings, threshold: solution.lowest * (1 - 1e-6) }, timesteps, t).forwards);
    expect(below.reduce((a, b) => a + b)).toBeGreaterThan(20);
    expect(() => thresholdForSpeedup(settings, timesteps, 3, [])).toThrow(/at least one signal trace/);
  });

  it('is deterministic', () => {
    const a = thresholdForSpeedup(base({ policy: 'teacache' }), fluxSchedule(30), 2, [trace]);
    const b = thresholdForSpeedup(base({ policy: 'teacache' }), fluxSchedule(30), 2, [trace]);
    expect(a).toEqual(b);
  });

  it('says when the target is out of reach and returns the fastest setting instead', () => {
    // Capped at one reuse in a row, no threshold beats 2× over 30 steps (15 forwards).
    const solution = thresholdForSpeedup(base({ maxConsecutiveReuses: 1 }), fluxSchedule(30), 4);
    expect(solution.reachable).toBe(false);
    expect(solution.predictions[0]!.forwards).toBe(15);
  });

  it('returns a zero-reuse threshold for 1× and rejects targets below 1', () => {
    expect(thresholdForSpeedup(base(), fluxSchedule(30), 1).predictions[0]!.forwards).toBe(30);
    expect(() => thresholdForSpeedup(base(), fluxSchedule(30), 0.5)).toThrow(/≥ 1/);
  });
});
