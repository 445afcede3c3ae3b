// Pins EasyCache's rule on a known trace: no decision until two computes have
// given a transformation rate k = mean|Δv| / mean|Δx|; then each step adds
// k·(input change since the last compute) / mean|v| and the step computes once
// the sum reaches the threshold. Pure: no MLX needed.

import { describe, expect, it } from 'vitest';
import { EasyCachePolicy } from '../../../../main/core/teacache/easycache-policy.ts';

describe('EasyCachePolicy', () => {
  it('estimates the output change from the input change at the last two computes’ rate', () => {
    const policy = new EasyCachePolicy({ threshold: 0.2 });
    const steps: string[] = [];
    const decide = (step: number, inputChange: number | undefined) => {
      const decision = policy.decide(step, 1 - step / 10, true, { totalSteps: 10, inputChange });
      steps.push(`${decision.compute ? 'C' : 'R'}:${decision.reason}:${decision.accumulated.toFixed(3)}`);
      if (decision.compute) policy.markComputed();
      return decision;
    };
    decide(0, undefined);
    policy.observe({ inputChange: undefined, outputChange: undefined, outputNorm: 2 });
    // One compute gives no rate yet.
    decide(1, 0.5);
    policy.observe({ inputChange: 0.5, outputChange: 0.25, outputNorm: 2 });
    // k = 0.25 / 0.5 = 0.5: step 2 adds 0.5·0.4/2 = 0.1 → R; step 3 adds 0.5·0.6/2 = 0.15 → 0.25 ≥ 0.2 → C.
    decide(2, 0.4);
    decide(3, 0.6);
    policy.observe({ inputChange: 0.6, outputChange: 0.6, outputNorm: 3 });
    // k = 1, the sum restarted: 1·0.3/3 = 0.1 → R.
    decide(4, 0.3);
    expect(steps).toEqual(['C:first-step:0.000', 'C:cold-cache:0.000', 'R:reuse:0.100', 'C:threshold:0.250', 'R:reuse:0.100']);
  });

  it('computes the early steps it is told to, and says what is missing without the input change', () => {
    const policy = new EasyCachePolicy({ threshold: 1, skipEarlySteps: 2 });
    policy.observe({ inputChange: 1, outputChange: 1, outputNorm: 1 });
    policy.observe({ inputChange: 1, outputChange: 1, outputNorm: 1 });
    expect(policy.decide(1, 0.9, true, { totalSteps: 4 }).reason).toBe('skip-early');
    expect(() => policy.decide(2, 0.8, true, { totalSteps: 4 })).toThrow(/latent's change since the last compute/);
  });
});
