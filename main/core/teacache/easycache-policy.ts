// EasyCache (H-EmbodVis/EasyCache; ComfyUI's comfy_extras/nodes_easycache.py):
// no calibration. At each compute it learns the transformation rate
// k = mean|Δv| / mean|Δx| between the last two computed steps; at a later step
// it estimates the output's relative change as k·mean|x − x_c| / mean|v_c|
// (x_c, v_c: the last compute's input and output), adds that up, and computes
// once the sum reaches the threshold. Pure: the sampler measures, this decides.

import type { CachePolicy, ComputeObservation, Decision, StepContext } from './policy.ts';

/** ComfyUI's defaults: reuse threshold 0.2, caching from 15% to 95% of the steps. */
export const EASYCACHE_DEFAULTS = Object.freeze({ threshold: 0.2, startFraction: 0.15, endFraction: 0.95 });

export interface EasyCachePolicyConfig {
  /** Summed estimated relative output change at which a step is recomputed. Higher means more reuse. */
  readonly threshold: number;
  /** Steps `0 … skipEarlySteps − 1` always run the model. */
  readonly skipEarlySteps?: number;
}

export class EasyCachePolicy implements CachePolicy {
  readonly name = 'easycache';
  readonly needsObservations = true;
  readonly threshold: number;
  private readonly skipEarlySteps: number;
  /** k from the last two computes; undefined until two have run. */
  private rate: number | undefined;
  private outputNorm: number | undefined;
  private cumulative = 0;

  constructor(config: EasyCachePolicyConfig) {
    this.threshold = config.threshold;
    this.skipEarlySteps = Math.trunc(config.skipEarlySteps ?? 0);
  }

  decide(step: number, _timestep: number, hasCache: boolean, context?: StepContext): Decision {
    if (step === 0 || step < this.skipEarlySteps) return { compute: true, reason: step === 0 ? 'first-step' : 'skip-early', distance: 0, accumulated: 0 };
    if (!hasCache || this.rate === undefined || this.outputNorm === undefined) return { compute: true, reason: 'cold-cache', distance: 0, accumulated: this.cumulative };
    const change = context?.inputChange;
    if (change === undefined || !Number.isFinite(change)) throw new Error(`The easycache policy needs the latent's change since the last compute at step ${step}; the sampler did not measure it.`);
    const distance = this.outputNorm === 0 ? Infinity : (this.rate * change) / this.outputNorm;
    this.cumulative += distance;
    const accumulated = this.cumulative;
    // As ComfyUI: reuse while strictly below the threshold.
    if (accumulated < this.threshold) return { compute: false, reason: 'reuse', distance, accumulated };
    return { compute: true, reason: 'threshold', distance, accumulated };
  }

  markComputed(): void {
    this.cumulative = 0;
  }

  observe({ inputChange, outputChange, outputNorm }: ComputeObservation): void {
    if (inputChange !== undefined && outputChange !== undefined && inputChange > 0) this.rate = outputChange / inputChange;
    this.outputNorm = outputNorm;
  }
}
