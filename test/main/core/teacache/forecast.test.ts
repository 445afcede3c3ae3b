// The forecasting reuse modes' weights: TaylorSeer's series and HiCache's
// scaled Hermite series, on values worked by hand.

import { describe, expect, it } from 'vitest';
import { forecastOrder, forecastsInSteps, forecastWeights, hermite, HICACHE_SCALE } from '../../../../main/core/teacache/forecast.ts';

describe('hermite', () => {
  it("gives the physicists' polynomials: 1, 2y, 4y² − 2, 8y³ − 12y", () => {
    for (const y of [-1.5, 0, 0.25, 2]) {
      expect(hermite(0, y)).toBe(1);
      expect(hermite(1, y)).toBeCloseTo(2 * y, 12);
      expect(hermite(2, y)).toBeCloseTo(4 * y * y - 2, 12);
      expect(hermite(3, y)).toBeCloseTo(8 * y ** 3 - 12 * y, 12);
    }
  });
});

describe('forecastWeights', () => {
  it("is Taylor's uʲ/j! for taylor and taylor2", () => {
    expect(forecastWeights('taylor', -0.1, 1)).toEqual([-0.1]);
    const [first, second] = forecastWeights('taylor2', -0.1, 2);
    expect(first).toBeCloseTo(-0.1, 12);
    expect(second).toBeCloseTo(0.005, 12);
  });

  it("is HiCache's σʲ·Hⱼ(σu)/j!, damping the first order and correcting the second by −σ²", () => {
    expect(HICACHE_SCALE).toBe(0.5);
    // u = 1: 0.5·H₁(0.5) = 0.5; 0.25·H₂(0.5)/2 = 0.25·(−1)/2.
    expect(forecastWeights('hermite', 1, 2)).toEqual([0.5, -0.125]);
    // u = 4: 0.5·H₁(2) = 2; 0.25·H₂(2)/2 = 0.25·14/2 — still below Taylor's 4 and 8.
    expect(forecastWeights('hermite', 4, 2)).toEqual([2, 1.75]);
  });

  it('keeps as many weights as the factors it is given', () => {
    expect(forecastWeights('hermite', 2, 1)).toHaveLength(1);
    expect(forecastWeights('taylor2', 2, 0)).toEqual([]);
  });
});

describe('forecastOrder and forecastsInSteps', () => {
  it('keeps one difference for taylor, two for taylor2 and hermite, none for the held modes', () => {
    expect([forecastOrder('output'), forecastOrder('residual'), forecastOrder('taylor'), forecastOrder('taylor2'), forecastOrder('hermite')]).toEqual([0, 0, 1, 2, 2]);
  });

  it('measures only the Hermite forecast in steps', () => {
    expect(forecastsInSteps('hermite')).toBe(true);
    expect(forecastsInSteps('taylor2')).toBe(false);
  });
});
