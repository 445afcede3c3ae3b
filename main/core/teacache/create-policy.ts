// Builds the policy a request's cache settings name. Pure, so the engine, the
// predictions and the renderer all build the very same policy.

import { NEUTRAL_CACHE_OPTIONS } from '../ranges.ts';
import { OptionsPolicy, hasPolicyOptions, type PolicyOptions } from './policy-options.ts';
import type { CachePolicy, PolicyName, TeaCacheAccumulation } from './policy.ts';
import { SeedPolicy } from './seed-policy.ts';
import { TeaCachePolicy } from './teacache-policy.ts';
import { TimestepConsecutivePolicy } from './timestep-consecutive-policy.ts';
import { EasyCachePolicy } from './easycache-policy.ts';
import { FirstBlockPolicy } from './first-block-policy.ts';
import { FLUX1_MAG_RATIOS, MagCachePolicy } from './magcache-policy.ts';

export interface PolicySettings extends PolicyOptions {
  readonly policy: PolicyName;
  readonly threshold: number;
  readonly rescaleFactor: number;
  readonly skipEarlySteps: number;
  /** The teacache policy's rescale polynomial, highest power first; ignored by timestep policies. */
  readonly coefficients: readonly number[];
  /** The teacache policy's accumulation; 'consecutive' (the original) when omitted. */
  readonly accumulate?: TeaCacheAccumulation;
  /** The magcache policy's per-step magnitude ratios; FLUX.1's published ones when omitted. */
  readonly magRatios?: readonly number[];
}

function basePolicy(settings: PolicySettings): CachePolicy {
  const { threshold, rescaleFactor, skipEarlySteps } = settings;
  switch (settings.policy) {
    case 'seed':
      return new SeedPolicy({ threshold, rescaleFactor, skipEarlySteps });
    case 'timestep-consecutive':
      return new TimestepConsecutivePolicy({ threshold, rescaleFactor, skipEarlySteps });
    case 'magcache':
      return new MagCachePolicy({ threshold, skipEarlySteps, ratios: settings.magRatios ?? FLUX1_MAG_RATIOS });
    case 'easycache':
      return new EasyCachePolicy({ threshold, skipEarlySteps });
    case 'first-block':
      return new FirstBlockPolicy({ threshold, skipEarlySteps });
    case 'teacache':
      return new TeaCachePolicy({
        threshold,
        rescaleFactor,
        skipEarlySteps,
        coefficients: settings.coefficients,
        accumulate: settings.accumulate ?? NEUTRAL_CACHE_OPTIONS.accumulate,
        computeLastStep: settings.alwaysComputeLast,
      });
  }
}

export function createPolicy(settings: PolicySettings): CachePolicy {
  const base = basePolicy(settings);
  // The teacache policy handles the last step itself (resetting its sum there, as the original does).
  const options = settings.policy === 'teacache' ? { ...settings, alwaysComputeLast: false } : settings;
  // Unwrapped when the options are neutral, so the seed runs exactly as ported.
  return hasPolicyOptions(options) ? new OptionsPolicy(base, options) : base;
}

/**
 * Policies that decide from what the model outputs as the run goes (First-Block Cache's residual,
 * EasyCache's rate): no recorded trace replays them, so their pattern is known only after the run.
 */
export function decidesDuringRun(policy: PolicyName): boolean {
  return policy === 'first-block' || policy === 'easycache';
}

/** Policies whose decisions follow from the schedule (and, for magcache, the model's ratios) alone: predictable exactly before a run. */
export function readsScheduleOnly(policy: PolicyName): boolean {
  return policy === 'seed' || policy === 'timestep-consecutive' || policy === 'magcache';
}
