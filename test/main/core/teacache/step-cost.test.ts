// A step's cost in forward-equivalents: 1 computed, its probe's share reused; records from before the
// count read as their forwards; the ideal speedup is steps over that cost.

import { describe, expect, it } from 'vitest';
import { forwardEquivalentsOf, idealSpeedup, isTimingNoise, stepCost } from '../../../../main/core/teacache/step-cost.ts';

describe('stepCost', () => {
  it('counts a computed step as one forward and a reused one as what it ran', () => {
    expect(stepCost(true, 0)).toBe(1);
    expect(stepCost(true, 0.17)).toBe(1);
    expect(stepCost(false, 0)).toBe(0);
    expect(stepCost(false, 0.17)).toBe(0.17);
  });
});

describe('forwardEquivalentsOf', () => {
  it('reads the recorded cost, and the forwards of a record made before it was counted', () => {
    expect(forwardEquivalentsOf({ forwards: 7, forwardEquivalents: 10.9 })).toBe(10.9);
    expect(forwardEquivalentsOf({ forwards: 7 })).toBe(7);
  });
});

describe('idealSpeedup', () => {
  it('is steps over the cost, and 1 for a run that cost nothing', () => {
    expect(idealSpeedup(30, 7)).toBeCloseTo(30 / 7, 12);
    // 7 computed and 23 reused First-Block Cache steps at a sixth each: 2.77×, not the 4.29× its forwards claim.
    expect(idealSpeedup(30, 7 + 23 / 6)).toBeCloseTo(2.769, 3);
    expect(idealSpeedup(30, 0)).toBe(1);
  });
});

describe('isTimingNoise', () => {
  it('calls a measured speedup more than 2% above the ideal noise, and anything up to that real', () => {
    expect(isTimingNoise(3.45, 2.14)).toBe(true);
    expect(isTimingNoise(2.18, 2.14)).toBe(false);
    expect(isTimingNoise(1.64, 2)).toBe(false);
  });
});
