// Pins the consecutive-distance timestep rule against known schedules, and
// exactly where it parts from the seed's. Pure: no MLX needed.

import { describe, expect, it } from 'vitest';
import { fluxSchedule } from '../../../../main/core/schedule.ts';
import { predictDecisions } from '../../../../main/core/teacache/predict.ts';
import type { CachePolicy } from '../../../../main/core/teacache/policy.ts';
import { SeedPolicy, type TeaCacheConfig } from '../../../../main/core/teacache/seed-policy.ts';
import { TimestepConsecutivePolicy } from '../../../../main/core/teacache/timestep-consecutive-policy.ts';

const f32 = Math.fround;
const config = (overrides: Partial<TeaCacheConfig> = {}): TeaCacheConfig => ({ threshold: 0.1, rescaleFactor: 1, skipEarlySteps: 0, ...overrides });
/** Decisions over the steps of an N+1-point schedule, C = compute, R = reuse. */
const pattern = (policy: CachePolicy, timesteps: number[]) =>
  predictDecisions(policy, timesteps)
    .decisions.map((d) => (d.compute ? 'C' : 'R'))
    .join('');

describe('TimestepConsecutivePolicy', () => {
  it('adds step-to-step distances where the seed adds distances to the last computed step', () => {
    // Consecutive: 0.04, 0.08 (reuse), 0.12 (fires). Seed: 0.04 + 0.08 = 0.12 fires a step earlier.
    const ts = [1, 0.96, 0.92, 0.88, 0.84];
    expect(pattern(new TimestepConsecutivePolicy(config()), ts)).toBe('CRRC');
    expect(pattern(new SeedPolicy(config()), ts)).toBe('CRCR');
  });

  it('matches the pinned pattern on the default 30-step schedule', () => {
    expect(pattern(new TimestepConsecutivePolicy(config()), fluxSchedule(30))).toBe('CRRCRRRCRRRCRRRCRRRCRRRCRRRCRR');
  });

  it('measures from the previous step even when that step was reused', () => {
    const policy = new TimestepConsecutivePolicy(config({ threshold: 1 }));
    policy.decide(0, 1, false);
    policy.markComputed(1);
    expect(policy.decide(1, 0.98, true).distance).toBe(f32(f32(1) - f32(0.98)));
    expect(policy.decide(2, 0.96, true).distance).toBe(f32(f32(0.98) - f32(0.96)));
  });

  it('keeps the seed rules: strict >, reset on firing, rescale, forced computes leave the accumulator', () => {
    expect(pattern(new TimestepConsecutivePolicy(config({ threshold: 0.5 })), [1, 0.5, 0.25, 0])).toBe('CRC');
    expect(pattern(new TimestepConsecutivePolicy(config({ rescaleFactor: 3 })), [1, 0.96, 0.92, 0.88])).toBe('CCC');
    expect(pattern(new TimestepConsecutivePolicy(config({ threshold: 1, skipEarlySteps: 2 })), [1, 0.9, 0.8, 0.7, 0.6])).toBe('CCRR');
    const policy = new TimestepConsecutivePolicy(config());
    policy.decide(0, 1, false);
    const reused = policy.decide(1, 0.95, true);
    expect(policy.decide(2, 0.9, false)).toEqual({ compute: true, reason: 'cold-cache', distance: 0, accumulated: reused.accumulated });
    const fired = policy.decide(3, 0.84, true);
    expect(fired).toMatchObject({ compute: true, reason: 'threshold' });
    expect(fired.accumulated).toBe(f32(reused.accumulated + f32(f32(0.9) - f32(0.84))));
    expect(policy.decide(4, 0.83, true).accumulated).toBe(f32(f32(0.84) - f32(0.83)));
  });
});
