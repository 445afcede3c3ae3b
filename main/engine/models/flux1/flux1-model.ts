// FLUX.1 dev or schnell from a folder of real checkpoint files, as an
// ImageModel: T5 + CLIP text encoders (loaded per encoding, then freed), the
// FLUX transformer and the autoencoder's decoder (resident, optionally 4-/8-bit
// quantized), 2×2 latent packing. Runs in the engine (Node); no Electron.

import type { MxArray, MxBackend } from '../../mlx/backend.ts';
import { checkpointPlans, materialize, type TensorPlan } from '../../io/materialize.ts';
import { FluxTransformer, transformerInput, type TextConditioning } from '../flux/transformer.ts';
import { rgbBytes, type ImageModel, type ModelDefaults, type ModelSplitStep, type PackedNoise } from '../image-model.ts';
import { pack, unpack } from '../packing.ts';
import { CheckpointModel, chooseLoadQuantization, memoryLimitBytes, vaeDecoderWeights, type CheckpointLoadOptions } from '../checkpoint-model.ts';
import { fluxParamShapes } from '../flux/config.ts';
import { ClipTextEncoder, clipParamShapes } from '../text/clip.ts';
import { T5Encoder, t5ParamShapes } from '../text/t5.ts';
import { VaeDecoder, vaeDecoderParamShapes } from '../vae/decoder.ts';
import { decodeTiled, DEFAULT_TILES, WHOLE } from '../vae/tiled-decode.ts';
import { inspectFlux1Folder, type Flux1Parts, type Flux1Variant } from './inspect.ts';
import { memoryNote, wholeDecodeFits, type MemoryEstimate } from '../memory-estimate.ts';
import { estimateFlux1Memory } from './memory.ts';

/** Token limits of FLUX.1's reference pipeline. */
export const T5_TOKENS: Readonly<Record<Flux1Variant, number>> = { dev: 512, schnell: 256 };
export const CLIP_TOKENS = 77;
/** Pixels per packed token side: 8× autoencoder downsampling, 2×2 packing. */
const SIZE_MULTIPLE = 16;
const PATCH = 2;

/** Per-variant defaults: dev's distilled guidance and 28 steps; schnell's 4 unshifted steps. */
/**
 * FLUX.1-dev's presets: the original TeaCache on its own published settings (TeaCache4FLUX's README:
 * "0.25 for 1.5x speedup, 0.4 for 1.8x speedup, 0.6 for 2.0x speedup"), not measured here. Schnell's
 * 4 distilled steps leave nothing to skip, so it has none.
 */
const FLUX1_DEV_PRESETS: NonNullable<ModelDefaults['presets']> = {
  quality: { policy: 'teacache', reuse: 'residual', threshold: 0.25, measured: { speedup: 1.5, source: 'TeaCache4FLUX README (published)' } },
  balanced: { policy: 'teacache', reuse: 'residual', threshold: 0.4, measured: { speedup: 1.8, source: 'TeaCache4FLUX README (published)' } },
  fast: { policy: 'teacache', reuse: 'residual', threshold: 0.6, measured: { speedup: 2, source: 'TeaCache4FLUX README (published)' } },
};

export const FLUX1_DEFAULTS: Readonly<Record<Flux1Variant, ModelDefaults>> = {
  dev: { steps: 28, width: 1024, height: 1024, guidanceScale: 3.5, shift: true, guidanceRule: 'above-one-with-negative', teacache: { threshold: 0.1, rescaleFactor: 1 }, presets: FLUX1_DEV_PRESETS },
  schnell: { steps: 4, width: 1024, height: 1024, guidanceScale: 1, shift: false, guidanceRule: 'above-one-with-negative', teacache: { threshold: 0.1, rescaleFactor: 1 } },
};

export type Flux1LoadOptions = CheckpointLoadOptions;

export class Flux1Model extends CheckpointModel implements ImageModel {
  private readonly decode: (latents: MxArray) => MxArray;

  private constructor(
    mx: MxBackend,
    readonly parts: Flux1Parts,
    readonly memory: MemoryEstimate,
    private readonly transformer: FluxTransformer,
    vae: VaeDecoder,
    private readonly memoryLimitBytes: number,
  ) {
    super(mx, FLUX1_DEFAULTS[parts.variant], {
      id: `flux1-${parts.variant}`,
      name: `FLUX.1 [${parts.variant}]`,
      notes: [memoryNote(memory)],
      guidanceEmbedded: parts.transformer.config.guidanceEmbed,
      sizeMultiple: SIZE_MULTIPLE,
    });
    // The transformer compiles its blocks itself.
    this.decode = vae.compiledDecode();
  }

  static *loadStepwise(mx: MxBackend, dir: string, options: Flux1LoadOptions): Generator<void, Flux1Model, void> {
    const parts = inspectFlux1Folder(dir);
    const defaults = FLUX1_DEFAULTS[parts.variant];
    const configs = { transformer: parts.transformer.config, t5: parts.t5.config, clip: parts.clip.config, vae: parts.vae.config };
    const size = { width: defaults.width, height: defaults.height, batch: 1, textTokens: T5_TOKENS[parts.variant] };
    const memory = chooseLoadQuantization(options, `FLUX.1 [${parts.variant}]`, size, (q) => estimateFlux1Memory(configs, q, size));
    const transformerParams = yield* materialize(mx, transformerPlans(mx, parts), memory.quantization);
    parts.transformer.checkpoint.close();
    // Uncompiled: this MLX's CPU compiler aborted the process on FLUX.1-size
    // blocks (a failed g++ build of a strided kernel at 4,608 tokens), and an
    // abort cannot be caught. The built-in model's small graphs compile fine.
    const transformer = new FluxTransformer(mx, parts.transformer.config, transformerParams, { compile: false });
    const { vae } = parts;
    const vaeParams = yield* vaeDecoderWeights(mx, vae, vaeDecoderParamShapes(vae.config));
    return new Flux1Model(mx, parts, memory, transformer, new VaeDecoder(mx, vae.config, vaeParams), memoryLimitBytes(options));
  }

  /** T5 and CLIP are loaded for each encoding and let go after it. */
  *encodeStepwise(prompts: readonly string[]): Generator<void, TextConditioning & { unknownWords: string[] }, void> {
    const { mx, parts } = this;
    const missing = this.encodings.missing(prompts);
    if (missing.length > 0) {
      const { clip, t5 } = parts;
      const clipIds = missing.map((p) => clip.tokenizer.encode(p, CLIP_TOKENS));
      const t5Ids = missing.map((p) => t5.tokenizer.encode(p, T5_TOKENS[parts.variant]));
      // CLIP is small and stays float32; T5 (4.7B parameters at full size) takes the model's quantization.
      const clipParams = yield* materialize(mx, checkpointPlans(mx, clip.checkpoint, clipParamShapes(clip.config), clip.storedName), 'none');
      clip.checkpoint.close();
      const { pooled } = new ClipTextEncoder(mx, clip.config, clipParams).encode(clipIds);
      mx.eval(pooled);
      yield;
      const t5Params = yield* materialize(mx, checkpointPlans(mx, t5.checkpoint, t5ParamShapes(t5.config), t5.storedName), this.memory.quantization);
      t5.checkpoint.close();
      const context = yield* new T5Encoder(mx, t5.config, t5Params).encodeStepwise(t5Ids);
      mx.eval(context);
      const contexts = mx.split(context, missing.length, 0);
      const pooledRows = mx.split(pooled, missing.length, 0);
      missing.forEach((prompt, i) => this.encodings.remember(prompt, { context: contexts[i]!, pooled: pooledRows[i]!, unknownWords: [] }));
      yield;
    }
    return this.encodings.batch(mx, prompts);
  }

  noiseShape(width: number, height: number): number[] {
    return [1, this.parts.vae.config.latent_channels, height / 8, width / 8];
  }

  packNoise(latents: MxArray, width: number, height: number): PackedNoise {
    return { tokens: pack(this.mx, latents, PATCH), rows: height / SIZE_MULTIPLE, cols: width / SIZE_MULTIPLE };
  }

  velocity(x: MxArray, rows: number, cols: number, timestep: number, text: TextConditioning, guidance?: number): MxArray {
    return this.transformer.forward(transformerInput(x, rows, cols, timestep, text, guidance));
  }

  split(x: MxArray, rows: number, cols: number, timestep: number, text: TextConditioning, guidance?: number): ModelSplitStep {
    return this.transformer.split(transformerInput(x, rows, cols, timestep, text, guidance));
  }

  toRgb(tokens: MxArray, width: number, height: number): Uint8Array {
    const latents = unpack(this.mx, tokens, PATCH, height / 8, width / 8);
    // Whole, as diffusers decodes, unless that cannot fit beside the resident weights.
    const whole = wholeDecodeFits(this.memory, this.parts.vae.config, width, height, this.memoryLimitBytes);
    const rgb = decodeTiled(this.mx, latents, this.decode, whole ? WHOLE : DEFAULT_TILES);
    return rgbBytes(rgb);
  }
}

/** The transformer's parameters in BFL names, whichever layout holds them. */
function transformerPlans(mx: MxBackend, parts: Flux1Parts): TensorPlan[] {
  const { source, checkpoint, config } = parts.transformer;
  const shapes = fluxParamShapes(config);
  if (source.kind === 'bfl') return checkpointPlans(mx, checkpoint, shapes, (name) => source.prefix + name);
  return source.mapping.map(({ name, parts: pieces, swapHalves }) => ({
    name,
    build: () => {
      const arrays = pieces.map((piece) => checkpoint.take(mx, piece.stored));
      let value = arrays.length === 1 ? arrays[0]! : mx.concatenate(arrays, 0);
      if (swapHalves) {
        const [first, second] = mx.split(value, 2, 0) as [MxArray, MxArray];
        value = mx.concatenate([second, first], 0);
      }
      return value;
    },
    linearWeight: name.endsWith('.weight') && shapes[name]!.length === 2,
    bytes: checkpoint.bytes(pieces.map((piece) => piece.stored)),
  }));
}
