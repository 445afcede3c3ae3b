// Builds the policy a request's cache settings name. Pure, so the engine, the
// predictions and the renderer all build the very same policy.

import { OptionsPolicy, hasPolicyOptions, type PolicyOptions } from './policy-options.ts';
import type { CachePolicy, PolicyName, TeaCacheAccumulation } from './policy.ts';
import { SeedPolicy } from './seed-policy.ts';
import { TeaCachePolicy } from './teacache-policy.ts';
import { TimestepConsecutivePolicy } from './timestep-consecutive-policy.ts';

export interface PolicySettings extends PolicyOptions {
  readonly policy: PolicyName;
  readonly threshold: number;
  readonly rescaleFactor: number;
  readonly skipEarlySteps: number;
  /** The teacache policy's rescale polynomial, highest power first; ignored by timestep policies. */
  readonly coefficients: readonly number[];
  /** The teacache policy's accumulation; 'consecutive' (the original) when omitted. */
  readonly accumulate?: TeaCacheAccumulation;
}

export function createPolicy(settings: PolicySettings): CachePolicy {
  const { threshold, rescaleFactor, skipEarlySteps } = settings;
  const base: CachePolicy =
    settings.policy === 'seed'
      ? new SeedPolicy({ threshold, rescaleFactor, skipEarlySteps })
      : settings.policy === 'timestep-consecutive'
        ? new TimestepConsecutivePolicy({ threshold, rescaleFactor, skipEarlySteps })
        : new TeaCachePolicy({
            threshold,
            rescaleFactor,
            skipEarlySteps,
            coefficients: settings.coefficients,
            accumulate: settings.accumulate ?? 'consecutive',
            computeLastStep: settings.alwaysComputeLast,
          });
  // The teacache policy handles the last step itself (resetting its sum there, as the original does).
  const options = settings.policy === 'teacache' ? { ...settings, alwaysComputeLast: false } : settings;
  // Unwrapped when the options are neutral, so the seed runs exactly as ported.
  return hasPolicyOptions(options) ? new OptionsPolicy(base, options) : base;
}

/** Policies whose decisions follow from the schedule alone (predictable exactly before a run). */
export function readsScheduleOnly(policy: PolicyName): boolean {
  return policy !== 'teacache';
}
