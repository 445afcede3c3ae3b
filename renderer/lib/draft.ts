// The settings form as the user edits it, and how it becomes an engine request.
// Pure: no DOM, no store; ranges live here so sliders and tests agree.

import { MAX_SEED } from '../../main/core/request.ts';
import { POLICY_NAMES, REUSE_MODES, TEACACHE_ACCUMULATIONS, type PolicyName, type ReuseMode, type TeaCacheAccumulation } from '../../main/core/teacache/policy.ts';
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
  window: { min: 0, max: 1, step: 0.05 },
  /** One past the top means "no cap". */
  maxConsecutiveReuses: { min: 0, max: 11, step: 1 },
} as const satisfies Record<string, Range>;

/**
 * The teacache policy's distances are relative L1 changes, a larger scale than timestep distances;
 * a calibrated polynomial's default can be as fine as 0.095, so the slider moves in thousandths.
 */
export const TEACACHE_THRESHOLD_RANGE: Range = { min: 0, max: 2, step: 0.001 };

export function thresholdRange(policy: PolicyName): Range {
  return policy === 'teacache' ? TEACACHE_THRESHOLD_RANGE : RANGES.threshold;
}

/** The threshold a policy starts from, as the engine fills it in. */
export function defaultThreshold(model: ModelSummary, policy: PolicyName): number {
  return engineDefaultThreshold(model.defaults, policy);
}

export const SIZE_CHOICES = [32, 48, 64] as const;

export const INITIAL_PROMPT = 'red heart';

export function clamp(value: number, range: Range): number {
  if (!Number.isFinite(value)) return range.min;
  return Math.min(range.max, Math.max(range.min, value));
}

export function randomSeed(random: () => number = Math.random): number {
  return Math.floor(random() * (MAX_SEED + 1));
}

/** Options that leave a policy's own rule alone (a draft from before an option existed gets these). */
export const NEUTRAL_OPTIONS = {
  reuse: 'output',
  accumulate: 'consecutive',
  startFraction: 0,
  endFraction: 1,
  maxConsecutiveReuses: null,
  alwaysComputeLast: false,
} as const satisfies Partial<DraftCache>;

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
      reuse: cache.reuse,
      ...(cache.policy === 'teacache' ? { accumulate: cache.accumulate } : {}),
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

/**
 * A draft kept from an earlier session, completed with neutral options it may
 * predate, or null when its shape is wrong (older build, hand edits).
 */
export function restoreDraft(value: unknown): Draft | null {
  if (typeof value !== 'object' || value === null) return null;
  const d = value as Record<string, unknown>;
  const kept = d.cache as Record<string, unknown> | undefined;
  if (typeof kept !== 'object' || kept === null) return null;
  const c: Record<string, unknown> = { ...NEUTRAL_OPTIONS, ...kept };
  const num = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  const ok =
    typeof d.prompt === 'string' &&
    typeof d.negativePrompt === 'string' &&
    num(d.seed) && num(d.steps) && num(d.size) && num(d.guidanceScale) &&
    typeof c.enabled === 'boolean' &&
    (POLICY_NAMES as readonly unknown[]).includes(c.policy) &&
    (REUSE_MODES as readonly unknown[]).includes(c.reuse) &&
    (TEACACHE_ACCUMULATIONS as readonly unknown[]).includes(c.accumulate) &&
    num(c.threshold) && num(c.rescaleFactor) && num(c.startFraction) && num(c.endFraction) &&
    (c.skipEarlySteps === null || num(c.skipEarlySteps)) &&
    (c.maxConsecutiveReuses === null || num(c.maxConsecutiveReuses)) &&
    typeof c.alwaysComputeLast === 'boolean';
  return ok ? ({ ...(d as unknown as Draft), cache: c as unknown as DraftCache }) : null;
}
