// TeaCache: a cache policy plus the model outputs it decides about, with the
// seed's method names and bookkeeping (misses counted on update, hits on get).
// Generic over the cached value so it runs without tensors in tests and in the
// renderer's predictions.

import type { CachePolicy, Decision, StepContext } from './policy.ts';
import { SeedPolicy, type TeaCacheConfig } from './seed-policy.ts';

export interface CacheStats {
  readonly hits: number;
  readonly misses: number;
}

export class TeaCache<T> {
  private cachedOutput: T | undefined;
  private cachedPosOutput: T | undefined;
  private cachedNegOutput: T | undefined;
  private cacheHits = 0;
  private cacheMisses = 0;
  private last: Decision | undefined;

  constructor(readonly policy: CachePolicy) {}

  /** The seed's `NewTeaCache`: the seed policy with `config`, or defaults when missing. */
  static seed<T>(config?: TeaCacheConfig | null): TeaCache<T> {
    return new TeaCache<T>(new SeedPolicy(config));
  }

  /** `context` carries what policies beyond the seed's need (run length, input-side signal); the seed ignores it. */
  shouldCompute(step: number, timestep: number, context?: StepContext): boolean {
    const hasCachedOutput = this.cachedOutput !== undefined || this.hasCFGCache();
    this.last = context === undefined ? this.policy.decide(step, timestep, hasCachedOutput) : this.policy.decide(step, timestep, hasCachedOutput, context);
    return this.last.compute;
  }

  /** The decision `shouldCompute` last made, with its distance and accumulator. */
  lastDecision(): Decision | undefined {
    return this.last;
  }

  updateCache(output: T, timestep: number): void {
    this.cachedOutput = output;
    this.policy.markComputed(timestep);
    this.cacheMisses++;
  }

  /** Positive and negative predictions are held apart so guidance is always recombined fresh. */
  updateCFGCache(posOutput: T, negOutput: T, timestep: number): void {
    this.cachedPosOutput = posOutput;
    this.cachedNegOutput = negOutput;
    this.policy.markComputed(timestep);
    this.cacheMisses++;
  }

  getCached(): T | undefined {
    this.cacheHits++;
    return this.cachedOutput;
  }

  getCFGCached(): [pos: T | undefined, neg: T | undefined] {
    this.cacheHits++;
    return [this.cachedPosOutput, this.cachedNegOutput];
  }

  hasCFGCache(): boolean {
    return this.cachedPosOutput !== undefined && this.cachedNegOutput !== undefined;
  }

  /** Everything the cache keeps alive. */
  arrays(): T[] {
    return [this.cachedOutput, this.cachedPosOutput, this.cachedNegOutput].filter((a): a is T => a !== undefined);
  }

  stats(): CacheStats {
    return { hits: this.cacheHits, misses: this.cacheMisses };
  }

  /** Drops the cached outputs (MLX frees them once unreferenced); stats and policy state stay, as in the seed. */
  free(): void {
    this.cachedOutput = undefined;
    this.cachedPosOutput = undefined;
    this.cachedNegOutput = undefined;
  }
}
