// The settings form as the user edits it, and how it becomes an engine request.
// Pure: no DOM, no store. Ranges and neutral defaults come from main/core/ranges.ts, the table the request schema reads.

import type { z } from 'zod';
import { GenerationRequestSchema } from '../../main/core/contract.ts';
import { MAX_SEED } from '../../main/core/request.ts';
import { NEUTRAL_CACHE_OPTIONS, RANGES, type Range } from '../../main/core/ranges.ts';
import type { PolicyName, ReuseMode, TeaCacheAccumulation } from '../../main/core/teacache/policy.ts';
import type { PresetName } from '../../main/core/teacache/presets.ts';
import { defaultAlwaysComputeLast, defaultThreshold as engineDefaultThreshold } from '../../main/core/resolve-request.ts';
import type { GenerationRequest, ModelSummary, ResolvedRequest } from './types.ts';

export interface DraftCache {
  readonly enabled: boolean;
  readonly policy: PolicyName;
  readonly threshold: number;
  readonly rescaleFactor: number;
  /** null: the model's choice (3 under true CFG, 0 otherwise), as the engine resolves it. */
  readonly skipEarlySteps: number | null;
  readonly reuse: ReuseMode;
  /** How the teacache policy adds up its signal; the other policies ignore it. */
  readonly accumulate: TeaCacheAccumulation;
  /** Caching window as fractions of the run; outside it every step computes. */
  readonly startFraction: number;
  readonly endFraction: number;
  /** null: no cap on reuses in a row. */
  readonly maxConsecutiveReuses: number | null;
  readonly alwaysComputeLast: boolean;
}

export interface Draft {
  readonly prompt: string;
  readonly negativePrompt: string;
  readonly seed: number;
  readonly steps: number;
  readonly width: number;
  readonly height: number;
  readonly guidanceScale: number;
  readonly cache: DraftCache;
}

export { RANGES, TEACACHE_THRESHOLD_RANGE, thresholdRange, type Range } from '../../main/core/ranges.ts';

/** The guidance slider's range for a model: from 0 under Z-Image's rule, where 0 is off and CFG runs above it; from 1 (off) elsewhere. */
export function guidanceRange(model: ModelSummary): Range {
  return !model.info.guidanceEmbedded && model.defaults.guidanceRule === 'z-image' ? { ...RANGES.guidanceScale, min: 0 } : RANGES.guidanceScale;
}

/** The threshold a policy starts from, as the engine fills it in. */
export function defaultThreshold(model: ModelSummary, policy: PolicyName): number {
  return engineDefaultThreshold(model.defaults, policy);
}

/** The built-in model's shapes as [width, height] (it is trained on 32-px emoji): squares first, then wide and tall. */
const SMALL_SIZES: readonly (readonly [number, number])[] = [
  [32, 32],
  [48, 48],
  [64, 64],
  [64, 32],
  [32, 64],
  [128, 32],
];

/**
 * The checkpoint models' shapes (FLUX.1, Z-Image, FLUX.2 klein are trained around a megapixel):
 * squares, then the usual aspect buckets of about a megapixel (9:7, 19:13, 7:4), wide and tall.
 */
const MEGAPIXEL_SIZES: readonly (readonly [number, number])[] = [
  [512, 512],
  [768, 768],
  [1024, 1024],
  [1152, 896],
  [896, 1152],
  [1216, 832],
  [832, 1216],
  [1344, 768],
  [768, 1344],
];

/** A model whose default side is this or more makes images at the megapixel scale. */
const MEGAPIXEL_DEFAULT_SIDE = 512;

export const INITIAL_PROMPT = 'red heart';

export function clamp(value: number, range: Range): number {
  if (!Number.isFinite(value)) return range.min;
  return Math.min(range.max, Math.max(range.min, value));
}

export function randomSeed(random: () => number = Math.random): number {
  return Math.floor(random() * (MAX_SEED + 1));
}

/** Options that leave a policy's own rule alone. */
export const NEUTRAL_OPTIONS: Pick<DraftCache, keyof typeof NEUTRAL_CACHE_OPTIONS> = NEUTRAL_CACHE_OPTIONS;

/** The model's own TeaCache defaults for `policy` (skip-early left to the engine's rule). */
export function cacheDefaults(model: ModelSummary, policy: PolicyName = 'seed'): DraftCache {
  return {
    enabled: true,
    policy,
    threshold: defaultThreshold(model, policy),
    rescaleFactor: model.defaults.teacache.rescaleFactor,
    skipEarlySteps: null,
    ...NEUTRAL_OPTIONS,
    alwaysComputeLast: defaultAlwaysComputeLast(policy),
  };
}

/** A model's cache preset as the draft holds it: every setting the preset leaves out at the engine's default. */
export function presetCache(model: ModelSummary, name: PresetName): DraftCache | undefined {
  const preset = model.defaults.presets?.[name];
  if (!preset) return undefined;
  return {
    enabled: true,
    policy: preset.policy,
    threshold: preset.threshold,
    rescaleFactor: model.defaults.teacache.rescaleFactor,
    skipEarlySteps: preset.skipEarlySteps ?? null,
    reuse: preset.reuse ?? NEUTRAL_OPTIONS.reuse,
    accumulate: preset.accumulate ?? NEUTRAL_OPTIONS.accumulate,
    startFraction: preset.startFraction ?? NEUTRAL_OPTIONS.startFraction,
    endFraction: preset.endFraction ?? NEUTRAL_OPTIONS.endFraction,
    maxConsecutiveReuses: preset.maxConsecutiveReuses ?? NEUTRAL_OPTIONS.maxConsecutiveReuses,
    alwaysComputeLast: preset.alwaysComputeLast ?? defaultAlwaysComputeLast(preset.policy),
  };
}

/** The settings whose default depends on the policy and the model (a threshold's scale, the last-step rule). */
const DEFAULT_FOLLOWING = ['threshold', 'alwaysComputeLast'] as const;

/**
 * `cache` with each setting still at its old default (`before`) moved to its new one (`after`),
 * when the policy or the model changes under it; a value the user chose, or sets in `keep`, stays.
 */
export function followDefaults(cache: DraftCache, before: DraftCache, after: DraftCache, keep: Partial<DraftCache> = {}): DraftCache {
  const next = { ...cache };
  for (const key of DEFAULT_FOLLOWING) {
    if (keep[key] === undefined && cache[key] === before[key]) Object.assign(next, { [key]: after[key] });
  }
  return next;
}

export function draftDefaults(model: ModelSummary, seed = 42): Draft {
  return {
    prompt: INITIAL_PROMPT,
    negativePrompt: '',
    seed,
    steps: model.defaults.steps,
    width: model.defaults.width,
    height: model.defaults.height,
    guidanceScale: model.defaults.guidanceScale,
    cache: cacheDefaults(model),
  };
}

/** A size as the Size choice names it: "64×32" (width × height). */
export const sizeLabel = (width: number, height: number): string => `${width}×${height}`;

/** Sizes the model accepts among the offered choices, as labels (never empty: falls back to the default). */
export function sizeChoices(model: ModelSummary): string[] {
  const { sizeMultiple, maxSize } = model.info;
  const shapes = Math.max(model.defaults.width, model.defaults.height) >= MEGAPIXEL_DEFAULT_SIDE ? MEGAPIXEL_SIZES : SMALL_SIZES;
  const fits = (side: number) => side % sizeMultiple === 0 && side <= maxSize;
  const choices = shapes.filter(([w, h]) => fits(w) && fits(h)).map(([w, h]) => sizeLabel(w, h));
  return choices.length > 0 ? choices : [sizeLabel(model.defaults.width, model.defaults.height)];
}

/** The width and height a size label names; null for anything else. */
export function parseSize(label: string): { width: number; height: number } | null {
  const match = /^(\d+)×(\d+)$/.exec(label);
  return match ? { width: Number(match[1]), height: Number(match[2]) } : null;
}

export function toRequest(draft: Draft, overrides: { readonly cacheEnabled?: boolean } = {}): GenerationRequest {
  const { cache } = draft;
  return {
    prompt: draft.prompt,
    negativePrompt: draft.negativePrompt,
    seed: draft.seed,
    steps: draft.steps,
    width: draft.width,
    height: draft.height,
    guidanceScale: draft.guidanceScale,
    cache: {
      enabled: overrides.cacheEnabled ?? cache.enabled,
      policy: cache.policy,
      threshold: cache.threshold,
      rescaleFactor: cache.rescaleFactor,
      ...(cache.skipEarlySteps === null ? {} : { skipEarlySteps: cache.skipEarlySteps }),
      reuse: cache.reuse,
      ...(cache.policy === 'teacache' ? { accumulate: cache.accumulate } : {}),
      startFraction: cache.startFraction,
      endFraction: cache.endFraction,
      maxConsecutiveReuses: cache.maxConsecutiveReuses,
      alwaysComputeLast: cache.alwaysComputeLast,
    },
  };
}

/** The draft that repeats a recorded run (its cache settings made explicit, as they ran). */
export function draftFromRequest(request: ResolvedRequest): Draft {
  const { cache } = request;
  return {
    prompt: request.prompt,
    negativePrompt: request.negativePrompt,
    seed: request.seed,
    steps: request.steps,
    width: request.width,
    height: request.height,
    guidanceScale: request.guidanceScale,
    cache: {
      enabled: cache.enabled,
      policy: cache.policy,
      threshold: cache.threshold,
      rescaleFactor: cache.rescaleFactor,
      skipEarlySteps: cache.skipEarlySteps,
      reuse: cache.reuse,
      accumulate: cache.accumulate ?? NEUTRAL_OPTIONS.accumulate,
      startFraction: cache.startFraction,
      endFraction: cache.endFraction,
      maxConsecutiveReuses: cache.maxConsecutiveReuses,
      alwaysComputeLast: cache.alwaysComputeLast,
    },
  };
}

/**
 * What makes two runs comparable as "the same image": everything but the cache.
 * An uncached run with the same key is the reference for speedup and PSNR.
 */
export function imageKey(request: ResolvedRequest): string {
  const { prompt, negativePrompt, seed, steps, width, height, guidanceScale, guidanceMode, shift } = request;
  return JSON.stringify([prompt, guidanceMode === 'cfg' ? negativePrompt : '', seed, steps, width, height, guidanceScale, guidanceMode, shift]);
}

/** What survives of a draft kept from an earlier session: only the fields that still pass the contract. */
export type KeptDraft = Partial<Omit<Draft, 'cache'>> & { readonly cache?: Partial<DraftCache> };

const requestFields = GenerationRequestSchema.shape;
const cacheFields = requestFields.cache.unwrap().shape;

/** Each kept field checked by the contract's own schema for it; `null` stands for "the model's choice" where allowed. */
const KEPT_FIELDS: { readonly [K in keyof Omit<Draft, 'cache'>]-?: z.ZodType } = {
  prompt: requestFields.prompt,
  negativePrompt: requestFields.negativePrompt,
  seed: requestFields.seed,
  steps: requestFields.steps,
  width: requestFields.width,
  height: requestFields.height,
  guidanceScale: requestFields.guidanceScale,
};
const KEPT_CACHE_FIELDS: { readonly [K in keyof DraftCache]-?: z.ZodType } = {
  enabled: cacheFields.enabled,
  policy: cacheFields.policy,
  threshold: cacheFields.threshold,
  rescaleFactor: cacheFields.rescaleFactor,
  skipEarlySteps: cacheFields.skipEarlySteps.unwrap().nullable(),
  reuse: cacheFields.reuse,
  accumulate: cacheFields.accumulate,
  startFraction: cacheFields.startFraction,
  endFraction: cacheFields.endFraction,
  maxConsecutiveReuses: cacheFields.maxConsecutiveReuses,
  alwaysComputeLast: cacheFields.alwaysComputeLast,
};

/** The entries of `value` that `fields` accepts; anything absent, unknown or out of range is left out. */
function keepValid(value: unknown, fields: Readonly<Record<string, z.ZodType>>): Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return {};
  const kept: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(fields)) {
    const field = (value as Record<string, unknown>)[key];
    if (field !== undefined && schema.safeParse(field).success) kept[key] = field;
  }
  return kept;
}

/** Drafts from before non-square sizes kept one side, `size`: it stands for whichever of width and height is missing. */
function withSides(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || !('size' in value)) return value;
  const { size, ...rest } = value as Record<string, unknown>;
  return { ...rest, width: rest.width ?? size, height: rest.height ?? size };
}

/**
 * A draft kept from an earlier session (localStorage: older builds, hand edits), checked field by field with the
 * contract's schema: what fails is dropped, the valid rest kept. null when nothing is usable.
 */
export function restoreDraft(value: unknown): KeptDraft | null {
  const fields = keepValid(withSides(value), KEPT_FIELDS) as Partial<Omit<Draft, 'cache'>>;
  const cache = keepValid((value as { cache?: unknown } | null)?.cache, KEPT_CACHE_FIELDS) as Partial<DraftCache>;
  const hasCache = Object.keys(cache).length > 0;
  if (Object.keys(fields).length === 0 && !hasCache) return null;
  return hasCache ? { ...fields, cache } : fields;
}

/** A kept draft completed from the model's defaults; a size the model's Size menu does not offer gives way to its default. */
export function completeDraft(kept: KeptDraft, model: ModelSummary): Draft {
  const defaults = draftDefaults(model);
  const { cache, width, height, ...fields } = kept;
  // Width and height are one choice (the Size menu's): both kept when the menu offers them, or both the model's.
  const offered = width !== undefined && height !== undefined && sizeChoices(model).includes(sizeLabel(width, height));
  return {
    ...defaults,
    ...fields,
    ...(offered ? { width, height } : {}),
    cache: { ...cacheDefaults(model, cache?.policy ?? defaults.cache.policy), ...cache },
  };
}
