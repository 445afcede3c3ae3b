// Predicts a run's hit/miss pattern and speedup from the settings alone, with
// the engine's own resolution, schedule and policy code. Pure.

import { scheduleFor } from '../../main/core/schedule.ts';
import { decidesDuringRun, readsScheduleOnly } from '../../main/core/teacache/create-policy.ts';
import { littleToSkip, type LittleToSkip } from '../../main/core/teacache/little-to-skip.ts';
import type { Decision, PolicyName } from '../../main/core/teacache/policy.ts';
import { predictSettings, thresholdForSpeedup, type SignalTrace } from '../../main/core/teacache/predict.ts';
import { resolveRequest } from '../../main/core/resolve-request.ts';
import { imageKey, presetCache, thresholdRange, toRequest, type Draft, type DraftCache } from './draft.ts';
import { PRESET_NAMES } from '../../main/core/teacache/presets.ts';
import type { GenerationRequest, ModelSummary, ResolvedRequest, RunEntry } from './types.ts';

export interface PredictedStep {
  readonly index: number;
  readonly timestep: number;
  readonly compute: boolean;
  readonly reason: Decision['reason'];
  readonly accumulated: number;
}

export interface RunPrediction {
  readonly request: ResolvedRequest;
  readonly steps: readonly PredictedStep[];
  readonly forwards: number;
  readonly reused: number;
  /** Steps over forwards: the speedup when the model's forward dominates a step. */
  readonly speedup: number;
  /** The threshold as the policy compares it, null with the cache off. */
  readonly threshold: number | null;
  /** True when the decisions follow from the schedule alone; false when replayed from a recorded signal trace. */
  readonly exact: boolean;
  /** The run whose input-side signal trace was replayed (teacache policy). */
  readonly traceFrom: RunEntry | null;
  /** Set when the cache will reuse at most one step (a short distilled schedule, a low threshold), so the app can say so before the run. */
  readonly littleToSkip: LittleToSkip | null;
}

/** Why nothing can be predicted yet (the teacache policy before any run recorded its signal). */
export interface NoPrediction {
  readonly request: ResolvedRequest;
  readonly unavailable: string;
}

export type PredictionResult = RunPrediction | NoPrediction | { readonly error: string };

const hasTrace = (entry: RunEntry, steps: number) =>
  entry.request.steps === steps && entry.events.length === steps && entry.events.every((e) => e.index === 0 || typeof e.signal === 'number');

/**
 * The recorded run whose signal trace best stands in for `request`: the same
 * image (prompt, seed, size…) if one was recorded, else any run with the same
 * step count. Newest first.
 */
export function findTrace(history: readonly RunEntry[], request: ResolvedRequest): RunEntry | null {
  const key = imageKey(request);
  const usable = history.filter((e) => hasTrace(e, request.steps));
  return usable.find((e) => imageKey(e.request) === key) ?? usable[0] ?? null;
}

/** Target-speedup mode's answer: the threshold for the speed asked, or why there is none. */
export type ThresholdAim =
  | {
      readonly threshold: number;
      /** What that threshold is predicted to give: the target or more, or the most on offer when the target is out of reach. */
      readonly speedup: number;
      readonly reachable: boolean;
    }
  | { readonly unavailable: string }
  | { readonly error: string };

/**
 * Why a policy that reads the model's outputs during the run has no pattern, and so no speedup, before it. First-Block
 * Cache's also says that its reused steps are not free, so the speedup the run then shows is not read as steps over forwards.
 */
function duringRunNote(policy: PolicyName): string {
  if (policy === 'first-block') {
    return 'First-Block Cache compares the first block’s output from step to step as the run goes, so its pattern is known only after the run; each step it reuses still runs that block, and its speedup counts it.';
  }
  return 'EasyCache learns its rate from the model’s outputs as the run goes, so its pattern is known only after the run.';
}

/** A request resolved by the engine's rules, with its schedule; or the engine's refusal. */
function resolveWithSchedule(model: ModelSummary, sent: GenerationRequest): { readonly request: ResolvedRequest; readonly timesteps: number[] } | { readonly error: string } {
  try {
    const request = resolveRequest(model, sent);
    return { request, timesteps: scheduleFor(request, model.info.sizeMultiple) };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * What a prediction for `request` replays: nothing for a rule that reads only the schedule,
 * a recorded run's signal for `teacache`; undefined when that policy has none to replay.
 */
function replayFor(request: ResolvedRequest, history: readonly RunEntry[]): { readonly trace: RunEntry | null; readonly signals?: SignalTrace } | undefined {
  if (readsScheduleOnly(request.cache.policy)) return { trace: null };
  const trace = findTrace(history, request);
  return trace ? { trace, signals: trace.events.map((e) => e.signal) } : undefined;
}

/**
 * The lowest threshold (the best quality) whose predicted speedup reaches `target` under
 * the draft's other settings, with the engine's own search and the same trace the
 * prediction replays. Kept within the threshold slider's range.
 */
export function thresholdForTarget(model: ModelSummary, draft: Draft, history: readonly RunEntry[], target: number): ThresholdAim {
  const resolved = resolveWithSchedule(model, toRequest(draft, { cacheEnabled: true }));
  if ('error' in resolved) return resolved;
  const { request, timesteps } = resolved;
  if (decidesDuringRun(request.cache.policy)) return { unavailable: duringRunNote(request.cache.policy) };
  const replay = replayFor(request, history);
  if (!replay) return { unavailable: 'Generate once with these steps: TeaCache’s threshold for a speed is found on a recorded run.' };
  const solution = thresholdForSpeedup(request.cache, timesteps, target, replay.signals && [replay.signals]);
  const { max } = thresholdRange(request.cache.policy);
  if (solution.threshold <= max) return { threshold: solution.threshold, speedup: solution.idealSpeedup, reachable: solution.reachable };
  const atMax = predictSettings({ ...request.cache, threshold: max }, timesteps, replay.signals);
  return { threshold: max, speedup: atMax.idealSpeedup, reachable: false };
}

/**
 * "Aim for N×" with the policy chosen too: the model's presets are measured points on its front,
 * so the policy (and reuse) of the slowest preset measured at the target or beyond is the one that
 * held quality best there; its threshold is then solved for the target. Without presets, or when
 * that policy cannot be predicted, the draft's own policy is kept.
 */
export function aimFor(model: ModelSummary, draft: Draft, history: readonly RunEntry[], target: number): { readonly cache: Partial<DraftCache>; readonly aim: ThresholdAim } {
  const presets = PRESET_NAMES.flatMap((name) => {
    const cache = presetCache(model, name);
    return cache ? [{ cache, speedup: model.defaults.presets![name].measured.speedup }] : [];
  }).sort((a, b) => a.speedup - b.speedup);
  const chosen = presets.find((p) => p.speedup >= target - 1e-9) ?? presets.at(-1);
  if (chosen && !decidesDuringRun(chosen.cache.policy)) {
    const aim = thresholdForTarget(model, { ...draft, cache: chosen.cache }, history, target);
    if ('threshold' in aim) return { cache: { ...chosen.cache, threshold: aim.threshold }, aim };
  }
  const aim = thresholdForTarget(model, draft, history, target);
  return { cache: 'threshold' in aim ? { threshold: aim.threshold } : {}, aim };
}

export function predictRun(model: ModelSummary, draft: Draft, history: readonly RunEntry[] = []): PredictionResult {
  return predictRequest(model, toRequest(draft), history);
}

/** The prediction for a request as sent (the live run's, for its ghost pattern). */
export function predictRequest(model: ModelSummary, sent: GenerationRequest, history: readonly RunEntry[] = []): PredictionResult {
  const resolved = resolveWithSchedule(model, sent);
  if ('error' in resolved) return resolved;
  const { request, timesteps } = resolved;
  const total = timesteps.length - 1;
  if (!request.cache.enabled) {
    const steps = timesteps.slice(0, total).map((timestep, index) => ({ index, timestep, compute: true, reason: 'cache-off' as const, accumulated: 0 }));
    return { request, steps, forwards: total, reused: 0, speedup: 1, threshold: null, exact: true, traceFrom: null, littleToSkip: null };
  }
  if (decidesDuringRun(request.cache.policy)) return { request, unavailable: duringRunNote(request.cache.policy) };
  const replay = replayFor(request, history);
  if (!replay) {
    return { request, unavailable: 'TeaCache reads how much the model’s input changes, so its pattern is predicted from a recorded run: generate once with these steps.' };
  }
  const prediction = predictSettings(request.cache, timesteps, replay.signals);
  const steps = prediction.decisions.map((d, index) => ({
    index,
    timestep: timesteps[index]!,
    compute: d.compute,
    reason: d.reason,
    accumulated: d.accumulated,
  }));
  return {
    request,
    steps,
    forwards: prediction.forwards,
    reused: prediction.reused,
    speedup: prediction.idealSpeedup,
    // As the policy itself compares it (the timestep rules round to float32, as the seed does).
    threshold: prediction.threshold,
    exact: replay.trace === null,
    traceFrom: replay.trace,
    littleToSkip: littleToSkip(request.cache, timesteps) ?? null,
  };
}
