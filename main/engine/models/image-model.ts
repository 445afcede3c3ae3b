// What the generator needs from a text-to-image model, whatever its
// architecture or checkpoint layout. Runs in the engine.

import type { MxArray, MxBackend } from '../mlx/backend.ts';
import type { TextConditioning } from './flux/transformer.ts';

// The model's defaults and description are plain data the UI reads too, so they live in core.
export { ModelDefaultsSchema, type GuidanceRule, type ModelDefaults, type ModelInfo } from '../../core/model-info.ts';
import type { ModelDefaults, ModelInfo } from '../../core/model-info.ts';

/** Decoded image values in about [-1, 1] → RGB bytes, rounded and clipped: every model's last step in toRgb. */
export function rgbBytes(values: ArrayLike<number>): Uint8Array {
  const bytes = new Uint8Array(values.length);
  // A plain loop: Uint8Array.from over a callback, or nested lists, cost more than the arithmetic.
  for (let i = 0; i < values.length; i++) bytes[i] = Math.round(Math.min(255, Math.max(0, (values[i]! + 1) * 127.5)));
  return bytes;
}

export interface PackedNoise {
  readonly tokens: MxArray;
  readonly rows: number;
  readonly cols: number;
}

/** Seeded standard-normal initial latents in `model`'s noiseShape, packed: what every model's noise() draws. */
export function seededNoise(mx: MxBackend, model: Pick<ImageModel, 'noiseShape' | 'packNoise'>, seed: number, width: number, height: number): PackedNoise {
  const latents = mx.random.normal(model.noiseShape(width, height), mx.float32, 0, 1, mx.random.key(seed));
  return model.packNoise(latents, width, height);
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
  firstBlock?(): { readonly output: MxArray; readonly residual: MxArray; readonly share: number; rest(): MxArray };
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
  /**
   * Where the pipeline's `latents` are already patchified (FLUX.2 klein: [1, 128, H/16, W/16]), the
   * VAE's own unpatchified layout ([1, 32, H/8, W/8]), which `--noise` takes too; absent where they are one.
   */
  unpatchifiedNoiseShape?(width: number, height: number): number[];
  /** Unpatchified initial latents → `noiseShape`'s layout, as the pipeline patchifies them. */
  patchifyNoise?(latents: MxArray): MxArray;
  /** Velocity for packed tokens `x` ([B, L, C]) with batch-aligned text conditioning. */
  velocity(x: MxArray, rows: number, cols: number, timestep: number, text: TextConditioning, guidance?: number): MxArray;
  /** `velocity` split at the blocks, for residual reuse and TeaCache's signal; absent when the architecture cannot split. */
  split?(x: MxArray, rows: number, cols: number, timestep: number, text: TextConditioning, guidance?: number): ModelSplitStep;
  /** Packed tokens → RGB bytes, row-major, 3 per pixel. */
  toRgb(tokens: MxArray, width: number, height: number): Uint8Array;
}
