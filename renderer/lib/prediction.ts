// Predicts a run's hit/miss pattern and speedup from the settings alone, with
// the engine's own resolution, schedule and policy code. Pure.

import { scheduleFor } from '../../main/engine/sampler/schedule.ts';
import type { Decision } from '../../main/engine/teacache/policy.ts';
import { predictDecisions } from '../../main/engine/teacache/predict.ts';
import { SeedPolicy } from '../../main/engine/teacache/seed-policy.ts';
import { resolveDraft, type Draft } from './draft.ts';
import type { ModelSummary, ResolvedRequest } from './types.ts';

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
  /** The threshold as the policy compares it (float32), null with the cache off. */
  readonly threshold: number | null;
}

export function predictRun(model: ModelSummary, draft: Draft): RunPrediction | { error: string } {
  const resolved = resolveDraft(model, draft);
  if ('error' in resolved) return resolved;
  const { request } = resolved;
  const timesteps = scheduleFor(request, model.info.sizeMultiple);
  const total = timesteps.length - 1;
  if (!request.cache.enabled) {
    const steps = timesteps.slice(0, total).map((timestep, index) => ({ index, timestep, compute: true, reason: 'cache-off' as const, accumulated: 0 }));
    return { request, steps, forwards: total, reused: 0, speedup: 1, threshold: null };
  }
  const policy = new SeedPolicy(request.cache);
  const prediction = predictDecisions(policy, timesteps);
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
    threshold: policy.threshold,
  };
}
