// The Euler flow-matching step loop with TeaCache: decides per step whether to
// run the model or reuse its cached output, and reports every decision.
// Runs in the engine; no Node or Electron imports.

import type { MxArray, MxBackend } from '../mlx/backend.ts';
import { CancelledError } from '../../core/errors.ts';
import { NEUTRAL_CACHE_OPTIONS } from '../../core/ranges.ts';
import { stepCost } from '../../core/teacache/step-cost.ts';
import type { CacheStats } from '../../core/teacache/teacache.ts';
import { forecastOrder, forecastsInSteps, forecastWeights } from '../../core/teacache/forecast.ts';
import type { ReuseMode } from '../../core/teacache/policy.ts';
import type { TeaCache } from '../../core/teacache/teacache.ts';

export type { StepEvent } from '../../core/step-event.ts';
import type { StepEvent } from '../../core/step-event.ts';

/** The first transformer block run on its own, for First-Block Cache. */
export interface FirstBlockStep {
  /** The first block's image-stream output. */
  readonly output: MxArray;
  /** That output minus the blocks' input: what First-Block Cache compares from step to step. */
  readonly residual: MxArray;
  /** What a step that stops here (embedders, this block, the final layer) costs as a share of the whole forward, as the model counts it. */
  readonly share: number;
  /** Runs the remaining blocks on the first one's output; returns the blocks' image-stream output. */
  rest(): MxArray;
}

/**
 * One step of the model split at its transformer blocks: the embedders have
 * run, the blocks have not. Lets the sampler measure the input-side signal
 * cheaply and reuse the blocks' residual.
 */
export interface SplitStep {
  /** The blocks' image-stream input. */
  readonly blockInput: MxArray;
  /** The first block's timestep-modulated image input: TeaCache's signal. */
  readonly signal: MxArray;
  /** Runs the transformer blocks; returns their image-stream output. */
  blocks(): MxArray;
  /** The final layer (and guidance) on a block output: the step's velocity. */
  velocity(blockOutput: MxArray): MxArray;
  /** The first block alone, then the rest; absent where the architecture cannot part them. */
  firstBlock?(): FirstBlockStep;
}

/** How a step's velocity is obtained from the model. */
export type Guidance =
  /** One forward per step; the model sees guidance through its own embedding, or not at all. */
  | { readonly mode: 'single'; velocity(x: MxArray, timestep: number): MxArray; split?(x: MxArray, timestep: number): SplitStep }
  /**
   * True CFG: positive and negative predictions, recombined as neg + scale·(pos − neg).
   * `split` (optional) runs both branches batched and returns the recombined velocity.
   */
  | {
      readonly mode: 'cfg';
      readonly scale: number;
      velocityPair(x: MxArray, timestep: number): [pos: MxArray, neg: MxArray];
      split?(x: MxArray, timestep: number): SplitStep;
    };

/** True CFG's guided velocity, neg + scale·(pos − neg), always recombined fresh from the two branches. */
export function combineGuidance(mx: MxBackend, pos: MxArray, neg: MxArray, scale: number): MxArray {
  return mx.add(neg, mx.multiply(mx.subtract(pos, neg), scale));
}

export interface SamplerInput {
  readonly noise: MxArray;
  /** The N+1 time points; step i goes from timesteps[i] to timesteps[i+1]. */
  readonly timesteps: readonly number[];
  readonly guidance: Guidance;
  /** Omit to run the model at every step. */
  readonly cache?: TeaCache<MxArray>;
  /** What a reused step uses; 'output' (the seed's) when omitted. 'residual' needs `guidance.split`. */
  readonly reuse?: ReuseMode;
  /** Measure the input-side signal every step even when the policy does not read it (calibration, traces). */
  readonly measureSignal?: boolean;
  /** Each step's velocity as used in the update, computed or reused. */
  onVelocity?(index: number, velocity: MxArray, computed: boolean): void;
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
  readonly stats: SamplerStats;
}

export interface SamplerStats extends CacheStats {
  /** What the steps cost in whole forwards, each step by core/teacache/step-cost.ts (reused First-Block Cache steps count their probe). */
  readonly forwardEquivalents: number;
}

export async function sample(mx: MxBackend, input: SamplerInput): Promise<SamplerOutput> {
  const { timesteps, guidance, cache, signal } = input;
  const total = timesteps.length - 1;
  const events: StepEvent[] = [];

  const computeVelocity = (x: MxArray, timestep: number): MxArray => {
    if (guidance.mode === 'single') {
      const velocity = guidance.velocity(x, timestep);
      cache?.updateCache(velocity, timestep);
      return velocity;
    }
    const [pos, neg] = guidance.velocityPair(x, timestep);
    cache?.updateCFGCache(pos, neg, timestep);
    return combineGuidance(mx, pos, neg, guidance.scale);
  };

  const reuseVelocity = (cached: TeaCache<MxArray>): MxArray => {
    if (guidance.mode === 'single') return cached.getCached()!;
    const [pos, neg] = cached.getCFGCached();
    return combineGuidance(mx, pos!, neg!, guidance.scale);
  };

  const firstBlock = cache?.policy.signalSource === 'first-block-residual';
  const reuse = firstBlock ? 'residual' : (input.reuse ?? NEUTRAL_CACHE_OPTIONS.reuse);
  const needsSignal = (cache?.policy.needsSignal ?? false) || (input.measureSignal ?? false);
  const measureMagnitude = input.measureSignal ?? false;
  const observes = cache?.policy.needsObservations ?? false;
  const useSplit = needsSignal || (cache !== undefined && reuse === 'residual');
  if (useSplit && !guidance.split) {
    throw new Error(
      needsSignal
        ? 'This model cannot measure the input-side signal the policy reads (it does not expose its transformer blocks): pick a timestep policy, magcache or easycache.'
        : "This model does not expose its transformer blocks, so it cannot reuse their residual: use reuse 'output' or 'taylor'.",
    );
  }
  let previousSignal: MxArray | undefined;
  let previousResidual: MxArray | undefined;
  // First-Block Cache compares with the first block's residual at the last computed step.
  let firstResidualAtCompute: MxArray | undefined;
  // EasyCache's input and output at the last computed step.
  let atCompute: { readonly x: MxArray; readonly velocity: MxArray } | undefined;
  // The forecast's factors at the last compute: the velocity, then its divided differences in
  // t (TaylorSeer) or in steps (HiCache).
  const order = forecastOrder(reuse);
  // Where a step sits on the forecast's axis: its index for HiCache, its time for TaylorSeer.
  const forecastAt = forecastsInSteps(reuse) ? (index: number) => index : (_index: number, timestep: number) => timestep;
  let factors: MxArray[] = [];
  let factorsAt: number | undefined;

  const plainVelocity = (x: MxArray, timestep: number): MxArray => {
    if (guidance.mode === 'single') return guidance.velocity(x, timestep);
    const [pos, neg] = guidance.velocityPair(x, timestep);
    return combineGuidance(mx, pos, neg, guidance.scale);
  };

  const computeWith = (x: MxArray, index: number, timestep: number, part: SplitStep | undefined, first: FirstBlockStep | undefined): MxArray => {
    if (!part && reuse === 'output') return computeVelocity(x, timestep);
    let velocity: MxArray;
    if (part) {
      const blockOutput = first ? first.rest() : part.blocks();
      velocity = part.velocity(blockOutput);
      // First-Block Cache keeps what the remaining blocks added; the others what all of them added.
      if (reuse === 'residual') cache?.updateCache(mx.subtract(blockOutput, first ? first.output : part.blockInput), timestep);
      if (first) firstResidualAtCompute = first.residual;
      if (measureMagnitude) {
        const residual = mx.subtract(blockOutput, part.blockInput);
        lastMagnitudeRatio = previousResidual ? magnitudeRatio(mx, residual, previousResidual) : 1;
        previousResidual = residual;
      }
    } else velocity = plainVelocity(x, timestep);
    if (reuse !== 'residual') cache?.updateCache(velocity, timestep);
    if (order > 0) {
      // TaylorSeer's update: each order's factor is the divided difference of the one below.
      const at = forecastAt(index, timestep);
      const next = [velocity];
      if (factorsAt !== undefined && factorsAt !== at) {
        for (let j = 0; j < Math.min(order, factors.length); j++) next.push(mx.multiply(mx.subtract(next[j]!, factors[j]!), 1 / (at - factorsAt)));
      }
      factors = next;
      factorsAt = at;
    }
    return velocity;
  };

  const reuseWith = (cached: TeaCache<MxArray>, index: number, timestep: number, part: SplitStep | undefined, first: FirstBlockStep | undefined): MxArray => {
    if (!part && reuse === 'output') return reuseVelocity(cached);
    const held = cached.getCached()!;
    if (reuse === 'residual') return part!.velocity(mx.add(first ? first.output : part!.blockInput, held));
    if (order > 0 && factors.length > 1 && factorsAt !== undefined) {
      const weights = forecastWeights(reuse, forecastAt(index, timestep) - factorsAt, factors.length - 1);
      return weights.reduce((forecast, weight, j) => mx.add(forecast, mx.multiply(factors[j + 1]!, weight)), held);
    }
    return held;
  };

  let lastMagnitudeRatio: number | undefined;
  let forwardEquivalents = 0;
  let x = input.noise;
  for (let index = 0; index < total; index++) {
    if (index > 0) await input.betweenSteps?.();
    if (signal?.aborted) throw new CancelledError();
    const timestep = timesteps[index]!;
    const next = timesteps[index + 1]!;
    const started = performance.now();
    const part = useSplit ? guidance.split!(x, timestep) : undefined;
    let first: FirstBlockStep | undefined;
    let measured: number | undefined;
    if (part && firstBlock) {
      if (!part.firstBlock) throw new Error('This model does not expose its first transformer block on its own, so First-Block Cache cannot run on it: pick another policy.');
      first = part.firstBlock();
      if (firstResidualAtCompute) measured = relativeL1(mx, first.residual, firstResidualAtCompute);
      else mx.eval(first.residual);
    } else if (part && needsSignal) {
      if (previousSignal) measured = relativeL1(mx, part.signal, previousSignal);
      else mx.eval(part.signal);
      previousSignal = part.signal;
    }
    const inputChange = observes && atCompute ? meanAbsDifference(mx, x, atCompute.x) : undefined;
    lastMagnitudeRatio = undefined;
    const computed = cache ? cache.shouldCompute(index, timestep, { totalSteps: total, signal: measured, inputChange }) : true;
    const velocity = computed ? computeWith(x, index, timestep, part, first) : reuseWith(cache!, index, timestep, part, first);
    forwardEquivalents += stepCost(computed, first?.share ?? 0);
    if (computed && observes) {
      const outputNorm = mx.mean(mx.abs(velocity));
      mx.eval(outputNorm);
      cache!.policy.observe?.({
        inputChange,
        outputChange: atCompute ? meanAbsDifference(mx, velocity, atCompute.velocity) : undefined,
        outputNorm: outputNorm.item() as number,
      });
      atCompute = { x, velocity };
    }
    input.onVelocity?.(index, velocity, computed);
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
      ...(measured === undefined ? {} : { signal: measured }),
      ...(lastMagnitudeRatio === undefined ? {} : { magnitudeRatio: lastMagnitudeRatio }),
    };
    events.push(event);
    input.onStep?.(event, () => mx.subtract(current, mx.multiply(velocity, timestep)));
  }
  return { result: x, events, stats: { ...(cache ? cache.stats() : { hits: 0, misses: total }), forwardEquivalents } };
}

/** mean|a − b| / mean|b|: TeaCache's relative L1 distance of `a` from the previous `b`. */
export function relativeL1(mx: MxBackend, a: MxArray, b: MxArray): number {
  const change = mx.mean(mx.abs(mx.subtract(a, b)));
  const scale = mx.mean(mx.abs(b));
  mx.eval(change, scale);
  const denominator = scale.item() as number;
  return denominator === 0 ? (change.item() === 0 ? 0 : Infinity) : (change.item() as number) / denominator;
}

/** mean|a − b|: EasyCache's change measure. */
function meanAbsDifference(mx: MxBackend, a: MxArray, b: MxArray): number {
  const change = mx.mean(mx.abs(mx.subtract(a, b)));
  mx.eval(change);
  return change.item() as number;
}

/** mean over tokens of ‖a‖/‖b‖ along the channels: MagCache's magnitude ratio of successive residuals. */
function magnitudeRatio(mx: MxBackend, a: MxArray, b: MxArray): number {
  const norm = (r: MxArray) => mx.sqrt(mx.sum(mx.square(r), -1));
  const ratio = mx.mean(mx.divide(norm(a), mx.add(norm(b), 1e-8)));
  mx.eval(ratio);
  return ratio.item() as number;
}
