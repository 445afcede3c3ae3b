// What a caller may ask of the engine, as runtime schemas the CLI, the IPC
// contract and the worker all share. Pure: imports only zod, so the renderer
// may use it too.

import { z } from 'zod';
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
  /** Accumulated distance at which a step is recomputed: higher reuses more. Omitted: the model's (seed, timestep) or 0.4 (teacache). */
  threshold: z.number().finite().nonnegative().max(10),
  rescaleFactor: z.number().finite().nonnegative().max(100),
  /** Omitted: the seed's choice, 3 under true CFG and 0 otherwise. */
  skipEarlySteps: z.number().int().nonnegative().max(1000).optional(),
  /** What a reused step uses: the last output (default, the seed's), the blocks' residual, or a first- or second-order Taylor forecast. */
  reuse: z.enum(REUSE_MODES).optional(),
  /** Fraction of the steps before which every step computes (default 0). */
  startFraction: z.number().finite().min(0).max(1).optional(),
  /** Fraction of the steps from which every step computes (default 1: cache to the end). */
  endFraction: z.number().finite().min(0).max(1).optional(),
  /** Most reuses in a row; null or omitted for no cap. */
  maxConsecutiveReuses: z.number().int().nonnegative().max(1000).nullable().optional(),
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
  prompt: z.string().max(2000),
  negativePrompt: z.string().max(2000).optional(),
  seed: z.number().int().min(0).max(MAX_SEED),
  steps: z.number().int().min(1).max(500).optional(),
  width: z.number().int().min(8).max(4096).optional(),
  height: z.number().int().min(8).max(4096).optional(),
  guidanceScale: z.number().finite().min(0).max(50).optional(),
  cache: CacheSettingsSchema.partial().optional(),
});

export type GenerationRequest = z.infer<typeof GenerationRequestSchema>;

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
