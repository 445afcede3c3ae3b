// FLUX.2 klein's schedule against the numbers diffusers' scheduler produces
// for Flux2KleinPipeline (written into the fixture by
// training/fixtures/make_flux2_klein_fixture.py): linspace(1, 1/N, N) shifted
// by compute_empirical_mu with the exponential time shift, then 0.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { empiricalMu, empiricalMuSchedule } from '../../../../../main/core/schedule.ts';
import { values } from '../../../../support/mlx.ts';
import { FLUX2_KLEIN_FIXTURE, expectedKlein } from './support.ts';

interface FixtureSchedule {
  readonly seq_len: number;
  readonly steps: number;
  readonly mu: number;
}

describe("FLUX.2 klein's schedule against diffusers", () => {
  const e = expectedKlein();
  const schedules = (JSON.parse(readFileSync(join(FLUX2_KLEIN_FIXTURE, 'expected.json'), 'utf8')) as { schedules: FixtureSchedule[] }).schedules;

  it.each(schedules)('$seq_len tokens, $steps steps: the same mu and float32 sigmas', ({ seq_len, steps, mu }) => {
    expect(empiricalMu(seq_len, steps)).toBeCloseTo(mu, 12);
    expect(empiricalMuSchedule(steps, seq_len)).toEqual(values(e[`schedule.${seq_len}.${steps}`]!));
  });

  it('refuses a step count that is not a positive integer', () => {
    expect(() => empiricalMuSchedule(0, 1024)).toThrow(/steps must be a positive integer, got 0/);
  });
});
