// What a caller may ask of the engine, as runtime schemas the CLI, the IPC
// contract and the worker all share. Pure: imports only zod, so the renderer
// may use it too.

import { z } from 'zod';
import { REQUEST_LIMITS as L } from './ranges.ts';
import { POLICY_NAMES, REUSE_MODES, TEACACHE_ACCUMULATIONS } from './teacache/policy.ts';

export const MAX_SEED = 0xffff_ffff;

export const CacheSettingsSchema = z.object({
  enabled: z.boolean(),
  /**
   * 'seed': timestep distance to the last computed step (the seed's rule);
   * 'timestep-consecutive': the same with step-to-step distances;
   * 'teacache': relative L1 change of the first block's modulated input, rescaled by the model's polynomial;
   * 'magcache': the model's calibrated residual magnitude ratios (decided before the run);
   * 'first-block': relative L1 change of the first block's residual (the other blocks' residual is reused);
   * 'easycache': the input change times the transformation rate learnt from the last two computes.
   */
  policy: z.enum(POLICY_NAMES),
  /**
   * Accumulated distance at which a step is recomputed: higher reuses more. Omitted: the policy's default
   * (resolve-request.ts defaultThreshold: the model's tuned one for the timestep rules; for teacache the one
   * fitted with the model's calibration, else the original's 0.4; each other published method's own).
   */
  threshold: z.number().finite().min(L.threshold.min).max(L.threshold.max),
  rescaleFactor: z.number().finite().min(L.rescaleFactor.min).max(L.rescaleFactor.max),
  /** Omitted: the seed's choice, 3 under true CFG and 0 otherwise (MagCache: its first 20% of steps). */
  skipEarlySteps: z.number().int().min(L.skipEarlySteps.min).max(L.skipEarlySteps.max).optional(),
  /** What a reused step uses: the last output (the seed's), the blocks' residual, or a first- or second-order Taylor forecast. Omitted: see NEUTRAL_CACHE_OPTIONS (ranges.ts). */
  reuse: z.enum(REUSE_MODES).optional(),
  /** Fraction of the steps before which every step computes (omitted: from the start, EasyCache's own window aside). */
  startFraction: z.number().finite().min(L.fraction.min).max(L.fraction.max).optional(),
  /** Fraction of the steps from which every step computes (omitted: cache to the end, EasyCache's own window aside). */
  endFraction: z.number().finite().min(L.fraction.min).max(L.fraction.max).optional(),
  /** Most reuses in a row; null for no cap; omitted, none either (MagCache: its K). */
  maxConsecutiveReuses: z.number().int().min(L.maxConsecutiveReuses.min).max(L.maxConsecutiveReuses.max).nullable().optional(),
  /** Always compute the last step. Default: true for the teacache policy (as the original), false for timestep rules. */
  alwaysComputeLast: z.boolean().optional(),
  /**
   * How the teacache policy accumulates: 'consecutive' (default, the original) adds each step's change;
   * 'since-compute' adds the change since the last computed step, as the seed does with timesteps.
   */
  accumulate: z.enum(TEACACHE_ACCUMULATIONS).optional(),
  /** The teacache policy's rescale polynomial, highest power first. Omitted: the model's calibrated one, else FLUX.1's. */
  coefficients: z.array(z.number().finite()).min(1).max(8).optional(),
  /** The magcache policy's per-step magnitude ratios. Omitted: the model's calibrated ones, else FLUX.1's published ones. */
  magRatios: z.array(z.number().finite().nonnegative()).min(1).max(1000).optional(),
});

export type CacheSettings = z.infer<typeof CacheSettingsSchema>;

/** A request as sent; anything omitted takes the model's default. */
export const GenerationRequestSchema = z.object({
  prompt: z.string().max(L.promptChars),
  negativePrompt: z.string().max(L.promptChars).optional(),
  seed: z.number().int().min(0).max(MAX_SEED),
  steps: z.number().int().min(L.steps.min).max(L.steps.max).optional(),
  width: z.number().int().min(L.size.min).max(L.size.max).optional(),
  height: z.number().int().min(L.size.min).max(L.size.max).optional(),
  guidanceScale: z.number().finite().min(L.guidanceScale.min).max(L.guidanceScale.max).optional(),
  cache: CacheSettingsSchema.partial().optional(),
});

export type GenerationRequest = z.infer<typeof GenerationRequestSchema>;

/** The uncached baseline of a recorded run: the same settings as it resolved them, with the cache off. */
export function uncachedRequest(resolved: ResolvedRequest): GenerationRequest {
  const { prompt, negativePrompt, seed, steps, width, height, guidanceScale, cache } = resolved;
  return { prompt, negativePrompt, seed, steps, width, height, guidanceScale, cache: { ...cache, enabled: false } };
}

/** The plain-steps rival of a recorded run: the same settings uncached at `steps` steps (core/run-links.ts fewerStepsPlan says how many). */
export function fewerStepsRequest(resolved: ResolvedRequest, steps: number): GenerationRequest {
  return { ...uncachedRequest(resolved), steps };
}

/** A request with every choice made, as recorded next to each image. */
export const ResolvedRequestSchema = z.object({
  prompt: z.string(),
  negativePrompt: z.string(),
  seed: z.number().int(),
  steps: z.number().int(),
  width: z.number().int(),
  height: z.number().int(),
  guidanceScale: z.number(),
  guidanceMode: z.enum(['cfg', 'embedded', 'none']),
  shift: z.boolean(),
  /** The model's static flow shift (Z-Image), which replaces `shift`'s schedule. */
  flowShift: z.number().positive().optional(),
  /** FLUX.2's empirical-mu schedule, which replaces `shift`'s. */
  empiricalMu: z.literal(true).optional(),
  // accumulate came later: records and fixtures written before it mean 'consecutive'.
  cache: CacheSettingsSchema.required().partial({ accumulate: true, magRatios: true }),
});

export type ResolvedRequest = z.infer<typeof ResolvedRequestSchema>;
