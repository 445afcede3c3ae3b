// Finds, before a run, a cache setting that will reuse at most one step: short
// distilled schedules (Z-Image-Turbo's 9 steps, FLUX.1 schnell's and distilled
// FLUX.2 klein's 4) leave the timestep rules few steps to reuse. Read from the
// engine's own prediction, so it is exact for the rules that read only the
// schedule. Pure; the CLI and the app each word it for their own controls.

import { readsScheduleOnly, type PolicySettings } from './create-policy.ts';
import { predictSettings } from './predict.ts';

/** Reusing this many steps or fewer is "little to skip". */
const LITTLE_TO_SKIP = 1;

/** So large that every step the policy does not force is reused: the most any threshold can give. */
const UNBOUNDED_THRESHOLD = 1e6;

export interface LittleToSkip {
  readonly steps: number;
  readonly reused: number;
  readonly forwards: number;
  /** True when a higher threshold reuses more; false when the forced steps (first, skip-early, last) leave nothing else. */
  readonly higherThresholdHelps: boolean;
}

/** What a run at these cache settings will skip when that is at most one step; undefined otherwise, with the cache off, or when the policy's decisions depend on the run. */
export function littleToSkip(cache: PolicySettings & { readonly enabled: boolean }, timesteps: readonly number[]): LittleToSkip | undefined {
  if (!cache.enabled || !readsScheduleOnly(cache.policy)) return undefined;
  const { reused, forwards } = predictSettings(cache, timesteps);
  if (reused > LITTLE_TO_SKIP) return undefined;
  const most = predictSettings({ ...cache, threshold: UNBOUNDED_THRESHOLD }, timesteps).reused;
  return { steps: timesteps.length - 1, reused, forwards, higherThresholdHelps: most > reused };
}
