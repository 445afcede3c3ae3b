// Pins First-Block Cache's rule on a known trace: compute when the first
// block's residual changed by strictly more than the threshold (relative L1,
// as diffusers), reuse otherwise; the first step and early steps compute.
// Pure: no MLX needed.

import { describe, expect, it } from 'vitest';
import { FirstBlockPolicy } from '../../../../main/core/teacache/first-block-policy.ts';
import { predictDecisions } from '../../../../main/core/teacache/predict.ts';

const timesteps = (steps: number) => Array.from({ length: steps + 1 }, (_, i) => 1 - i / steps);

describe('FirstBlockPolicy', () => {
  it('reuses the other blocks while the first block’s residual changed by at most the threshold', () => {
    const prediction = predictDecisions(new FirstBlockPolicy({ threshold: 0.05 }), timesteps(5), [undefined, 0.1, 0.03, 0.05, 0.2]);
    expect(prediction.decisions.map((d) => `${d.compute ? 'C' : 'R'}:${d.reason}`)).toEqual(['C:first-step', 'C:threshold', 'R:reuse', 'R:reuse', 'C:threshold']);
    expect(prediction.decisions.map((d) => d.distance)).toEqual([0, 0.1, 0.03, 0.05, 0.2]);
  });

  it('computes early steps and says when the model cannot measure its first block', () => {
    const policy = new FirstBlockPolicy({ threshold: 1, skipEarlySteps: 2 });
    expect(policy.decide(1, 0.5, true, { totalSteps: 4, signal: 0 }).reason).toBe('skip-early');
    expect(() => policy.decide(2, 0.4, true, { totalSteps: 4 })).toThrow(/does not expose its first block/);
  });
});
