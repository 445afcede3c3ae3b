// The Euler flow-matching step loop with TeaCache: decides per step whether to
// run the model or reuse its cached output, and reports every decision.
// Runs in the engine; no Node or Electron imports.

import type { MxArray, MxBackend } from '../mlx/backend.ts';
import { CancelledError } from '../errors.ts';
import type { CacheStats } from '../teacache/teacache.ts';
import type { DecisionReason } from '../teacache/policy.ts';
import type { TeaCache } from '../teacache/teacache.ts';

/** One step's outcome, as charts, logs and reports see it. */
export interface StepEvent {
  readonly index: number;
  readonly total: number;
  readonly timestep: number;
  readonly computed: boolean;
  readonly reason: DecisionReason;
  /** The policy's distance for this step (0 when it was not evaluated). */
  readonly distance: number;
  /** The accumulator compared against the threshold, before any reset. */
  readonly accumulated: number;
  /** null when caching is off. */
  readonly threshold: number | null;
  /** Wall time of the step, model and update included. */
  readonly ms: number;
}

/** How a step's velocity is obtained from the model. */
export type Guidance =
  /** One forward per step; the model sees guidance through its own embedding, or not at all. */
  | { readonly mode: 'single'; velocity(x: MxArray, timestep: number): MxArray }
  /** True CFG: positive and negative predictions, recombined as neg + scale·(pos − neg). */
  | { readonly mode: 'cfg'; readonly scale: number; velocityPair(x: MxArray, timestep: number): [pos: MxArray, neg: MxArray] };

export interface SamplerInput {
  readonly noise: MxArray;
  /** The N+1 time points; step i goes from timesteps[i] to timesteps[i+1]. */
  readonly timesteps: readonly number[];
  readonly guidance: Guidance;
  /** Omit to run the model at every step. */
  readonly cache?: TeaCache<MxArray>;
  readonly signal?: { readonly aborted: boolean };
  /** Awaited between steps: where the caller frees memory and lets messages in. */
  betweenSteps?(): Promise<void>;
  /** Called after each step with the event and the current image estimate x̂₀ = x − t·v. */
  onStep?(event: StepEvent, estimate: () => MxArray): void;
}

export interface SamplerOutput {
  readonly result: MxArray;
  readonly events: StepEvent[];
  /** Forwards skipped and made; with no cache, every step is a miss. */
  readonly stats: CacheStats;
}

export async function sample(mx: MxBackend, input: SamplerInput): Promise<SamplerOutput> {
  const { timesteps, guidance, cache, signal } = input;
  const total = timesteps.length - 1;
  const events: StepEvent[] = [];
  const combine = (pos: MxArray, neg: MxArray, scale: number) => mx.add(neg, mx.multiply(mx.subtract(pos, neg), scale));

  const computeVelocity = (x: MxArray, timestep: number): MxArray => {
    if (guidance.mode === 'single') {
      const velocity = guidance.velocity(x, timestep);
      cache?.updateCache(velocity, timestep);
      return velocity;
    }
    const [pos, neg] = guidance.velocityPair(x, timestep);
    cache?.updateCFGCache(pos, neg, timestep);
    return combine(pos, neg, guidance.scale);
  };

  const reuseVelocity = (cached: TeaCache<MxArray>): MxArray => {
    if (guidance.mode === 'single') return cached.getCached()!;
    const [pos, neg] = cached.getCFGCached();
    return combine(pos!, neg!, guidance.scale);
  };

  let x = input.noise;
  for (let index = 0; index < total; index++) {
    if (index > 0) await input.betweenSteps?.();
    if (signal?.aborted) throw new CancelledError();
    const timestep = timesteps[index]!;
    const next = timesteps[index + 1]!;
    const started = performance.now();
    const computed = cache ? cache.shouldCompute(index, timestep) : true;
    const velocity = computed ? computeVelocity(x, timestep) : reuseVelocity(cache!);
    const current = x;
    x = mx.add(x, mx.multiply(velocity, next - timestep));
    mx.eval(x);
    const decision = cache?.lastDecision();
    const event: StepEvent = {
      index,
      total,
      timestep,
      computed,
      reason: decision?.reason ?? 'cache-off',
      distance: decision?.distance ?? 0,
      accumulated: decision?.accumulated ?? 0,
      threshold: cache ? cache.policy.threshold : null,
      ms: performance.now() - started,
    };
    events.push(event);
    input.onStep?.(event, () => mx.subtract(current, mx.multiply(velocity, timestep)));
  }
  return { result: x, events, stats: cache ? cache.stats() : { hits: 0, misses: total } };
}
