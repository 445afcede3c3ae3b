// What the checkpoint families' models (FLUX.1, Z-Image, FLUX.2 klein) share: their load options and the memory
// budget those default to, autoencoder weights read from BFL's shapes, and a base class holding their defaults,
// description and recent encodings and deriving text encoding and noise from each one's stepwise encoder and latent
// layout. Runs in the engine (Node).

import { totalmem } from 'node:os';
import type { MxArray, MxBackend } from '../mlx/backend.ts';
import type { Checkpoint } from '../io/checkpoint.ts';
import { checkpointPlans, materialize, runReleasing, runSync, type Quantization, type TensorPlan } from '../io/materialize.ts';
import { chooseQuantizationBy, type MemoryEstimate, type SizeInput } from './memory-estimate.ts';
import type { TextConditioning } from './flux/transformer.ts';
import { seededNoise, type ModelDefaults, type ModelInfo, type PackedNoise } from './image-model.ts';
import { RecentEncodings } from './recent-encodings.ts';
import type { ParamShapes } from './layers.ts';

export interface CheckpointLoadOptions {
  /** 4 or 8 to quantize linear weights on load, 'none' for float32, 'auto' (the default) for the lightest that fits. */
  readonly quantize?: Quantization | 'auto';
  /** Memory the engine may use; 85% of this machine's RAM by default. */
  readonly memoryLimitBytes?: number;
}

export function memoryLimitBytes(options: CheckpointLoadOptions): number {
  return options.memoryLimitBytes ?? totalmem() * 0.85;
}

/** The quantization `options` ask for (by default the lightest that fits), refused, naming what would fit, when it cannot. */
export function chooseLoadQuantization(options: CheckpointLoadOptions, name: string, size: SizeInput, estimateAt: (q: Quantization) => MemoryEstimate): MemoryEstimate {
  return chooseQuantizationBy(estimateAt, name, options.quantize ?? 'auto', size, memoryLimitBytes(options));
}

/** BFL stores the autoencoder's attention projections as 1×1 convolutions; the decoder takes them as matrices. */
export function asBflVaeShape(plan: TensorPlan): TensorPlan {
  if (!/^decoder\.mid_block\.attentions\.0\.(to_q|to_k|to_v|to_out\.0)\.weight$/.test(plan.name)) return plan;
  return {
    ...plan,
    build: () => {
      const value = plan.build();
      return value.ndim === 4 ? value.reshape(value.shape[0]!, value.shape[1]!) : value;
    },
  };
}

/** An autoencoder's decoder weights (`shapes`), float32 whatever the model's quantization, in either layout; its checkpoint is closed after. */
export function* vaeDecoderWeights(
  mx: MxBackend,
  vae: { readonly checkpoint: Checkpoint; readonly storedName: (name: string) => string },
  shapes: ParamShapes,
): Generator<void, Record<string, MxArray>, void> {
  const params = yield* materialize(mx, checkpointPlans(mx, vae.checkpoint, shapes, vae.storedName).map(asBflVaeShape), 'none');
  vae.checkpoint.close();
  return params;
}

/**
 * What every checkpoint model is beyond its own parts: its defaults and description (trained weights, no side beyond
 * 2048 pixels), its recent prompt encodings, and text encoding and noise derived from its stepwise prompt encoder and
 * its latent layout.
 */
export abstract class CheckpointModel<C extends TextConditioning = TextConditioning> {
  readonly info: ModelInfo;
  protected readonly encodings = new RecentEncodings();

  protected constructor(
    protected readonly mx: MxBackend,
    readonly defaults: ModelDefaults,
    info: Omit<ModelInfo, 'trained' | 'maxSize'>,
  ) {
    this.info = { ...info, trained: true, maxSize: 2048 };
  }

  /** Loads a folder with the family's loadStepwise, freeing memory as it goes (the way the app and CLI load). */
  static load<M, O extends CheckpointLoadOptions>(
    this: { loadStepwise(mx: MxBackend, dir: string, options: O): Generator<void, M, void> },
    mx: MxBackend,
    dir: string,
    options: O = {} as O,
  ): Promise<M> {
    return runReleasing(this.loadStepwise(mx, dir, options));
  }

  /** Encodes `prompts`, yielding between layers so that text encoders loaded for the encoding can be released. */
  abstract encodeStepwise(prompts: readonly string[]): Generator<void, C & { unknownWords: string[] }, void>;
  abstract noiseShape(width: number, height: number): number[];
  abstract packNoise(latents: MxArray, width: number, height: number): PackedNoise;

  encodeText(prompts: readonly string[]): C & { unknownWords: string[] } {
    return runSync(this.encodeStepwise(prompts));
  }

  /** Loads the text encoders, encodes, and lets them go, releasing memory between layers. */
  encodeTextReleasing(prompts: readonly string[]): Promise<C & { unknownWords: string[] }> {
    return runReleasing(this.encodeStepwise(prompts));
  }

  noise(seed: number, width: number, height: number): PackedNoise {
    return seededNoise(this.mx, this, seed, width, height);
  }
}
