// Z-Image-Turbo or Z-Image (Base) from a folder of real checkpoint files, as an
// ImageModel: the Qwen3 prompt encoder (loaded per encoding, then freed), the
// Z-Image transformer and FLUX.1's autoencoder decoder (resident, optionally
// 4-/8-bit quantized), 2×2 patches in (ph, pw, c) order. Runs in the engine
// (Node); no Electron.

import type { MxArray, MxBackend } from '../../mlx/backend.ts';
import { checkpointPlans, materialize, type Quantization, type TensorPlan } from '../../io/materialize.ts';
import { CheckpointModel, chooseLoadQuantization, vaeDecoderWeights, type CheckpointLoadOptions } from '../checkpoint-model.ts';
import { memoryNote, type MemoryEstimate } from '../memory-estimate.ts';
import type { TextConditioning } from '../flux/transformer.ts';
import { rgbBytes, type ImageModel, type ModelDefaults, type ModelSplitStep, type PackedNoise } from '../image-model.ts';
import { qwen3ParamShapes } from '../text/qwen3.ts';
import { encodeZImagePrompts } from '../text/qwen3-text-encoder.ts';
import { VaeDecoder, vaeDecoderParamShapes } from '../vae/decoder.ts';
import { decodeTiled } from '../vae/tiled-decode.ts';
import { zImageParamShapes } from './config.ts';
import { inspectZImageFolder, type ZImageParts, type ZImageVariant } from './inspect.ts';
import { estimateZImageMemory } from './memory.ts';
import { ZImageTransformer, type ZImageEmbedded } from './transformer.ts';

/** The pipeline's max_sequence_length: prompts are cut to this many tokens. */
export const Z_IMAGE_TEXT_TOKENS = 512;

/**
 * Per-variant defaults. Turbo: its model card's 9 steps without CFG, and
 * ollama's TeaCache setting for it (threshold 0.15, rescale 1). Base: 50 steps
 * with CFG at guidance 4, as the Tongyi-MAI/Z-Image model card's example runs it
 * (its recommended range is 3–5). ZImagePipeline's own default, 5.0, is only
 * the signature's, shared with Turbo (which must pass 0): a user of the
 * reference copies the card's call, so 4 gives them the image they expect.
 * Neither has a published teacache polynomial for our signal (mlx-teacache's
 * Z-Image fit measures another one; README, Z-Image): FLUX.1's applies until
 * the folder is calibrated.
 */
export const Z_IMAGE_DEFAULTS: Readonly<Record<ZImageVariant, ModelDefaults>> = {
  turbo: { steps: 9, width: 1024, height: 1024, guidanceScale: 0, shift: false, flowShift: 3, guidanceRule: 'z-image', teacache: { threshold: 0.15, rescaleFactor: 1 } },
  base: { steps: 50, width: 1024, height: 1024, guidanceScale: 4, shift: false, flowShift: 3, guidanceRule: 'z-image', teacache: { threshold: 0.15, rescaleFactor: 1 } },
};

/**
 * Turns prompts into Qwen3 caption features: for each prompt, [1, tokens,
 * hidden] of `hidden_states[-2]` over its real (unpadded) tokens, as the
 * pipeline's `_encode_prompt` returns them.
 */
export interface ZImagePromptEncoder {
  encode(prompts: readonly string[]): Generator<void, MxArray[], void>;
}

/** Z-Image's conditioning: captions of different lengths, zero-padded into `context`, with each one's length in `pooled` ([B, 1]). */
export interface ZImageConditioning extends TextConditioning {
  readonly lengths: readonly number[];
}

export interface ZImageLoadOptions extends CheckpointLoadOptions {
  /** The prompt encoder; the checkpoint's Qwen3 when omitted. */
  readonly promptEncoder?: ZImagePromptEncoder;
}

const PATCH_PIXELS = 16;

export class ZImageModel extends CheckpointModel<ZImageConditioning> implements ImageModel {
  private readonly decode: (latents: MxArray) => MxArray;

  private constructor(
    mx: MxBackend,
    readonly parts: ZImageParts,
    readonly memory: MemoryEstimate,
    readonly transformer: ZImageTransformer,
    vae: VaeDecoder,
    private readonly promptEncoder: ZImagePromptEncoder,
  ) {
    super(mx, { ...Z_IMAGE_DEFAULTS[parts.variant], flowShift: parts.shift }, {
      id: `z-image-${parts.variant}`,
      name: parts.variant === 'turbo' ? 'Z-Image-Turbo' : 'Z-Image',
      notes: [memoryNote(memory)],
      guidanceEmbedded: false,
      sizeMultiple: PATCH_PIXELS * (parts.transformer.config.patch / 2),
    });
    this.decode = vae.compiledDecode();
  }

  static *loadStepwise(mx: MxBackend, dir: string, options: ZImageLoadOptions): Generator<void, ZImageModel, void> {
    const parts = inspectZImageFolder(dir);
    const defaults = Z_IMAGE_DEFAULTS[parts.variant];
    const name = parts.variant === 'turbo' ? 'Z-Image-Turbo' : 'Z-Image';
    const size = { width: defaults.width, height: defaults.height, batch: defaults.guidanceScale > 0 ? 2 : 1, textTokens: Z_IMAGE_TEXT_TOKENS };
    const qwen = parts.textEncoder.source.config;
    // hidden_states[-2]: the encoder's last layer is never loaded.
    const textEncoder = { shapes: qwen3ParamShapes(qwen, qwen.num_hidden_layers - 1), hiddenSize: qwen.hidden_size };
    const memory = chooseLoadQuantization(options, name, size, (q) => estimateZImageMemory({ transformer: parts.transformer.config, vae: parts.vae.config, textEncoder }, q, size));
    const params = yield* materialize(mx, zImageTransformerPlans(mx, parts), memory.quantization);
    parts.transformer.checkpoint.close();
    const transformer = new ZImageTransformer(mx, parts.transformer.config, params);
    const { vae } = parts;
    const vaeParams = yield* vaeDecoderWeights(mx, vae, vaeDecoderParamShapes(vae.config));
    const promptEncoder = options.promptEncoder ?? qwen3PromptEncoder(mx, parts, memory.quantization);
    return new ZImageModel(mx, parts, memory, transformer, new VaeDecoder(mx, vae.config, vaeParams), promptEncoder);
  }

  *encodeStepwise(prompts: readonly string[]): Generator<void, ZImageConditioning & { unknownWords: string[] }, void> {
    const { mx } = this;
    const missing = this.encodings.missing(prompts);
    if (missing.length > 0) {
      const captions = yield* this.promptEncoder.encode(missing);
      mx.eval(...captions);
      missing.forEach((prompt, i) => {
        const context = captions[i]!;
        this.encodings.remember(prompt, { context, pooled: mx.array([[context.shape[1]!]]), unknownWords: [] });
      });
      yield;
    }
    return conditioningOf(mx, this.encodings.rows(prompts).map((row) => row.context));
  }

  noiseShape(width: number, height: number): number[] {
    return [1, this.parts.transformer.config.inChannels, height / 8, width / 8];
  }

  packNoise(latents: MxArray, width: number, height: number): PackedNoise {
    const p = this.parts.transformer.config.patch;
    return { tokens: patchify(this.mx, latents, p), rows: height / 8 / p, cols: width / 8 / p };
  }

  /**
   * The pipeline's velocity: minus the transformer's output, at model time
   * 1 − σ (diffusers' (1000 − 1000σ)/1000, in float32). Each image runs as its
   * own forward: captions differ in length, and diffusers' padded batch
   * attends to the same tokens.
   */
  velocity(x: MxArray, rows: number, cols: number, timestep: number, text: TextConditioning): MxArray {
    const { mx } = this;
    const t = modelTime(timestep);
    const outs = this.items(x, text).map((item) => this.transformer.forward(item, t, rows, cols));
    return mx.multiply(outs.length === 1 ? outs[0]! : mx.concatenate(outs, 0), -1);
  }

  /**
   * The forward split at the main blocks. With several images, their joint
   * streams sit side by side along the token axis, so the residual and the
   * signal are single arrays all the same.
   */
  split(x: MxArray, rows: number, cols: number, timestep: number, text: TextConditioning): ModelSplitStep {
    const { mx } = this;
    const t = modelTime(timestep);
    const embedded = this.items(x, text).map((item) => this.transformer.embed(item, t, rows, cols));
    const lengths = embedded.map((e) => e.unified.shape[1]!);
    const join = (arrays: MxArray[]) => (arrays.length === 1 ? arrays[0]! : mx.concatenate(arrays, 1));
    const each = (joined: MxArray) => (embedded.length === 1 ? [joined] : mx.split(joined, offsets(lengths), 1));
    return {
      blockInput: join(embedded.map((e) => e.unified)),
      signal: join(embedded.map((e) => this.transformer.modulatedInput(e))),
      blocks: () => join(embedded.map((e: ZImageEmbedded) => this.transformer.mainBlocks(e))),
      output: (blockOutput) => {
        const outs = each(blockOutput).map((part, i) => this.transformer.finalLayer(part, embedded[i]!));
        return mx.multiply(outs.length === 1 ? outs[0]! : mx.concatenate(outs, 0), -1);
      },
    };
  }

  /** Packed latents → RGB in [-1, 1], [H·W·3] row-major (tiled for large images). */
  decodeLatents(tokens: MxArray, width: number, height: number): Float32Array {
    const latents = unpatchify(this.mx, tokens, this.parts.transformer.config.patch, height / 8, width / 8);
    return decodeTiled(this.mx, latents, this.decode);
  }

  toRgb(tokens: MxArray, width: number, height: number): Uint8Array {
    const rgb = this.decodeLatents(tokens, width, height);
    return rgbBytes(rgb);
  }

  private items(x: MxArray, text: TextConditioning): { x: MxArray; caption: MxArray }[] {
    const { mx } = this;
    const lengths = (text as Partial<ZImageConditioning>).lengths;
    const batch = x.shape[0]!;
    if (!lengths || lengths.length !== batch) throw new Error(`Z-Image needs one caption per image (got ${lengths?.length ?? 'no'} captions for ${batch} images): encode with this model's encodeText.`);
    const images = batch === 1 ? [x] : mx.split(x, batch, 0);
    const contexts = batch === 1 ? [text.context] : mx.split(text.context, batch, 0);
    return images.map((image, i) => ({ x: image, caption: mx.split(contexts[i]!, [lengths[i]!], 1)[0]! }));
  }
}

/** Captions of different lengths as one TextConditioning: zero-padded rows, lengths alongside. */
export function conditioningOf(mx: MxBackend, captions: readonly MxArray[]): ZImageConditioning & { unknownWords: string[] } {
  const lengths = captions.map((c) => c.shape[1]!);
  const longest = Math.max(...lengths);
  const width = captions[0]!.shape[2]!;
  const rows = captions.map((c) => (c.shape[1] === longest ? c : mx.concatenate([c, mx.zeros([1, longest - c.shape[1]!, width])], 1)));
  return {
    context: rows.length === 1 ? rows[0]! : mx.concatenate(rows, 0),
    pooled: mx.array(lengths.map((l) => [l])),
    lengths,
    unknownWords: [],
  };
}

/** diffusers' model timestep for sigma σ: t = 1000σ, then (1000 − t)/1000, all in float32. */
export function modelTime(sigma: number): number {
  const f = Math.fround;
  return f(f(1000 - f(f(sigma) * 1000)) / 1000);
}

function offsets(lengths: readonly number[]): number[] {
  const out: number[] = [];
  let total = 0;
  for (const l of lengths.slice(0, -1)) out.push((total += l));
  return out;
}

/** [B, C, H, W] → [B, (H/p)(W/p), p·p·C] with features ordered (ph, pw, c), as diffusers' _patchify_image. */
export function patchify(mx: MxBackend, latents: MxArray, p: number): MxArray {
  const [batch, channels, height, width] = latents.shape as [number, number, number, number];
  const split = mx.reshape(latents, batch, channels, height / p, p, width / p, p);
  return mx.reshape(mx.transpose(split, 0, 2, 4, 3, 5, 1), batch, (height / p) * (width / p), p * p * channels);
}

export function unpatchify(mx: MxBackend, tokens: MxArray, p: number, height: number, width: number): MxArray {
  const batch = tokens.shape[0]!;
  const channels = tokens.shape[2]! / (p * p);
  const split = mx.reshape(tokens, batch, height / p, width / p, p, p, channels);
  return mx.reshape(mx.transpose(split, 0, 5, 1, 3, 2, 4), batch, channels, height, width);
}

/** The transformer's parameters under the engine's names, whichever layout holds them. */
export function zImageTransformerPlans(mx: MxBackend, parts: Pick<ZImageParts, 'transformer'>): TensorPlan[] {
  const { source, checkpoint, config } = parts.transformer;
  const shapes = zImageParamShapes(config);
  const linearWeight = (name: string) => name.endsWith('.weight') && shapes[name]!.length === 2 && !name.endsWith('pad_token');
  if (source.kind === 'comfy') {
    return checkpointPlans(mx, checkpoint, shapes, (name) => source.prefix + name).map((plan) => ({ ...plan, linearWeight: linearWeight(plan.name) }));
  }
  return source.mapping.map(({ name, parts: pieces }) => ({
    name,
    build: () => {
      const arrays = pieces.map((piece) => checkpoint.take(mx, piece.stored).astype(mx.float32));
      return arrays.length === 1 ? arrays[0]! : mx.concatenate(arrays, 0);
    },
    linearWeight: linearWeight(name),
    bytes: checkpoint.bytes(pieces.map((piece) => piece.stored)),
  }));
}

/** The checkpoint's Qwen3 encoder, loaded for each encoding at the model's quantization and freed after. */
function qwen3PromptEncoder(mx: MxBackend, parts: ZImageParts, quantization: Quantization): ZImagePromptEncoder {
  return { encode: (prompts) => encodeZImagePrompts(mx, parts.textEncoder.source, parts.tokenizer, prompts, quantization) };
}
