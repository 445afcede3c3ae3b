// Says before a run when its cache setting will skip little or nothing: short
// distilled schedules (Z-Image-Turbo's 9 steps, FLUX.1 schnell's 4) leave the
// timestep rules few steps to reuse. Read from the engine's own prediction, so
// it is exact for the rules that read only the schedule. Pure.

import type { ResolvedRequest } from '../core/request.ts';
import { readsScheduleOnly } from '../core/teacache/create-policy.ts';
import { predictSettings } from '../core/teacache/predict.ts';

/** A note for a run that will reuse at most one step; undefined otherwise, or when the policy's decisions depend on the run. */
export function skipNote(request: ResolvedRequest, timesteps: readonly number[]): string | undefined {
  const { cache } = request;
  if (!cache.enabled || !readsScheduleOnly(cache.policy)) return undefined;
  const { reused, forwards } = predictSettings(cache, timesteps);
  if (reused > 1) return undefined;
  const steps = timesteps.length - 1;
  const what = reused === 0 ? 'skips nothing: every one of its' : `skips only 1 of its`;
  return (
    `at threshold ${cache.threshold} (${cache.policy} rule) this ${steps}-step run ${what} ${steps} steps ${reused === 0 ? 'computes' : `(${forwards} forwards)`}, ` +
    `so TeaCache cannot speed it up much; raise --threshold to reuse more (the step list below shows each decision).`
  );
}
