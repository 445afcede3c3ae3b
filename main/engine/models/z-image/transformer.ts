// Z-Image's single-stream transformer (diffusers' ZImageTransformer2DModel,
// basic mode): modulated noise-refiner blocks over the image, unmodulated
// context-refiner blocks over the caption, then the main blocks over
// [image, caption]; each sequence padded to a multiple of 32 with learnt pad
// tokens; 3-axis RoPE. Runs in the engine; no Node or Electron imports.

import type { MxArray, MxBackend } from '../../mlx/backend.ts';
import { layerNormNoAffine, linear, mergeHeads, param, rmsNormedHeads, silu, sinusoidalEmbedding, splitHeads, type Linear, type Params } from '../layers.ts';
import { scaledDotProductAttention } from '../attention.ts';
import { applyRotary, RotaryCache, type RotaryTables } from '../flux/rope.ts';
import { ADALN_EMBED_DIM, QK_NORM_EPS, SEQ_MULTIPLE, type ZImageConfig } from './config.ts';

interface Block {
  readonly qkv: Linear;
  readonly out: Linear;
  readonly qNorm: MxArray;
  readonly kNorm: MxArray;
  readonly attentionNorm1: MxArray;
  readonly attentionNorm2: MxArray;
  readonly ffnNorm1: MxArray;
  readonly ffnNorm2: MxArray;
  readonly w1: Linear;
  readonly w2: Linear;
  readonly w3: Linear;
  readonly adaLN: Linear | undefined;
}

/** One image's input: packed latent tokens and its caption's real tokens. */
export interface ZImageItem {
  /** [1, rows·cols, patch²·C] in diffusers' (ph, pw, c) feature order. */
  readonly x: MxArray;
  /** [1, tokens, capFeatDim]: the text encoder's output for the prompt's real tokens only. */
  readonly caption: MxArray;
}

/** What the main blocks see for one image: the joint stream, its conditioning and positions. */
export interface ZImageEmbedded {
  /** [1, paddedImage + paddedCaption, dim], image first. */
  readonly unified: MxArray;
  /** The timestep conditioning, [1, adaLN width]. */
  readonly adaln: MxArray;
  readonly rotary: RotaryTables;
  /** Real image tokens (the output keeps these). */
  readonly imageTokens: number;
}

function padLength(length: number): number {
  return (SEQ_MULTIPLE - (length % SEQ_MULTIPLE)) % SEQ_MULTIPLE;
}

export class ZImageTransformer {
  private readonly headDim: number;
  private readonly xEmbedder: Linear;
  private readonly finalLinear: Linear;
  private readonly finalAdaLN: Linear;
  private readonly timeIn: Linear;
  private readonly timeOut: Linear;
  private readonly capNorm: MxArray;
  private readonly capLinear: Linear;
  private readonly xPad: MxArray;
  private readonly capPad: MxArray;
  private readonly noiseRefiner: Block[];
  private readonly contextRefiner: Block[];
  private readonly layers: Block[];
  private readonly rotaryCache: RotaryCache;

  constructor(
    private readonly mx: MxBackend,
    readonly config: ZImageConfig,
    params: Params,
  ) {
    this.headDim = config.dim / config.heads;
    this.rotaryCache = new RotaryCache(mx, config.axesDims, config.ropeTheta);
    this.xEmbedder = linear(mx, params, 'x_embedder');
    this.finalLinear = linear(mx, params, 'final_layer.linear');
    this.finalAdaLN = linear(mx, params, 'final_layer.adaLN_modulation.1');
    this.timeIn = linear(mx, params, 't_embedder.mlp.0');
    this.timeOut = linear(mx, params, 't_embedder.mlp.2');
    this.capNorm = param(params, 'cap_embedder.0.weight');
    this.capLinear = linear(mx, params, 'cap_embedder.1');
    this.xPad = param(params, 'x_pad_token');
    this.capPad = param(params, 'cap_pad_token');
    const block = (prefix: string, modulated: boolean): Block => ({
      qkv: linear(mx, params, `${prefix}.attention.qkv`),
      out: linear(mx, params, `${prefix}.attention.out`),
      qNorm: param(params, `${prefix}.attention.q_norm.weight`),
      kNorm: param(params, `${prefix}.attention.k_norm.weight`),
      attentionNorm1: param(params, `${prefix}.attention_norm1.weight`),
      attentionNorm2: param(params, `${prefix}.attention_norm2.weight`),
      ffnNorm1: param(params, `${prefix}.ffn_norm1.weight`),
      ffnNorm2: param(params, `${prefix}.ffn_norm2.weight`),
      w1: linear(mx, params, `${prefix}.feed_forward.w1`),
      w2: linear(mx, params, `${prefix}.feed_forward.w2`),
      w3: linear(mx, params, `${prefix}.feed_forward.w3`),
      adaLN: modulated ? linear(mx, params, `${prefix}.adaLN_modulation.0`) : undefined,
    });
    this.noiseRefiner = Array.from({ length: config.refinerLayers }, (_, i) => block(`noise_refiner.${i}`, true));
    this.contextRefiner = Array.from({ length: config.refinerLayers }, (_, i) => block(`context_refiner.${i}`, false));
    this.layers = Array.from({ length: config.layers }, (_, i) => block(`layers.${i}`, true));
  }

  /** The model's raw output for one image at model time `t` (diffusers' `t`, i.e. 1 − σ), [1, rows·cols, patch²·C]. */
  forward(item: ZImageItem, t: number, rows: number, cols: number): MxArray {
    const embedded = this.embed(item, t, rows, cols);
    return this.finalLayer(this.mainBlocks(embedded), embedded);
  }

  /** Embedders and both refiners: everything before the main blocks. */
  embed(item: ZImageItem, t: number, rows: number, cols: number): ZImageEmbedded {
    const { mx } = this;
    const imageTokens = item.x.shape[1]!;
    const captionTokens = item.caption.shape[1]!;
    const imagePad = padLength(imageTokens);
    const captionPadded = captionTokens + padLength(captionTokens);
    const adaln = this.timestepEmbedding(t);
    const rotary = this.rotary(captionPadded, rows, cols, imagePad);
    const [imageRotary, captionRotary] = splitRotary(mx, rotary, imageTokens + imagePad);

    let image = this.withPads(this.xEmbedder.apply(item.x), this.xPad, imagePad);
    for (const block of this.noiseRefiner) image = this.block(block, image, imageRotary, adaln);
    const captionIn = this.capLinear.apply(mx.fast.rmsNorm(item.caption, this.capNorm, this.config.normEps));
    let caption = this.withPads(captionIn, this.capPad, captionPadded - captionTokens);
    for (const block of this.contextRefiner) caption = this.block(block, caption, captionRotary, undefined);
    return { unified: mx.concatenate([image, caption], 1), adaln, rotary, imageTokens };
  }

  mainBlocks(embedded: ZImageEmbedded, from: MxArray = embedded.unified): MxArray {
    let x = from;
    for (const block of this.layers) x = this.block(block, x, embedded.rotary, embedded.adaln);
    return x;
  }

  /**
   * The first main block's modulated input, RMSNorm(x)·(1 + scale): TeaCache's
   * input-side signal, recomputed here (one small linear and a norm) so the
   * blocks stay one pass.
   */
  modulatedInput(embedded: ZImageEmbedded): MxArray {
    const first = this.layers[0];
    if (!first?.adaLN) throw new Error('A Z-Image transformer without main blocks has no modulated input to measure.');
    const [scale] = this.modulation(first.adaLN, embedded.adaln) as [MxArray];
    return this.mx.multiply(this.mx.fast.rmsNorm(embedded.unified, first.attentionNorm1, this.config.normEps), scale);
  }

  /** The final layer (LayerNorm, scale only, after SiLU) on the main blocks' output; keeps the real image tokens. */
  finalLayer(x: MxArray, embedded: ZImageEmbedded): MxArray {
    const { mx } = this;
    const scale = mx.add(mx.expandDims(this.finalAdaLN.apply(silu(mx, embedded.adaln)), 1), 1);
    const out = this.finalLinear.apply(mx.multiply(layerNormNoAffine(mx, x), scale));
    return mx.split(out, [embedded.imageTokens], 1)[0]!;
  }

  private timestepEmbedding(t: number): MxArray {
    const { mx } = this;
    const row = sinusoidalEmbedding([t * this.config.tScale], ADALN_EMBED_DIM)[0]!;
    return this.timeOut.apply(silu(mx, this.timeIn.apply(mx.array([row]))));
  }

  private withPads(x: MxArray, pad: MxArray, count: number): MxArray {
    if (count === 0) return x;
    const { mx } = this;
    return mx.concatenate([x, mx.broadcastTo(mx.expandDims(pad, 0), [1, count, this.config.dim])], 1);
  }

  /**
   * RoPE tables for [image (padded), caption (padded)]: caption token i at
   * (1 + i, 0, 0), pads included; image token (h, w) at (padded caption + 1, h, w);
   * image pads at (0, 0, 0), as diffusers' patchify_and_embed places them.
   */
  private rotary(captionPadded: number, rows: number, cols: number, imagePad: number): RotaryTables {
    return this.rotaryCache.get(`${captionPadded}:${rows}x${cols}`, () => {
      const ids: number[][] = [];
      for (let h = 0; h < rows; h++) for (let w = 0; w < cols; w++) ids.push([captionPadded + 1, h, w]);
      for (let i = 0; i < imagePad; i++) ids.push([0, 0, 0]);
      for (let i = 0; i < captionPadded; i++) ids.push([1 + i, 0, 0]);
      const limit = this.config.axesLens;
      const beyond = ids.find((id) => id.some((p, axis) => p >= limit[axis]!));
      if (beyond) {
        throw new Error(`A ${rows}×${cols}-token image with a ${captionPadded}-token caption needs positions up to (${beyond.join(', ')}), past the model's axes_lens (${limit.join(', ')}): use a smaller image or a shorter prompt.`);
      }
      return ids;
    });
  }

  /** adaLN without SiLU: [1, 1, dim] chunks (scale, gate, scale, gate) in checkpoint order, scales as 1 + s, gates as tanh. */
  private modulation(adaLN: Linear, adaln: MxArray): MxArray[] {
    const { mx } = this;
    const [scaleMsa, gateMsa, scaleMlp, gateMlp] = mx.split(mx.expandDims(adaLN.apply(adaln), 1), 4, -1) as [MxArray, MxArray, MxArray, MxArray];
    return [mx.add(scaleMsa, 1), mx.tanh(gateMsa), mx.add(scaleMlp, 1), mx.tanh(gateMlp)];
  }

  private block(block: Block, x: MxArray, rotary: RotaryTables, adaln: MxArray | undefined): MxArray {
    const { mx } = this;
    const eps = this.config.normEps;
    const norm = (v: MxArray, w: MxArray) => mx.fast.rmsNorm(v, w, eps);
    if (block.adaLN && adaln) {
      const [scaleMsa, gateMsa, scaleMlp, gateMlp] = this.modulation(block.adaLN, adaln) as [MxArray, MxArray, MxArray, MxArray];
      const attn = this.attention(block, mx.multiply(norm(x, block.attentionNorm1), scaleMsa), rotary);
      x = mx.add(x, mx.multiply(gateMsa, norm(attn, block.attentionNorm2)));
      const ffn = this.feedForward(block, mx.multiply(norm(x, block.ffnNorm1), scaleMlp));
      return mx.add(x, mx.multiply(gateMlp, norm(ffn, block.ffnNorm2)));
    }
    x = mx.add(x, norm(this.attention(block, norm(x, block.attentionNorm1), rotary), block.attentionNorm2));
    return mx.add(x, norm(this.feedForward(block, norm(x, block.ffnNorm1)), block.ffnNorm2));
  }

  private feedForward(block: Block, x: MxArray): MxArray {
    return block.w2.apply(this.mx.multiply(silu(this.mx, block.w1.apply(x)), block.w3.apply(x)));
  }

  private attention(block: Block, x: MxArray, rotary: RotaryTables): MxArray {
    const { mx } = this;
    const heads = this.config.heads;
    const [q, k, v] = mx.split(block.qkv.apply(x), 3, -1) as [MxArray, MxArray, MxArray];
    const query = applyRotary(mx, rmsNormedHeads(mx, q, heads, block.qNorm, QK_NORM_EPS), rotary);
    const key = applyRotary(mx, rmsNormedHeads(mx, k, heads, block.kNorm, QK_NORM_EPS), rotary);
    const out = scaledDotProductAttention(mx, query, key, splitHeads(mx, v, heads), 1 / Math.sqrt(this.headDim));
    return block.out.apply(mergeHeads(mx, out));
  }
}

/** The image part and the caption part of joint RoPE tables. */
function splitRotary(mx: MxBackend, tables: RotaryTables, imageLength: number): [RotaryTables, RotaryTables] {
  const [imageCos, captionCos] = mx.split(tables.cos, [imageLength], 2) as [MxArray, MxArray];
  const [imageSin, captionSin] = mx.split(tables.sin, [imageLength], 2) as [MxArray, MxArray];
  return [
    { cos: imageCos, sin: imageSin },
    { cos: captionCos, sin: captionSin },
  ];
}
