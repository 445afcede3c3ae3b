// Chart rows from step events: one per step, hits and misses in place, predicted ghosts for steps to come.

import { describe, expect, it } from 'vitest';
import { chartSteps } from '../../../renderer/components/charts.tsx';
import { stepEvent } from '../fixtures.ts';

describe('chartSteps', () => {
  it('gives one row per step: reported steps as hit or miss, the rest pending with their predicted decision', () => {
    const rows = chartSteps([stepEvent(0, true, 5), stepEvent(1, false, 5)], 5, [true, false, false, true, true]);
    expect(rows.map((r) => r.state)).toEqual(['miss', 'hit', 'pending', 'pending', 'pending']);
    expect(rows.map((r) => r.expected)).toEqual([null, null, 'hit', 'miss', 'miss']);
    expect(rows.map((r) => r.step)).toEqual([1, 2, 3, 4, 5]);
    // Reused steps draw shorter than computed ones, predicted or real.
    expect(rows[1]!.mark).toBeLessThan(rows[0]!.mark);
    expect(rows[2]!.mark).toBeLessThan(rows[3]!.mark);
  });

  it('places events by index whatever order they arrive in, and leaves accumulated empty with the cache off', () => {
    const off = { ...stepEvent(2, true, 3), threshold: null };
    const rows = chartSteps([off, stepEvent(0, true, 3)], 3);
    expect(rows.map((r) => r.state)).toEqual(['miss', 'pending', 'miss']);
    expect(rows[2]!.accumulated).toBeNull();
    expect(rows[0]!.accumulated).toBe(0.05);
    expect(rows[1]!.expected).toBeNull();
  });
});
