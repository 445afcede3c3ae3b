// MagCache (Zehong-Ma/MagCache; diffusers' hooks/mag_cache.py): each step's
// calibrated magnitude ratio γ = mean‖r_t‖/‖r_{t−1}‖ of the blocks' residual,
// multiplied up since the last compute, adds |1 − ∏γ| to an error; reuse while
// the error stays within the threshold, at most K in a row (the shared cap),
// never in the retained first steps (skipEarlySteps). Decisions follow from the
// ratios alone, so a prediction before the run is exact. Pure.

import type { CachePolicy, Decision } from './policy.ts';

/**
 * FLUX.1's published ratios (dev and schnell share them; 28 entries, the first a neutral 1), as
 * MagCache's repository gives them and diffusers copies them as FLUX_MAG_RATIOS.
 */
export const FLUX1_MAG_RATIOS: readonly number[] = Object.freeze([
  1.0, 1.21094, 1.11719, 1.07812, 1.0625, 1.03906, 1.03125, 1.03906, 1.02344, 1.03125, 1.02344, 0.98047, 1.01562, 1.00781, 1.0, 1.00781, 1.0, 1.00781,
  1.0, 1.0, 0.99609, 0.99609, 0.98047, 0.98828, 0.96484, 0.95703, 0.93359, 0.89062,
]);

/** The paper's and diffusers' defaults: error threshold 0.06, K = 3, the first 20% of steps retained. */
export const MAGCACHE_DEFAULTS = Object.freeze({ threshold: 0.06, maxSkipSteps: 3, retentionRatio: 0.2 });

/** Steps always computed for a retention ratio, rounded as diffusers does (int(ratio·steps + 0.5)). */
export function retentionSteps(retentionRatio: number, steps: number): number {
  return Math.trunc(retentionRatio * steps + 0.5);
}

/** Ratios calibrated for another step count, resampled to `steps` by nearest index (diffusers' nearest_interp). */
export function interpolateRatios(ratios: readonly number[], steps: number): number[] {
  if (ratios.length === 0) throw new RangeError('MagCache needs at least one magnitude ratio.');
  if (steps === ratios.length) return [...ratios];
  if (steps === 1) return [ratios.at(-1)!];
  const scale = (ratios.length - 1) / (steps - 1);
  // torch.round rounds half to even; the grid's products are rarely exact halves, but match it anyway.
  const roundHalfEven = (x: number) => {
    const r = Math.round(x);
    return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
  };
  return Array.from({ length: steps }, (_, i) => ratios[roundHalfEven(Math.fround(i * scale))]!);
}

export interface MagCachePolicyConfig {
  /** Accumulated error Σ|1 − ∏γ| up to which steps are reused. Higher means more reuse. */
  readonly threshold: number;
  /** Per-step magnitude ratios; resampled when their count is not the run's. */
  readonly ratios: readonly number[];
  /** Steps `0 … skipEarlySteps − 1` always run the model (the retention). */
  readonly skipEarlySteps: number;
}

export class MagCachePolicy implements CachePolicy {
  readonly name = 'magcache';
  readonly threshold: number;
  private readonly ratios: readonly number[];
  private readonly skipEarlySteps: number;
  private resampled: { readonly steps: number; readonly ratios: readonly number[] } | undefined;
  private accumulatedRatio = 1;
  private accumulatedError = 0;

  constructor(config: MagCachePolicyConfig) {
    if (config.ratios.length === 0 || !config.ratios.every((r) => Number.isFinite(r) && r >= 0)) {
      throw new RangeError('MagCache ratios must be a non-empty list of finite numbers ≥ 0: calibrate the model, or pick another policy.');
    }
    this.threshold = config.threshold;
    this.ratios = [...config.ratios];
    this.skipEarlySteps = Math.trunc(config.skipEarlySteps);
  }

  private ratioAt(step: number, steps: number): number {
    if (this.resampled?.steps !== steps) this.resampled = { steps, ratios: interpolateRatios(this.ratios, steps) };
    return this.resampled.ratios[step] ?? 1;
  }

  decide(step: number, _timestep: number, hasCache: boolean, context?: { readonly totalSteps: number }): Decision {
    if (!context) throw new Error('The magcache policy needs the step context (total steps, to line its ratios up with the run).');
    if (step === 0 || step < this.skipEarlySteps) {
      return { compute: true, reason: step === 0 ? 'first-step' : 'skip-early', distance: 0, accumulated: 0 };
    }
    this.accumulatedRatio *= this.ratioAt(step, context.totalSteps);
    const distance = Math.abs(1 - this.accumulatedRatio);
    this.accumulatedError += distance;
    const accumulated = this.accumulatedError;
    if (!hasCache) return { compute: true, reason: 'cold-cache', distance, accumulated };
    if (accumulated <= this.threshold) return { compute: false, reason: 'reuse', distance, accumulated };
    return { compute: true, reason: 'threshold', distance, accumulated };
  }

  /** The error restarts at every compute, whoever forced it (diffusers resets on every non-skip). */
  markComputed(): void {
    this.accumulatedRatio = 1;
    this.accumulatedError = 0;
  }
}
