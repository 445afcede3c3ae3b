// The seed's timestep rule with the original TeaCache's distance: each step
// adds |t − t_previous step| rather than the distance to the last computed
// step. Built on the seed policy itself, so everything else (float32, strict >,
// reset on firing, forced computes leaving the accumulator alone) is the
// seed's by construction. Pure; imports only the seed policy.

import type { CachePolicy, Decision } from './policy.ts';
import { SeedPolicy, type TeaCacheConfig } from './seed-policy.ts';

export class TimestepConsecutivePolicy implements CachePolicy {
  readonly name = 'timestep-consecutive';
  readonly threshold: number;
  private readonly seed: SeedPolicy;

  constructor(config?: TeaCacheConfig | null) {
    this.seed = new SeedPolicy(config);
    this.threshold = this.seed.threshold;
  }

  decide(step: number, timestep: number, hasCache: boolean): Decision {
    const decision = this.seed.decide(step, timestep, hasCache);
    // The seed measures from the last step it was told was computed: telling it every step makes the distances consecutive.
    this.seed.markComputed(timestep);
    return decision;
  }

  markComputed(timestep: number): void {
    this.seed.markComputed(timestep);
  }
}
