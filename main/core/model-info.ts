// What a loaded model tells everyone else about itself: its description and the defaults a request is filled
// from. Plain data (zod only), so the renderer, the contract and the engine share one definition.

import { z } from 'zod';

export const ModelDefaultsSchema = z.object({
  steps: z.number().int().positive(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  guidanceScale: z.number().nonnegative(),
  /** Apply FLUX's resolution-dependent schedule shift. */
  shift: z.boolean(),
  teacache: z.object({
    threshold: z.number().nonnegative(),
    rescaleFactor: z.number().nonnegative(),
    /** The teacache policy's rescale polynomial (highest power first); FLUX.1's when absent. A model folder's calibration.json overrides it. */
    coefficients: z.array(z.number().finite()).min(1).max(8).optional(),
    /** The teacache policy's default threshold, on the scale of `coefficients`; FLUX.1's default when absent. */
    signalThreshold: z.number().finite().nonnegative().optional(),
  }),
});

export type ModelDefaults = z.infer<typeof ModelDefaultsSchema>;

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
