// The CLI's words for a run that will skip little or nothing (core's
// littleToSkip), pointing at --threshold. Pure.

import type { ResolvedRequest } from '../core/request.ts';
import { littleToSkip } from '../core/teacache/little-to-skip.ts';

/** A note for a run that will reuse at most one step; undefined otherwise, or when the policy's decisions depend on the run. */
export function skipNote(request: ResolvedRequest, timesteps: readonly number[]): string | undefined {
  const { cache } = request;
  const little = littleToSkip(cache, timesteps);
  if (!little) return undefined;
  const { steps, reused, forwards } = little;
  const what = reused === 0 ? 'skips nothing: every one of its' : `skips only 1 of its`;
  const advice = little.higherThresholdHelps
    ? 'raise --threshold to reuse more (the step list below shows each decision).'
    : 'no --threshold reuses more: these settings make every other step compute (the first always does; see --skip-early, --last-step, --max-reuses), so give more --steps.';
  return (
    `at threshold ${cache.threshold} (${cache.policy} rule) this ${steps}-step run ${what} ${steps} steps ${reused === 0 ? 'computes' : `(${forwards} forwards)`}, ` +
    `so TeaCache cannot speed it up much; ${advice}`
  );
}
