// FLUX.2 klein (step-distilled or Base) as an ImageModel, from an already
// built transformer, autoencoder and prompt encoder: packed 128-channel
// latent tokens, the empirical-mu schedule, CFG only for guidance > 1 on Base,
// BatchNorm de-normalised decode; and the Qwen3 prompt encoder it takes.
// Runs in the engine (Node); no Electron.

import type { MxArray, MxBackend } from '../../mlx/backend.ts';
import { checkpointPlans, materialize, runSync, type Quantization } from '../../io/materialize.ts';
import { CheckpointModel, chooseLoadQuantization, vaeDecoderWeights, type CheckpointLoadOptions } from '../checkpoint-model.ts';
import { formatGb } from '../memory-estimate.ts';
import { bflKleinPlans } from './bfl-layout.ts';
import type { TextConditioning } from '../flux/transformer.ts';
import { rgbBytes, type ImageModel, type ModelDefaults, type ModelSplitStep, type PackedNoise } from '../image-model.ts';
import { pack } from '../packing.ts';
import type { Qwen3Tokenizer } from '../text/qwen3-prompt.ts';
import { encodeKleinPrompts, type Qwen3Source } from '../text/qwen3-text-encoder.ts';
import { decodeTiled } from '../vae/tiled-decode.ts';
import { flux2ParamShapes } from './config.ts';
import { inspectKleinFolder, type KleinFolderParts } from './inspect.ts';
import { estimateKleinMemory, KLEIN_TEXT_TOKENS } from './memory.ts';
import { Flux2Transformer } from './transformer.ts';
import { Flux2Vae, flux2PixelsPerToken, flux2VaeDecodeParamShapes } from './vae.ts';

export type KleinVariant = 'distilled' | 'base';

/**
 * klein Base's published TeaCache polynomial and threshold, from mlx-teacache
 * (IonDen/mlx-teacache, src/mlx_teacache/variants/flux2_klein_base_4b/config.py
 * at 1a942ee): fitted on FLUX.2-klein-base-4B (10 prompts × 25 steps, 512²,
 * guidance 1, bf16) on the same signal as here, the first double block's
 * modulated image input, against the blocks' output, forced through 0; R² only
 * 0.106. mlx-teacache reuses it for base-9B (SSIM 0.986 at 50 steps, g 4).
 * A klein folder's own calibration (npm run calibrate) replaces it.
 */
export const KLEIN_BASE_TEACACHE = { coefficients: [-1841.022165607874, 848.4417137572868, -131.3554469956159, 8.179509586828413, 0], signalThreshold: 0.17 } as const;

/**
 * Per-variant defaults from the model cards and the pipeline's own defaults
 * (the same for 4B and 9B): distilled klein 4 steps without CFG (its pipeline
 * ignores guidance), Base 50 steps with CFG 4 against "". The seed rule's
 * threshold is FLUX.1's; the teacache policy's polynomial is Base's published
 * one, and FLUX.1's on the distilled model, for which none is published (its
 * 4 steps give the rules next to nothing to reuse).
 */
export const KLEIN_DEFAULTS: Readonly<Record<KleinVariant, ModelDefaults>> = {
  distilled: { steps: 4, width: 1024, height: 1024, guidanceScale: 1, shift: false, empiricalMu: true, guidanceRule: 'never', teacache: { threshold: 0.1, rescaleFactor: 1 } },
  base: { steps: 50, width: 1024, height: 1024, guidanceScale: 4, shift: false, empiricalMu: true, guidanceRule: 'above-one', teacache: { threshold: 0.1, rescaleFactor: 1, coefficients: [...KLEIN_BASE_TEACACHE.coefficients], signalThreshold: KLEIN_BASE_TEACACHE.signalThreshold } },
};

/**
 * Prompts → [B, L, joint_attention_dim] features, every prompt padded to the
 * same length, stepwise as the text encoder's `encodeKleinPrompts` runs.
 */
export interface KleinPromptEncoder {
  encode(prompts: readonly string[]): Generator<void, MxArray, void>;
}

/** The checkpoint's Qwen3 (hidden states 9, 18, 27 over all 512 positions), loaded for each encoding at `quantization` and freed after. */
export function qwen3KleinPromptEncoder(mx: MxBackend, source: Qwen3Source, tokenizer: Qwen3Tokenizer, quantization: Quantization): KleinPromptEncoder {
  return { encode: (prompts) => encodeKleinPrompts(mx, source, tokenizer, prompts, quantization) };
}

export interface KleinParts {
  readonly variant: KleinVariant;
  readonly transformer: Flux2Transformer;
  readonly vae: Flux2Vae;
  readonly promptEncoder: KleinPromptEncoder;
  /** Shown as the model's name; kleinName's. */
  readonly name?: string;
  /** Things the user should know about these weights (quantization, memory), shown with the model. */
  readonly notes?: readonly string[];
}

/** diffusers' sigma as the transformer sees it: t = 1000σ in float32, passed as t / 1000. */
export function kleinSigma(sigma: number): number {
  const f = Math.fround;
  return f(f(f(sigma) * 1000) / 1000);
}

/** The name the app shows: FLUX.2 [klein], its size when it is a released one, and Base. */
export function kleinName(parts: Pick<KleinFolderParts, 'variant' | 'size'>): string {
  return `FLUX.2 [klein]${parts.size ? ` ${parts.size}` : ''}${parts.variant === 'base' ? ' Base' : ''}`;
}

/** `quantize` applies to the transformer's and text encoder's weights; the autoencoder stays float32. */
export interface KleinLoadOptions extends CheckpointLoadOptions {
  /** The prompt encoder; the folder's Qwen3 when omitted. */
  readonly promptEncoder?: KleinPromptEncoder;
}

export class Flux2KleinModel extends CheckpointModel implements ImageModel {
  private readonly pixelsPerToken: number;

  constructor(
    mx: MxBackend,
    readonly parts: KleinParts,
  ) {
    super(mx, KLEIN_DEFAULTS[parts.variant], {
      id: `flux2-klein-${parts.variant}`,
      name: parts.name ?? kleinName({ variant: parts.variant, size: undefined }),
      notes: [...(parts.notes ?? [])],
      guidanceEmbedded: false,
      sizeMultiple: flux2PixelsPerToken(parts.vae.config),
    });
    this.pixelsPerToken = this.info.sizeMultiple;
  }

  static loadSync(mx: MxBackend, dir: string, options: KleinLoadOptions = {}): Flux2KleinModel {
    return runSync(Flux2KleinModel.loadStepwise(mx, dir, options));
  }

  /**
   * A klein folder (checked whole first, then its peak memory estimated and
   * refused when it cannot fit), transformer and decoder resident, Qwen3 loaded
   * per encoding.
   */
  static *loadStepwise(mx: MxBackend, dir: string, options: KleinLoadOptions): Generator<void, Flux2KleinModel, void> {
    const parts = inspectKleinFolder(dir);
    const defaults = KLEIN_DEFAULTS[parts.variant];
    const name = kleinName(parts);
    const size = { width: defaults.width, height: defaults.height, batch: defaults.guidanceRule === 'never' ? 1 : 2, textTokens: KLEIN_TEXT_TOKENS };
    const memory = chooseLoadQuantization(options, name, size, (q) =>
      estimateKleinMemory({ transformer: parts.transformer.config, vae: parts.vae.config, textEncoder: parts.textEncoder.config }, q, size),
    );
    const quantization = memory.quantization;
    const t = parts.transformer;
    const plans = t.bfl ? bflKleinPlans(mx, t.checkpoint, t.bfl) : checkpointPlans(mx, t.checkpoint, flux2ParamShapes(t.config));
    const params = yield* materialize(mx, plans, quantization);
    t.checkpoint.close();
    const v = parts.vae;
    const vaeParams = yield* vaeDecoderWeights(mx, v, flux2VaeDecodeParamShapes(v.config));
    return new Flux2KleinModel(mx, {
      variant: parts.variant,
      transformer: new Flux2Transformer(mx, t.config, params),
      vae: new Flux2Vae(mx, v.config, vaeParams),
      promptEncoder: options.promptEncoder ?? qwen3KleinPromptEncoder(mx, parts.textEncoder, parts.tokenizer, quantization),
      name,
      notes: [`${quantization === 'none' ? 'Unquantized (float32)' : `${quantization}-bit quantized`} weights; estimated peak memory ${formatGb(memory.peakBytes)} at ${memory.width}×${memory.height}.`],
    });
  }

  *encodeStepwise(prompts: readonly string[]): Generator<void, TextConditioning & { unknownWords: string[] }, void> {
    const { mx } = this;
    const missing = this.encodings.missing(prompts);
    if (missing.length > 0) {
      const features = yield* this.parts.promptEncoder.encode(missing);
      const rows = missing.length === 1 ? [features] : mx.split(features, missing.length, 0);
      mx.eval(...rows);
      missing.forEach((prompt, i) => this.encodings.remember(prompt, { context: rows[i]!, pooled: mx.zeros([1, 1]), unknownWords: [] }));
      yield;
    }
    const rows = this.encodings.rows(prompts).map((row) => row.context);
    const lengths = new Set(rows.map((row) => row.shape[1]));
    if (lengths.size > 1) throw new Error(`klein's prompt features differ in length (${[...lengths].join(', ')}); the pipeline pads every prompt to the same length.`);
    return { context: rows.length === 1 ? rows[0]! : mx.concatenate(rows, 0), pooled: mx.zeros([rows.length, 1]), unknownWords: [] };
  }

  /** The pipeline's initial latents: already patchified, [1, in_channels, H/16, W/16]. */
  noiseShape(width: number, height: number): number[] {
    return [1, this.parts.transformer.config.in_channels, height / this.pixelsPerToken, width / this.pixelsPerToken];
  }

  packNoise(latents: MxArray, width: number, height: number): PackedNoise {
    return { tokens: pack(this.mx, latents, 1), rows: height / this.pixelsPerToken, cols: width / this.pixelsPerToken };
  }

  /** The VAE's latent before the pipeline's 2×2 patchify: [1, in_channels / 4, H/8, W/8]. */
  unpatchifiedNoiseShape(width: number, height: number): number[] {
    const [, channels, rows, cols] = this.noiseShape(width, height) as [number, number, number, number];
    return [1, channels / 4, rows * 2, cols * 2];
  }

  /** The pipeline's 2×2 patchify: channel c·4 + dy·2 + dx of each token holds latent channel c at offset (dy, dx). */
  patchifyNoise(latents: MxArray): MxArray {
    const { mx } = this;
    const [batch, channels, height, width] = latents.shape as [number, number, number, number];
    const blocks = mx.reshape(latents, [batch, channels, height / 2, 2, width / 2, 2]);
    return mx.reshape(mx.transpose(blocks, [0, 1, 3, 5, 2, 4]), [batch, channels * 4, height / 2, width / 2]);
  }

  /** The transformer's output is the flow velocity itself (the scheduler steps x + (σ' − σ)·v). */
  velocity(x: MxArray, rows: number, cols: number, timestep: number, text: TextConditioning): MxArray {
    return this.parts.transformer.forward(x, text.context, kleinSigma(timestep), rows, cols);
  }

  split(x: MxArray, rows: number, cols: number, timestep: number, text: TextConditioning): ModelSplitStep {
    const { transformer } = this.parts;
    const embedded = transformer.embed(x, text.context, kleinSigma(timestep), rows, cols);
    return {
      blockInput: embedded.img,
      signal: transformer.modulatedInput(embedded),
      blocks: () => transformer.blocks(embedded),
      output: (blockOutput) => transformer.finalLayer(blockOutput, embedded),
    };
  }

  /** Packed tokens → RGB in [-1, 1], [H·W·3] row-major (tiled for large images). */
  decodeLatents(tokens: MxArray, width: number, height: number): Float32Array {
    const { vae } = this.parts;
    const latents = vae.denormalize(tokens, height / this.pixelsPerToken, width / this.pixelsPerToken);
    return decodeTiled(this.mx, latents, (z) => vae.decoder.decode(z));
  }

  toRgb(tokens: MxArray, width: number, height: number): Uint8Array {
    const rgb = this.decodeLatents(tokens, width, height);
    return rgbBytes(rgb);
  }
}
