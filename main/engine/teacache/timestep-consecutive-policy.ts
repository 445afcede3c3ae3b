// The seed's timestep rule with the original TeaCache's distance: each step
// adds |t − t_previous step| rather than the distance to the last computed
// step. Everything else (float32, strict >, reset on firing, forced computes
// leaving the accumulator alone) is the seed's. Pure; imports only types.

import type { CachePolicy, Decision } from './policy.ts';
import { DEFAULT_TEACACHE_CONFIG, type TeaCacheConfig } from './seed-policy.ts';

const f32 = Math.fround;

export class TimestepConsecutivePolicy implements CachePolicy {
  readonly name = 'timestep-consecutive';
  readonly threshold: number;
  private readonly rescaleFactor: number;
  private readonly skipEarlySteps: number;
  private prevTimestep = 0;
  private accumulatedDiff = 0;

  constructor(config?: TeaCacheConfig | null) {
    const { threshold, rescaleFactor, skipEarlySteps } = config ?? DEFAULT_TEACACHE_CONFIG;
    this.threshold = f32(threshold);
    this.rescaleFactor = f32(rescaleFactor);
    this.skipEarlySteps = Math.trunc(skipEarlySteps);
  }

  decide(step: number, timestep: number, hasCache: boolean): Decision {
    const previous = this.prevTimestep;
    // Every step moves the reference, computed or not: that is the whole difference from the seed.
    this.prevTimestep = f32(timestep);
    if (step < this.skipEarlySteps || step === 0 || !hasCache) {
      const reason = step === 0 ? 'first-step' : step < this.skipEarlySteps ? 'skip-early' : 'cold-cache';
      return { compute: true, reason, distance: 0, accumulated: this.accumulatedDiff };
    }
    let diff = f32(f32(timestep) - previous);
    if (diff < 0) diff = -diff;
    const scaledDiff = f32(diff * this.rescaleFactor);
    this.accumulatedDiff = f32(this.accumulatedDiff + scaledDiff);
    const accumulated = this.accumulatedDiff;
    if (this.accumulatedDiff > this.threshold) {
      this.accumulatedDiff = 0;
      return { compute: true, reason: 'threshold', distance: scaledDiff, accumulated };
    }
    return { compute: false, reason: 'reuse', distance: scaledDiff, accumulated };
  }

  markComputed(timestep: number): void {
    this.prevTimestep = f32(timestep);
  }
}
