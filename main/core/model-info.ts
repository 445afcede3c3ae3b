// What a loaded model tells everyone else about itself: its description and the defaults a request is filled
// from. Plain data (zod only), so the renderer, the contract and the engine share one definition.

import { z } from 'zod';
import { CachePresetsSchema } from './teacache/presets.ts';

export const ModelDefaultsSchema = z.object({
  steps: z.number().int().positive(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  guidanceScale: z.number().nonnegative(),
  /** Apply FLUX's resolution-dependent schedule shift. */
  shift: z.boolean(),
  /** A static flow shift instead: sigmas linspace(1, 1/N, N) shifted by it, then 0 (Z-Image's schedule). */
  flowShift: z.number().positive().optional(),
  /** FLUX.2's schedule instead: sigmas linspace(1, 1/N, N) shifted by the empirical mu of image tokens and steps, then 0. */
  empiricalMu: z.literal(true).optional(),
  /**
   * What the reference pipeline's guidance_scale means, for a model without embedded guidance (see GUIDANCE_RULES); absent:
   * CFG is on for g ≠ 1 as neg + g·(pos − neg), as the built-in model was trained.
   */
  guidanceRule: z.enum(['z-image', 'above-one', 'never', 'above-one-with-negative']).optional(),
  teacache: z.object({
    threshold: z.number().nonnegative(),
    rescaleFactor: z.number().nonnegative(),
    /** The teacache policy's rescale polynomial (highest power first); FLUX.1's when absent. A model folder's calibration.json overrides it. */
    coefficients: z.array(z.number().finite()).min(1).max(8).optional(),
    /** The teacache policy's default threshold, on the scale of `coefficients`; FLUX.1's default when absent. */
    signalThreshold: z.number().finite().nonnegative().optional(),
    /** The magcache policy's per-step residual magnitude ratios; FLUX.1's published ones when absent. A calibration.json overrides them. */
    magRatios: z.array(z.number().finite().nonnegative()).min(1).max(1000).optional(),
  }),
  /** Quality / Balanced / Fast cache settings measured on this model (teacache/presets.ts); none when absent. */
  presets: CachePresetsSchema.optional(),
});

export type ModelDefaults = z.infer<typeof ModelDefaultsSchema>;

/**
 * When a model without embedded guidance runs true CFG (ModelDefaults.guidanceRule): 'z-image' for g > 0 as
 * pos + g·(pos − neg); 'above-one' (FLUX.2 klein Base) for g > 1 as neg + g·(pos − neg); 'never' (step-distilled klein)
 * ignores it; 'above-one-with-negative' as diffusers' FluxPipeline, whose guidance_scale FLUX.1-schnell ignores and whose
 * true_cfg_scale applies only above 1 with a negative prompt.
 */
export type GuidanceRule = NonNullable<ModelDefaults['guidanceRule']>;

export interface ModelInfo {
  readonly id: string;
  readonly name: string;
  /** False when running on seeded random weights: images will be noise-like. */
  readonly trained: boolean;
  /** Things a user should know about this model as loaded (shown by the CLI and UI). */
  readonly notes: readonly string[];
  /** Whether the transformer embeds guidance (FLUX-dev style) instead of using true CFG. */
  readonly guidanceEmbedded: boolean;
  /** Pixels along one side of a packed token; width and height must be multiples of it. */
  readonly sizeMultiple: number;
  readonly maxSize: number;
}
