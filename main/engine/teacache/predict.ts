// Predicts a policy's decisions over a schedule without running the model.
// Exact for policies that read only the schedule (the seed's), because it
// drives the same TeaCache bookkeeping the sampler uses. Pure.

import type { Decision } from './policy.ts';
import type { CachePolicy } from './policy.ts';
import { TeaCache } from './teacache.ts';

export interface Prediction {
  readonly decisions: readonly Decision[];
  /** Model forwards the run will make. */
  readonly forwards: number;
  readonly reused: number;
  /** Steps over forwards: the speedup if forwards dominate a step's cost. */
  readonly idealSpeedup: number;
}

/** `timesteps` holds the N+1 schedule points; step i runs at `timesteps[i]`. */
export function predictDecisions(policy: CachePolicy, timesteps: readonly number[]): Prediction {
  const cache = new TeaCache<true>(policy);
  const steps = Math.max(0, timesteps.length - 1);
  const decisions: Decision[] = [];
  for (let step = 0; step < steps; step++) {
    const timestep = timesteps[step]!;
    if (cache.shouldCompute(step, timestep)) cache.updateCache(true, timestep);
    else cache.getCached();
    decisions.push(cache.lastDecision()!);
  }
  const { misses: forwards, hits: reused } = cache.stats();
  return { decisions, forwards, reused, idealSpeedup: forwards === 0 ? 1 : steps / forwards };
}
