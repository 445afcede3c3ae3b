// Pins MagCache's rule on known ratio traces: the error Σ|1 − ∏γ| since the
// last compute against the threshold (reuse while ≤), retained first steps,
// the cap K as the shared consecutive-reuse cap, and ratios resampled by
// nearest index as diffusers does. Pure: no MLX needed.

import { describe, expect, it } from 'vitest';
import { createPolicy } from '../../../../main/core/teacache/create-policy.ts';
import { FLUX1_MAG_RATIOS, MagCachePolicy, interpolateRatios, retentionSteps } from '../../../../main/core/teacache/magcache-policy.ts';
import { NO_POLICY_OPTIONS } from '../../../../main/core/teacache/policy-options.ts';
import { predictDecisions, predictSettings } from '../../../../main/core/teacache/predict.ts';

const timesteps = (steps: number) => Array.from({ length: steps + 1 }, (_, i) => 1 - i / steps);
const RATIOS = [1, 1.2, 0.99, 0.98, 1.0, 0.9];
const settings = { policy: 'magcache' as const, threshold: 0.06, rescaleFactor: 1, skipEarlySteps: 1, coefficients: [1], magRatios: RATIOS, ...NO_POLICY_OPTIONS };
const pattern = (p: { decisions: readonly { compute: boolean }[] }) => p.decisions.map((d) => (d.compute ? 'C' : 'R')).join('');

describe('MagCachePolicy', () => {
  it('multiplies the ratios since the last compute and adds |1 − ∏γ| until the error passes the threshold', () => {
    // Step 1: |1 − 1.2| = 0.2 > 0.06 → C. Step 2: 0.01 → R. Step 3: ∏ = 0.9702, 0.01 + 0.0298 → R.
    // Step 4: ∏ stays 0.9702, 0.0398 + 0.0298 = 0.0696 → C. Step 5: |1 − 0.9| = 0.1 → C.
    const prediction = predictSettings(settings, timesteps(6));
    expect(pattern(prediction)).toBe('CCRRCC');
    expect(prediction.decisions.map((d) => d.reason)).toEqual(['first-step', 'threshold', 'reuse', 'reuse', 'threshold', 'threshold']);
    expect(prediction.decisions[3]!.accumulated).toBeCloseTo(0.0398, 12);
    expect(prediction.decisions[4]!.accumulated).toBeCloseTo(0.0696, 12);
  });

  it('reuses while the error equals the threshold, as diffusers (<=)', () => {
    const policy = new MagCachePolicy({ threshold: 0.5, ratios: [1, 1.5], skipEarlySteps: 0 });
    expect(pattern(predictDecisions(policy, timesteps(2)))).toBe('CR');
  });

  it('caps consecutive reuses at K through the shared option, restarting the error at the forced compute', () => {
    // K = 1: step 3 is forced (max-reuse) and resets; step 4's ratio 1.0 then adds nothing → R; step 5 → C.
    const prediction = predictSettings({ ...settings, maxConsecutiveReuses: 1 }, timesteps(6));
    expect(pattern(prediction)).toBe('CCRCRC');
    expect(prediction.decisions[3]!.reason).toBe('max-reuse');
  });

  it('always computes the retained first steps', () => {
    expect(pattern(predictSettings({ ...settings, threshold: 10, skipEarlySteps: 3 }, timesteps(6)))).toBe('CCCRRR');
    expect([retentionSteps(0.2, 28), retentionSteps(0.2, 30), retentionSteps(0.2, 4)]).toEqual([6, 6, 1]);
  });

  it("resamples ratios to the run's step count by nearest index", () => {
    expect(interpolateRatios(FLUX1_MAG_RATIOS, 28)).toEqual([...FLUX1_MAG_RATIOS]);
    // 28 → 10: index round(i·27/9) = 3i.
    expect(interpolateRatios(FLUX1_MAG_RATIOS, 10)).toEqual([0, 3, 6, 9, 12, 15, 18, 21, 24, 27].map((i) => FLUX1_MAG_RATIOS[i]));
    expect(interpolateRatios([1, 2, 3], 1)).toEqual([3]);
  });

  it("carries FLUX.1's published ratios (MagCache's repository, diffusers' FLUX_MAG_RATIOS)", () => {
    expect(FLUX1_MAG_RATIOS).toHaveLength(28);
    expect(FLUX1_MAG_RATIOS.slice(0, 4)).toEqual([1.0, 1.21094, 1.11719, 1.07812]);
    expect(FLUX1_MAG_RATIOS.at(-1)).toBe(0.89062);
  });

  it('rejects missing or bad ratios with what to do', () => {
    expect(() => createPolicy({ ...settings, magRatios: [] })).toThrow(/calibrate the model/);
    expect(() => new MagCachePolicy({ threshold: 1, ratios: [1, Number.NaN], skipEarlySteps: 0 })).toThrow(/finite/);
  });
});
