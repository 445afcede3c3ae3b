// FLUX's schedule: linspace(1, 0, N+1), and the resolution-dependent shift. Pure.

import { describe, expect, it } from 'vitest';
import { empiricalMuSchedule, fluxSchedule, scheduleFor, shiftMu, timeShift } from '../../../main/core/schedule.ts';

describe('fluxSchedule', () => {
  it('is linspace(1, 0, N+1) without a shift', () => {
    expect(fluxSchedule(4)).toEqual([1, 0.75, 0.5, 0.25, 0]);
  });

  it('rejects a step count that is not a positive integer', () => {
    expect(() => fluxSchedule(0)).toThrow(/positive integer/);
    expect(() => fluxSchedule(2.5)).toThrow(/positive integer/);
  });

  it('interpolates mu from 0.5 at 256 tokens to 1.15 at 4096', () => {
    expect(shiftMu(256)).toBeCloseTo(0.5, 12);
    expect(shiftMu(4096)).toBeCloseTo(1.15, 12);
    expect(shiftMu(2176)).toBeCloseTo(0.825, 12);
  });

  it('shifts toward 1 while keeping both ends', () => {
    const shifted = fluxSchedule(10, { shiftForImageTokens: 4096 });
    expect(shifted[0]).toBe(1);
    expect(shifted[10]).toBe(0);
    const plain = fluxSchedule(10);
    for (let i = 1; i < 10; i++) expect(shifted[i]!).toBeGreaterThan(plain[i]!);
    // e^mu / (e^mu + (1/t − 1)) at t = 0.5 is e^mu / (e^mu + 1).
    expect(timeShift(1.15, 0.5)).toBeCloseTo(Math.exp(1.15) / (Math.exp(1.15) + 1), 12);
  });

  it('derives the token count from the size and the pixels per token', () => {
    expect(scheduleFor({ steps: 4, width: 1024, height: 1024, shift: true }, 16)).toEqual(fluxSchedule(4, { shiftForImageTokens: 4096 }));
    expect(scheduleFor({ steps: 4, width: 64, height: 64, shift: false }, 4)).toEqual(fluxSchedule(4));
    expect(scheduleFor({ steps: 4, width: 1024, height: 512, shift: false, empiricalMu: true }, 16)).toEqual(empiricalMuSchedule(4, 2048));
  });
});
