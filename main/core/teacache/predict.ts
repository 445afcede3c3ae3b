// Predicts a policy's decisions without running the model, and the inverse:
// the threshold that gives a target speedup. Exact for policies that read only
// the schedule (the seed's), because it drives the same TeaCache bookkeeping
// the sampler uses; for `teacache` it replays a recorded input-side trace
// (exact for that trace; a cached run drifts slightly from it). Pure and fast
// enough to run on every slider move.

import { createPolicy, type PolicySettings } from './create-policy.ts';
import type { CachePolicy, Decision } from './policy.ts';
import { idealSpeedup } from './step-cost.ts';
import { TeaCache } from './teacache.ts';

export interface Prediction {
  readonly decisions: readonly Decision[];
  /** Model forwards the run will make. */
  readonly forwards: number;
  readonly reused: number;
  /** Steps over forwards: the speedup if forwards dominate a step's cost (a predictable policy's reused steps cost none: step-cost.ts). */
  readonly idealSpeedup: number;
  /** The threshold as the policy compares against it (float32 for the timestep rules, as the seed does). */
  readonly threshold: number;
}

/**
 * `timesteps` holds the N+1 schedule points; step i runs at `timesteps[i]`.
 * `signals[i]` is step i's input-side distance to step i−1 (as StepEvent.signal
 * records it); only signal-reading policies need it.
 */
export function predictDecisions(policy: CachePolicy, timesteps: readonly number[], signals?: readonly (number | null | undefined)[]): Prediction {
  const cache = new TeaCache<true>(policy);
  const steps = Math.max(0, timesteps.length - 1);
  if (signals !== undefined && signals.length < steps) {
    throw new RangeError(`The signal trace has ${signals.length} entries for ${steps} steps: record it from a run with the same step count.`);
  }
  const decisions: Decision[] = [];
  for (let step = 0; step < steps; step++) {
    const timestep = timesteps[step]!;
    const signal = signals?.[step] ?? undefined;
    if (cache.shouldCompute(step, timestep, { totalSteps: steps, signal })) cache.updateCache(true, timestep);
    else cache.getCached();
    decisions.push(cache.lastDecision()!);
  }
  const { misses: forwards, hits: reused } = cache.stats();
  return { decisions, forwards, reused, idealSpeedup: idealSpeedup(steps, forwards), threshold: policy.threshold };
}

/** The prediction for a request's cache settings (a fresh policy each call, as a run gets). */
export function predictSettings(settings: PolicySettings, timesteps: readonly number[], signals?: readonly (number | null | undefined)[]): Prediction {
  return predictDecisions(createPolicy(settings), timesteps, signals);
}

/** One run's input-side signals, as StepEvent.signal recorded them (step 0 has none). */
export type SignalTrace = readonly (number | null | undefined)[];

export interface SpeedupSolution {
  /** The threshold to use: mid-way across the range of thresholds giving the same decisions, so small drifts don't flip one. */
  readonly threshold: number;
  /** The lowest threshold giving these decisions. */
  readonly lowest: number;
  /** At `threshold`: one prediction per trace, or one alone for a rule that reads only the schedule. */
  readonly predictions: readonly Prediction[];
  /** All steps over all forwards of `predictions`. */
  readonly idealSpeedup: number;
  /** False when no threshold reaches the target (forced computes); the result is then the fastest possible. */
  readonly reachable: boolean;
}

const GRID = 256;
const BISECTIONS = 48;
const MAX_THRESHOLD = 1e6;

const patternOf = (predictions: readonly Prediction[]) => predictions.map((p) => p.decisions.map((d) => (d.compute ? 'C' : 'R')).join('')).join('|');
const forwardsOf = (predictions: readonly Prediction[]) => predictions.reduce((sum, p) => sum + p.forwards, 0);

/**
 * Finds the smallest threshold whose predicted ideal speedup reaches `target`
 * (the least reuse, so the best quality, that still gives the speed). With
 * several traces (a prompt set) the speedup is over all of them together: a
 * threshold tuned on their mean would give some runs a forward more. Scans a
 * grid before bisecting because accumulate-and-reset rules are not strictly
 * monotone in the threshold. Deterministic.
 */
export function thresholdForSpeedup(
  settings: Omit<PolicySettings, 'threshold'>,
  timesteps: readonly number[],
  target: number,
  traces?: readonly SignalTrace[],
): SpeedupSolution {
  if (!(Number.isFinite(target) && target >= 1)) throw new RangeError(`The target speedup must be a number ≥ 1 (1 means no reuse), got ${target}.`);
  if (traces !== undefined && traces.length === 0) throw new RangeError('Pass at least one signal trace, or none for a rule that reads only the schedule.');
  const runs = traces?.length ?? 1;
  const steps = (timesteps.length - 1) * runs;
  const at = (threshold: number) => (traces ?? [undefined]).map((trace) => predictSettings({ ...settings, threshold }, timesteps, trace));
  const solution = (threshold: number, lowest: number, predictions: readonly Prediction[], reachable: boolean): SpeedupSolution => {
    const forwards = forwardsOf(predictions);
    return { threshold, lowest, predictions, idealSpeedup: idealSpeedup(steps, forwards), reachable };
  };
  const fastest = forwardsOf(at(MAX_THRESHOLD));
  let goal = Math.floor(steps / target + 1e-9);
  const reachable = goal >= fastest;
  if (!reachable) goal = fastest;
  const meets = (threshold: number) => forwardsOf(at(threshold)) <= goal;

  let hi = 1 / 64;
  while (!meets(hi) && hi < MAX_THRESHOLD) hi *= 2;
  hi = Math.min(hi, MAX_THRESHOLD);
  // The first grid point that meets the goal, then the edge just below it.
  let below = 0;
  let above = hi;
  if (meets(0)) above = 0;
  else {
    for (let i = 1; i <= GRID; i++) {
      const threshold = (hi * i) / GRID;
      if (meets(threshold)) {
        above = threshold;
        break;
      }
      below = threshold;
    }
    for (let i = 0; i < BISECTIONS; i++) {
      const mid = (below + above) / 2;
      if (meets(mid)) above = mid;
      else below = mid;
    }
  }
  const lowest = above;
  const predictions = at(lowest);
  // Where the decisions change again: its midpoint with `lowest` is the robust choice.
  const pattern = patternOf(predictions);
  let same = lowest;
  let step = Math.max(lowest, 1 / 1024) / 16;
  let differs = lowest + step;
  while (patternOf(at(differs)) === pattern && differs < MAX_THRESHOLD) {
    same = differs;
    step *= 2;
    differs = same + step;
  }
  for (let i = 0; i < BISECTIONS; i++) {
    const mid = (same + differs) / 2;
    if (patternOf(at(mid)) === pattern) same = mid;
    else differs = mid;
  }
  const middle = differs >= MAX_THRESHOLD ? lowest * 2 + 1 / 64 : (lowest + differs) / 2;
  const atMiddle = at(middle);
  // A plateau broken by another pattern in between: stay at the edge that is known to hold.
  if (patternOf(atMiddle) !== pattern) return solution(lowest, lowest, predictions, reachable);
  return solution(middle, lowest, atMiddle, reachable);
}
