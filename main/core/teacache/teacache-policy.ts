// The original TeaCache rule (ali-vilab/TeaCache, TeaCache4FLUX): relative L1
// change of the first block's timestep-modulated input between consecutive
// steps, rescaled by a per-model polynomial and accumulated; reuse while the
// sum stays below the threshold, reset when it fires. Pure; it never sees
// tensors — the sampler measures the signal and passes it in.

import type { CachePolicy, Decision, StepContext, TeaCacheAccumulation } from './policy.ts';

/**
 * FLUX.1's rescale polynomial, highest power first, as published in
 * TeaCache4FLUX/teacache_flux.py (checked against ali-vilab/TeaCache).
 */
export const FLUX1_COEFFICIENTS: readonly number[] = Object.freeze([498.651651, -283.781631, 55.8554382, -3.82021401, 0.264230861]);

/** The original's middle setting for FLUX.1 ("0.4 for 1.8x speedup"). */
export const DEFAULT_TEACACHE_POLICY_THRESHOLD = 0.4;

/** Horner's rule; coefficients highest power first, as numpy.poly1d takes them. */
export function polyval(coefficients: readonly number[], x: number): number {
  let value = 0;
  for (const c of coefficients) value = value * x + c;
  return value;
}

export interface TeaCachePolicyConfig {
  /** Accumulated rescaled distance at which a step is recomputed. Higher means more reuse. */
  readonly threshold: number;
  /** Rescale polynomial, highest power first. */
  readonly coefficients: readonly number[];
  /** Multiplies each rescaled distance (1 leaves the polynomial alone). */
  readonly rescaleFactor?: number;
  /** Steps `0 … skipEarlySteps − 1` always run the model. */
  readonly skipEarlySteps?: number;
  /**
   * 'consecutive' (the original): add each step's rescaled change. 'since-compute': add the
   * estimated distance from the last computed step (the sum of changes since), as the seed
   * does with timesteps — it grows with every reuse, so it bounds the accumulated error.
   */
  readonly accumulate?: TeaCacheAccumulation;
  /** Always compute the last step, as the original does (default true). */
  readonly computeLastStep?: boolean;
}

export class TeaCachePolicy implements CachePolicy {
  readonly name = 'teacache';
  readonly needsSignal = true;
  readonly threshold: number;
  private readonly coefficients: readonly number[];
  private readonly rescaleFactor: number;
  private readonly skipEarlySteps: number;
  private readonly accumulate: TeaCacheAccumulation;
  private readonly computeLastStep: boolean;
  private accumulated = 0;
  /** Rescaled change since the last computed step ('since-compute' only). */
  private drift = 0;

  constructor(config: TeaCachePolicyConfig) {
    if (config.coefficients.length === 0 || !config.coefficients.every(Number.isFinite)) {
      throw new RangeError('TeaCache coefficients must be a non-empty list of finite numbers (highest power first).');
    }
    this.threshold = config.threshold;
    this.coefficients = [...config.coefficients];
    this.rescaleFactor = config.rescaleFactor ?? 1;
    this.skipEarlySteps = Math.trunc(config.skipEarlySteps ?? 0);
    this.accumulate = config.accumulate ?? 'consecutive';
    this.computeLastStep = config.computeLastStep ?? true;
  }

  decide(step: number, _timestep: number, hasCache: boolean, context?: StepContext): Decision {
    if (!context) throw new Error('The teacache policy needs the step context (total steps and input-side signal).');
    const last = this.computeLastStep && step === context.totalSteps - 1;
    if (step === 0 || last || step < this.skipEarlySteps || !hasCache) {
      // As in the original, the first and last steps restart the accumulator.
      if (step === 0 || last) this.accumulated = this.drift = 0;
      const reason = step === 0 ? 'first-step' : last ? 'last-step' : step < this.skipEarlySteps ? 'skip-early' : 'cold-cache';
      return { compute: true, reason, distance: 0, accumulated: this.accumulated };
    }
    if (context.signal === undefined || !Number.isFinite(context.signal)) {
      throw new Error(`The teacache policy needs the input-side signal at step ${step}; this model does not provide it — pick a timestep policy.`);
    }
    // A fitted polynomial can dip below zero outside the range it was fitted on; a negative
    // change would pay back drift already accumulated. (FLUX.1's stays above 0.18 for x ≥ 0.)
    const change = Math.max(0, polyval(this.coefficients, context.signal)) * this.rescaleFactor;
    this.drift += change;
    const distance = this.accumulate === 'consecutive' ? change : this.drift;
    this.accumulated += distance;
    const accumulated = this.accumulated;
    // The original reuses while strictly below the threshold, so reaching it fires.
    if (accumulated < this.threshold) return { compute: false, reason: 'reuse', distance, accumulated };
    this.accumulated = this.drift = 0;
    return { compute: true, reason: 'threshold', distance, accumulated };
  }

  /** A fresh residual makes the drift measured so far irrelevant, whoever forced the compute. */
  markComputed(): void {
    this.accumulated = this.drift = 0;
  }
}
