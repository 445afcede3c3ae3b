// The seed's TeaCache rule (shared/seed/teacache.go), ported exactly: float32
// arithmetic, distance measured to the last *computed* step, strict comparison.
// Pure; imports nothing but types.

import type { CachePolicy, Decision } from './policy.ts';

const f32 = Math.fround;

export interface TeaCacheConfig {
  /** Accumulated distance above which a step is recomputed. Higher means more reuse. */
  readonly threshold: number;
  /** Multiplies each timestep distance before it is accumulated. */
  readonly rescaleFactor: number;
  /** Steps `0 … skipEarlySteps − 1` always run the model. */
  readonly skipEarlySteps: number;
}

/** The seed's `DefaultTeaCacheConfig`. */
export const DEFAULT_TEACACHE_CONFIG: TeaCacheConfig = Object.freeze({
  threshold: 0.1,
  rescaleFactor: 1.0,
  skipEarlySteps: 0,
});

/** The seed's caller always computes the first 3 steps under true CFG. */
export const CFG_SKIP_EARLY_STEPS = 3;

export class SeedPolicy implements CachePolicy {
  readonly name = 'seed';
  readonly threshold: number;
  private readonly rescaleFactor: number;
  private readonly skipEarlySteps: number;
  /** Go's zero value until the first computed step. */
  private prevTimestep = 0;
  private accumulatedDiff = 0;

  /** A missing config means the seed's defaults, as `NewTeaCache(nil)` does. */
  constructor(config?: TeaCacheConfig | null) {
    const { threshold, rescaleFactor, skipEarlySteps } = config ?? DEFAULT_TEACACHE_CONFIG;
    this.threshold = f32(threshold);
    this.rescaleFactor = f32(rescaleFactor);
    // Go's int field: truncate toward zero like a conversion would.
    this.skipEarlySteps = Math.trunc(skipEarlySteps);
  }

  decide(step: number, timestep: number, hasCache: boolean): Decision {
    if (step < this.skipEarlySteps || step === 0 || !hasCache) {
      const reason = step === 0 ? 'first-step' : step < this.skipEarlySteps ? 'skip-early' : 'cold-cache';
      return { compute: true, reason, distance: 0, accumulated: this.accumulatedDiff };
    }
    let diff = f32(f32(timestep) - this.prevTimestep);
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
