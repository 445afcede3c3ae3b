// What the generator needs from a text-to-image model, whatever its
// architecture or checkpoint layout. Runs in the engine.

import { z } from 'zod';
import type { MxArray } from '../mlx/backend.ts';
import { CachePresetsSchema } from '../teacache/presets.ts';
import type { TextConditioning } from './flux/transformer.ts';

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

export interface PackedNoise {
  readonly tokens: MxArray;
  readonly rows: number;
  readonly cols: number;
}

/** One forward split at the transformer blocks (see the sampler's SplitStep); outputs are the raw batched predictions. */
export interface ModelSplitStep {
  /** The blocks' image-stream input. */
  readonly blockInput: MxArray;
  /** The first block's timestep-modulated image input. */
  readonly signal: MxArray;
  blocks(): MxArray;
  /** The final layer on a block output: the model's prediction. */
  output(blockOutput: MxArray): MxArray;
  /** The first block alone, then the rest (First-Block Cache); absent where the model cannot part them. */
  firstBlock?(): { readonly output: MxArray; readonly residual: MxArray; rest(): MxArray };
}

export interface ImageModel {
  readonly info: ModelInfo;
  readonly defaults: ModelDefaults;
  encodeText(prompts: readonly string[]): TextConditioning & { unknownWords: string[] };
  /**
   * The same encoding, letting memory go as it runs (for text encoders loaded
   * per encoding and freed, like FLUX.1's T5); the generator prefers it.
   */
  encodeTextReleasing?(prompts: readonly string[]): Promise<TextConditioning & { unknownWords: string[] }>;
  /** Seeded Gaussian noise in the model's packed token space. */
  noise(seed: number, width: number, height: number): PackedNoise;
  /** The initial latents' shape in diffusers' unpacked layout ([1, C, H/8, W/8]; [1, 3, H, W] for pixel models), as `--noise` takes them. */
  noiseShape(width: number, height: number): number[];
  /** Given initial latents (of `noiseShape`) in the model's packed token space. */
  packNoise(latents: MxArray, width: number, height: number): PackedNoise;
  /** Velocity for packed tokens `x` ([B, L, C]) with batch-aligned text conditioning. */
  velocity(x: MxArray, rows: number, cols: number, timestep: number, text: TextConditioning, guidance?: number): MxArray;
  /** `velocity` split at the blocks, for residual reuse and TeaCache's signal; absent when the architecture cannot split. */
  split?(x: MxArray, rows: number, cols: number, timestep: number, text: TextConditioning, guidance?: number): ModelSplitStep;
  /** Packed tokens → RGB bytes, row-major, 3 per pixel. */
  toRgb(tokens: MxArray, width: number, height: number): Uint8Array;
}
