// Pins the options every policy takes: the start/end window, the cap on
// consecutive reuses and the forced last step, on known schedules. Pure.

import { describe, expect, it } from 'vitest';
import { createPolicy, type PolicySettings } from '../../../../main/core/teacache/create-policy.ts';
import { NO_POLICY_OPTIONS, OptionsPolicy, checkPolicyOptions } from '../../../../main/core/teacache/policy-options.ts';
import { predictDecisions } from '../../../../main/core/teacache/predict.ts';
import { SeedPolicy } from '../../../../main/core/teacache/seed-policy.ts';
import { TeaCachePolicy } from '../../../../main/core/teacache/teacache-policy.ts';

const linspace = (steps: number) => Array.from({ length: steps + 1 }, (_, i) => 1 - i / steps);
const settings = (overrides: Partial<PolicySettings> = {}): PolicySettings => ({
  policy: 'seed',
  threshold: 0.1,
  rescaleFactor: 1,
  skipEarlySteps: 0,
  coefficients: [1, 0],
  ...NO_POLICY_OPTIONS,
  ...overrides,
});
const decide = (s: PolicySettings, timesteps: number[], signals?: (number | undefined)[]) => predictDecisions(createPolicy(s), timesteps, signals).decisions;
const pattern = (s: PolicySettings, timesteps: number[], signals?: (number | undefined)[]) =>
  decide(s, timesteps, signals)
    .map((d) => (d.compute ? 'C' : 'R'))
    .join('');

describe('createPolicy', () => {
  it('returns the bare seed policy when the options are neutral, so it runs exactly as ported', () => {
    const policy = createPolicy(settings());
    expect(policy).toBeInstanceOf(SeedPolicy);
    expect(pattern(settings(), linspace(30))).toBe('CRCRCRCRCRCRCRCRCRRCRRCRCRRCRR');
  });

  it('builds each named policy', () => {
    expect(createPolicy(settings({ policy: 'timestep-consecutive' })).name).toBe('timestep-consecutive');
    const teacache = createPolicy(settings({ policy: 'teacache' }));
    expect(teacache).toBeInstanceOf(TeaCachePolicy);
    expect(teacache.needsSignal).toBe(true);
    expect(createPolicy(settings({ policy: 'teacache', endFraction: 0.5 })).needsSignal).toBe(true);
  });
});

describe('policy options', () => {
  // Threshold 100: the seed alone would reuse every step after the first.
  it('computes every step before the start fraction, without touching the inner accumulator', () => {
    const decisions = decide(settings({ threshold: 100, startFraction: 0.3 }), linspace(10));
    expect(decisions.map((d) => d.reason)).toEqual(['first-step', 'outside-window', 'outside-window', 'reuse', 'reuse', 'reuse', 'reuse', 'reuse', 'reuse', 'reuse']);
    // The seed measures from the last computed step (t = 0.8 at step 2).
    expect(decisions[3]!.accumulated).toBe(Math.fround(Math.fround(0.8) - Math.fround(0.7)));
  });

  it('computes every step from the end fraction on', () => {
    expect(pattern(settings({ threshold: 100, endFraction: 0.7 }), linspace(10))).toBe('CRRRRRRCCC');
  });

  it('caps consecutive reuses', () => {
    const decisions = decide(settings({ threshold: 100, maxConsecutiveReuses: 2 }), linspace(8));
    expect(decisions.map((d) => (d.compute ? 'C' : 'R')).join('')).toBe('CRRCRRCR');
    expect(decisions[3]!.reason).toBe('max-reuse');
    expect(pattern(settings({ threshold: 100, maxConsecutiveReuses: 0 }), linspace(5))).toBe('CCCCC');
  });

  it('forces the last step when asked', () => {
    const decisions = decide(settings({ threshold: 100, alwaysComputeLast: true }), linspace(6));
    expect(decisions.map((d) => d.reason)).toEqual(['first-step', 'reuse', 'reuse', 'reuse', 'reuse', 'last-step']);
  });

  it('restarts the teacache sum on a forced compute but not the seed accumulator', () => {
    const signals = [undefined, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2];
    // Alone at 0.5: 0.2, 0.4, 0.6 fires → CRRCRRCC. Capped at one reuse, each forced compute restarts the sum.
    expect(pattern(settings({ policy: 'teacache', threshold: 0.5, alwaysComputeLast: true }), linspace(8), signals)).toBe('CRRCRRCC');
    const capped = decide(settings({ policy: 'teacache', threshold: 0.5, maxConsecutiveReuses: 1, alwaysComputeLast: true }), linspace(8), signals);
    expect(capped.map((d) => d.reason)).toEqual(['first-step', 'reuse', 'max-reuse', 'reuse', 'max-reuse', 'reuse', 'max-reuse', 'last-step']);
    expect(capped.map((d) => d.accumulated)).toEqual([0, 0.2, 0.4, 0.2, 0.4, 0.2, 0.4, 0]);
  });

  it("lets the teacache policy skip the original's forced last step", () => {
    const signals = [undefined, 0.2, 0.2, 0.2, 0.2, 0.2];
    expect(decide(settings({ policy: 'teacache', threshold: 1, alwaysComputeLast: true }), linspace(6), signals).at(-1)!.reason).toBe('last-step');
    expect(pattern(settings({ policy: 'teacache', threshold: 1 }), linspace(6), signals)).toBe('CRRRRC');
    expect(pattern(settings({ policy: 'teacache', threshold: 1.1 }), linspace(6), signals)).toBe('CRRRRR');
  });

  it('rejects windows that leave nothing to cache', () => {
    expect(() => checkPolicyOptions({ ...NO_POLICY_OPTIONS, startFraction: 0.6, endFraction: 0.5 })).toThrow(/start \(0.6\) must come before its end \(0.5\)/);
    expect(() => checkPolicyOptions({ ...NO_POLICY_OPTIONS, endFraction: 1.5 })).toThrow(/within 0…1/);
    expect(() => new OptionsPolicy(new SeedPolicy(null), { ...NO_POLICY_OPTIONS, maxConsecutiveReuses: 1.5 })).toThrow(/whole number/);
  });
});
