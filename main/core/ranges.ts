// The one table of a request's settings: the bounds a request may ask (the request schema checks them, so the
// contract and the CLI refuse the same values), what an omitted cache option means, and the narrower spans the
// renderer's sliders offer. Pure: imports nothing at run time beyond core, so the renderer reads it too.

import type { PolicyName, ReuseMode, TeaCacheAccumulation } from './teacache/policy.ts';
import { NO_POLICY_OPTIONS } from './teacache/policy-options.ts';

export interface Range {
  readonly min: number;
  readonly max: number;
  readonly step: number;
}

/** What a request may ask, whatever the model; the model then narrows sizes (resolveRequest). */
export const REQUEST_LIMITS = {
  promptChars: 2000,
  steps: { min: 1, max: 500 },
  size: { min: 8, max: 4096 },
  guidanceScale: { min: 0, max: 50 },
  threshold: { min: 0, max: 10 },
  rescaleFactor: { min: 0, max: 100 },
  skipEarlySteps: { min: 0, max: 1000 },
  /** startFraction and endFraction. */
  fraction: { min: 0, max: 1 },
  maxConsecutiveReuses: { min: 0, max: 1000 },
} as const;

/** The policy a request without one runs: the seed's own rule. */
export const DEFAULT_POLICY: PolicyName = 'seed';

/**
 * What an omitted cache option means where neither the policy nor the model says otherwise (resolveRequest
 * applies each published method's own: EasyCache's window, MagCache's cap and residual reuse, teacache's last step).
 */
export const NEUTRAL_CACHE_OPTIONS = Object.freeze({
  reuse: 'output' as ReuseMode,
  accumulate: 'consecutive' as TeaCacheAccumulation,
  ...NO_POLICY_OPTIONS,
});

/**
 * Slider ranges: the useful part of each limit. Threshold is an accumulated timestep distance (t runs 1 → 0),
 * so anything past 1 reuses nearly every step; rescale multiplies each distance.
 */
export const RANGES = {
  steps: { min: 4, max: 100, step: 1 },
  guidanceScale: { min: 1, max: 12, step: 0.5 },
  threshold: { min: 0, max: 1, step: 0.01 },
  rescaleFactor: { min: 0, max: 4, step: 0.05 },
  skipEarlySteps: { min: 0, max: 30, step: 1 },
  window: { min: 0, max: 1, step: 0.05 },
  /** One past the top means "no cap". */
  maxConsecutiveReuses: { min: 0, max: 11, step: 1 },
} as const satisfies Record<string, Range>;

/**
 * The teacache policy's distances are relative L1 changes, a larger scale than timestep distances;
 * a calibrated polynomial's default can be as fine as 0.095, so the slider moves in thousandths.
 * MagCache's error, First-Block Cache's change and EasyCache's estimate share this scale.
 */
export const TEACACHE_THRESHOLD_RANGE: Range = { min: 0, max: 2, step: 0.001 };

/** The threshold slider's range for a policy: timestep distances for the timestep rules, else the signal scale. */
export function thresholdRange(policy: PolicyName): Range {
  return policy === 'seed' || policy === 'timestep-consecutive' ? RANGES.threshold : TEACACHE_THRESHOLD_RANGE;
}
