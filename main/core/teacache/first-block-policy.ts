// First-Block Cache (ParaAttention; diffusers' hooks/first_block_cache.py):
// the first transformer block always runs; when its residual differs from the
// one at the last computed step by less than the threshold (relative L1), the
// remaining blocks are skipped and their cached residual added to the first
// block's output. Pure: the sampler measures the distance and passes it in.

import type { CachePolicy, Decision, StepContext } from './policy.ts';

/** diffusers' default (FirstBlockCacheConfig.threshold). */
export const FIRST_BLOCK_DEFAULT_THRESHOLD = 0.05;

export interface FirstBlockPolicyConfig {
  /** Relative L1 change of the first block's residual above which the other blocks run. */
  readonly threshold: number;
  /** Steps `0 … skipEarlySteps − 1` always run every block. */
  readonly skipEarlySteps?: number;
}

export class FirstBlockPolicy implements CachePolicy {
  readonly name = 'first-block';
  readonly needsSignal = true;
  readonly signalSource = 'first-block-residual' as const;
  readonly threshold: number;
  private readonly skipEarlySteps: number;

  constructor(config: FirstBlockPolicyConfig) {
    this.threshold = config.threshold;
    this.skipEarlySteps = Math.trunc(config.skipEarlySteps ?? 0);
  }

  decide(step: number, _timestep: number, hasCache: boolean, context?: StepContext): Decision {
    if (step === 0 || step < this.skipEarlySteps || !hasCache) {
      return { compute: true, reason: step === 0 ? 'first-step' : step < this.skipEarlySteps ? 'skip-early' : 'cold-cache', distance: 0, accumulated: 0 };
    }
    const distance = context?.signal;
    if (distance === undefined || !Number.isFinite(distance)) {
      throw new Error(`The first-block policy needs the first block's residual change at step ${step}; this model does not expose its first block — pick another policy.`);
    }
    // diffusers computes when the change is strictly above the threshold.
    if (distance > this.threshold) return { compute: true, reason: 'threshold', distance, accumulated: distance };
    return { compute: false, reason: 'reuse', distance, accumulated: distance };
  }

  markComputed(): void {}
}
