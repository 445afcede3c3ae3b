// The settings form as the user edits it, and how it becomes an engine request.
// Pure: no DOM, no store; ranges live here so sliders and tests agree.

import { MAX_SEED } from '../../main/engine/request.ts';
import { resolveRequest } from '../../main/engine/resolve-request.ts';
import type { GenerationRequest, ModelSummary, ResolvedRequest } from './types.ts';

export interface DraftCache {
  readonly enabled: boolean;
  readonly policy: 'seed';
  readonly threshold: number;
  readonly rescaleFactor: number;
  /** null: the model's choice (3 under true CFG, 0 otherwise), as the engine resolves it. */
  readonly skipEarlySteps: number | null;
}

export interface Draft {
  readonly prompt: string;
  readonly negativePrompt: string;
  readonly seed: number;
  readonly steps: number;
  /** Square images: the built-in model is trained on square emoji. */
  readonly size: number;
  readonly guidanceScale: number;
  readonly cache: DraftCache;
}

export interface Range {
  readonly min: number;
  readonly max: number;
  readonly step: number;
}

/**
 * Slider ranges. Threshold is an accumulated timestep distance (t runs 1 → 0),
 * so anything past 1 reuses nearly every step; rescale multiplies each distance.
 */
export const RANGES = {
  steps: { min: 4, max: 100, step: 1 },
  guidanceScale: { min: 1, max: 12, step: 0.5 },
  threshold: { min: 0, max: 1, step: 0.01 },
  rescaleFactor: { min: 0, max: 4, step: 0.05 },
  skipEarlySteps: { min: 0, max: 30, step: 1 },
} as const satisfies Record<string, Range>;

export const SIZE_CHOICES = [32, 48, 64] as const;

export const INITIAL_PROMPT = 'red heart';

export function clamp(value: number, range: Range): number {
  if (!Number.isFinite(value)) return range.min;
  return Math.min(range.max, Math.max(range.min, value));
}

export function randomSeed(random: () => number = Math.random): number {
  return Math.floor(random() * (MAX_SEED + 1));
}

/** The model's own TeaCache defaults (skip-early left to the engine's rule). */
export function cacheDefaults(model: ModelSummary): DraftCache {
  return {
    enabled: true,
    policy: 'seed',
    threshold: model.defaults.teacache.threshold,
    rescaleFactor: model.defaults.teacache.rescaleFactor,
    skipEarlySteps: null,
  };
}

export function draftDefaults(model: ModelSummary, seed = 42): Draft {
  return {
    prompt: INITIAL_PROMPT,
    negativePrompt: '',
    seed,
    steps: model.defaults.steps,
    size: model.defaults.width,
    guidanceScale: model.defaults.guidanceScale,
    cache: cacheDefaults(model),
  };
}

/** Sizes the model accepts among the offered choices (never empty: falls back to the default). */
export function sizeChoices(model: ModelSummary): number[] {
  const { sizeMultiple, maxSize } = model.info;
  const fits = SIZE_CHOICES.filter((s) => s % sizeMultiple === 0 && s <= maxSize);
  return fits.length > 0 ? [...fits] : [model.defaults.width];
}

export function toRequest(draft: Draft, overrides: { readonly cacheEnabled?: boolean } = {}): GenerationRequest {
  const { cache } = draft;
  return {
    prompt: draft.prompt,
    negativePrompt: draft.negativePrompt,
    seed: draft.seed,
    steps: draft.steps,
    width: draft.size,
    height: draft.size,
    guidanceScale: draft.guidanceScale,
    cache: {
      enabled: overrides.cacheEnabled ?? cache.enabled,
      policy: cache.policy,
      threshold: cache.threshold,
      rescaleFactor: cache.rescaleFactor,
      ...(cache.skipEarlySteps === null ? {} : { skipEarlySteps: cache.skipEarlySteps }),
    },
  };
}

/** The request exactly as the engine will run it, or the engine's own error text. */
export function resolveDraft(model: ModelSummary, draft: Draft): { request: ResolvedRequest } | { error: string } {
  try {
    return { request: resolveRequest(model, toRequest(draft)) };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * What makes two runs comparable as "the same image": everything but the cache.
 * An uncached run with the same key is the reference for speedup and PSNR.
 */
export function imageKey(request: ResolvedRequest): string {
  const { prompt, negativePrompt, seed, steps, width, height, guidanceScale, guidanceMode, shift } = request;
  return JSON.stringify([prompt, guidanceMode === 'cfg' ? negativePrompt : '', seed, steps, width, height, guidanceScale, guidanceMode, shift]);
}

/** Whether a value kept from an earlier session still has a draft's shape (else it is dropped). */
export function isDraft(value: unknown): value is Draft {
  if (typeof value !== 'object' || value === null) return false;
  const d = value as Record<string, unknown>;
  const c = d.cache as Record<string, unknown> | undefined;
  const num = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  return (
    typeof d.prompt === 'string' &&
    typeof d.negativePrompt === 'string' &&
    num(d.seed) && num(d.steps) && num(d.size) && num(d.guidanceScale) &&
    typeof c === 'object' && c !== null &&
    typeof c.enabled === 'boolean' && c.policy === 'seed' && num(c.threshold) && num(c.rescaleFactor) &&
    (c.skipEarlySteps === null || num(c.skipEarlySteps))
  );
}
