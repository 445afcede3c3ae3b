// The FLUX transformer (double- and single-stream blocks, adaLN, 2-D RoPE, QK
// RMSNorm) over BFL-named parameters. Runs in the engine; no Node or Electron.

import type { MxArray, MxBackend } from '../../mlx/backend.ts';
import { mapAcrossLanes } from '../../mlx/lanes.ts';
import { scaledDotProductAttention } from '../attention.ts';
import {
  geluTanh,
  layerNormNoAffine,
  linear,
  mergeHeads,
  mlpEmbedder,
  modulate,
  modulation,
  param,
  rmsNormedHeads,
  sinusoidalEmbedding,
  splitHeads,
  type Linear,
  type Params,
} from '../layers.ts';
import type { ModelSplitStep } from '../image-model.ts';
import { TIME_EMBED_DIM, type FluxConfig } from './config.ts';
import { firstBlockShare } from './forward-flops.ts';
import { applyRotary, imagePositionIds, RotaryCache, type RotaryTables } from './rope.ts';

/** FLUX feeds timesteps in [0, 1] to its embedder scaled by this factor. */
const TIME_FACTOR = 1000;

export interface TextConditioning {
  /** [B, Ltxt, contextInDim] */
  readonly context: MxArray;
  /** [B, vecInDim] */
  readonly pooled: MxArray;
}

export interface TransformerInput {
  /** Packed image tokens, [B, rows·cols, inChannels]. */
  readonly x: MxArray;
  readonly rows: number;
  readonly cols: number;
  /** Flow-matching time in [0, 1]; one value for the whole batch. */
  readonly timestep: number;
  readonly text: TextConditioning;
  /** Distilled guidance strength; required when the model embeds guidance. */
  readonly guidance?: number;
}

/** The transformer's input from the ImageModel call shape, omitting an absent guidance. */
export function transformerInput(x: MxArray, rows: number, cols: number, timestep: number, text: TextConditioning, guidance?: number): TransformerInput {
  return { x, rows, cols, timestep, text, ...(guidance === undefined ? {} : { guidance }) };
}

/** A run of blocks as one graph: image and text streams in, both out joined as [img, txt] along the tokens. */
type BlockRange = (img: MxArray, txt: MxArray, vec: MxArray, cos: MxArray, sin: MxArray) => MxArray;

/** What the blocks see: embedded streams plus the conditioning vector. */
export interface EmbeddedInput {
  readonly img: MxArray;
  readonly txt: MxArray;
  readonly vec: MxArray;
  readonly rotary: RotaryTables;
}

interface QkNorm {
  readonly query: MxArray;
  readonly key: MxArray;
}

interface DoubleStream {
  readonly mod: Linear;
  readonly qkv: Linear;
  readonly norm: QkNorm;
  readonly proj: Linear;
  readonly mlpIn: Linear;
  readonly mlpOut: Linear;
}

interface DoubleBlock {
  readonly img: DoubleStream;
  readonly txt: DoubleStream;
}

interface SingleBlock {
  readonly linear1: Linear;
  readonly linear2: Linear;
  readonly norm: QkNorm;
  readonly mod: Linear;
}

const RMS_EPS = 1e-6;

export class FluxTransformer {
  private readonly headDim: number;
  private readonly imgIn: Linear;
  private readonly txtIn: Linear;
  private readonly timeIn: Linear;
  private readonly vectorIn: Linear;
  private readonly guidanceIn: Linear | undefined;
  private readonly doubleBlocks: DoubleBlock[];
  private readonly singleBlocks: SingleBlock[];
  private readonly finalLinear: Linear;
  private readonly finalMod: Linear;
  private readonly rotaryCache: RotaryCache;
  private compiledBlocks: ((img: MxArray, txt: MxArray, vec: MxArray, cos: MxArray, sin: MxArray) => MxArray) | undefined;
  /** The first block, and the rest after it, each as its own compiled graph (First-Block Cache). */
  private compiledParts: { first: BlockRange; rest: BlockRange } | undefined;

  constructor(
    private readonly mx: MxBackend,
    readonly config: FluxConfig,
    params: Params,
    private readonly options: { readonly compile?: boolean } = {},
  ) {
    // A compiled graph must capture evaluated weights: this MLX fails
    // (`_Map_base::at`) when a traced function closes over pending arrays.
    mx.eval(Object.values(params));
    this.headDim = config.hiddenSize / config.numHeads;
    this.rotaryCache = new RotaryCache(mx, config.axesDim, config.theta);
    this.imgIn = linear(mx, params, 'img_in');
    this.txtIn = linear(mx, params, 'txt_in');
    this.timeIn = mlpEmbedder(mx, params, 'time_in');
    this.vectorIn = mlpEmbedder(mx, params, 'vector_in');
    this.guidanceIn = config.guidanceEmbed ? mlpEmbedder(mx, params, 'guidance_in') : undefined;
    const stream = (p: string): DoubleStream => ({
      mod: linear(mx, params, `${p}_mod.lin`),
      qkv: linear(mx, params, `${p}_attn.qkv`),
      norm: {
        query: param(params, `${p}_attn.norm.query_norm.scale`),
        key: param(params, `${p}_attn.norm.key_norm.scale`),
      },
      proj: linear(mx, params, `${p}_attn.proj`),
      mlpIn: linear(mx, params, `${p}_mlp.0`),
      mlpOut: linear(mx, params, `${p}_mlp.2`),
    });
    this.doubleBlocks = Array.from({ length: config.depth }, (_, i) => ({
      img: stream(`double_blocks.${i}.img`),
      txt: stream(`double_blocks.${i}.txt`),
    }));
    this.singleBlocks = Array.from({ length: config.depthSingle }, (_, i) => ({
      linear1: linear(mx, params, `single_blocks.${i}.linear1`),
      linear2: linear(mx, params, `single_blocks.${i}.linear2`),
      norm: {
        query: param(params, `single_blocks.${i}.norm.query_norm.scale`),
        key: param(params, `single_blocks.${i}.norm.key_norm.scale`),
      },
      mod: linear(mx, params, `single_blocks.${i}.modulation.lin`),
    }));
    this.finalLinear = linear(mx, params, 'final_layer.linear');
    this.finalMod = linear(mx, params, 'final_layer.adaLN_modulation.1');
  }

  /**
   * The forward in its parts, for cache modes that reuse the blocks' residual
   * or read the first block's modulated input.
   */
  split(input: TransformerInput): ModelSplitStep {
    const embedded = this.embed(input);
    return {
      blockInput: embedded.img,
      signal: this.modulatedInput(embedded),
      blocks: () => this.blocks(embedded),
      output: (blockOutput) => this.finalLayer(blockOutput, embedded.vec),
      firstBlock: () => this.firstBlock(embedded),
    };
  }

  /**
   * The first block on its own, and the others run from its output: together the same pass as
   * blocks() (to float rounding), parted so First-Block Cache can skip the rest.
   */
  firstBlock(input: EmbeddedInput): { output: MxArray; residual: MxArray; share: number; rest(): MxArray } {
    const { mx } = this;
    const { img, txt, vec, rotary } = input;
    const total = this.doubleBlocks.length + this.singleBlocks.length;
    if (total === 0) throw new Error('A transformer without blocks has no first block to run.');
    const range = (from: number, to: number): BlockRange => (a, b, v, cos, sin) => mx.concatenate(this.runBlockRange(a, b, v, { cos, sin }, from, to), 1);
    const compile = this.mx.compile && this.options.compile !== false;
    this.compiledParts ??= compile
      ? { first: this.mx.compile!(range(0, 1)), rest: this.mx.compile!(range(1, total)) }
      : { first: range(0, 1), rest: range(1, total) };
    const parts = this.compiledParts;
    // Both streams travel joined as [img, txt] along the tokens, so each part is one graph with one output.
    const imageLength = img.shape[1]!;
    const [firstImg, firstTxt] = mx.split(parts.first(img, txt, vec, rotary.cos, rotary.sin), [imageLength], 1) as [MxArray, MxArray];
    return {
      output: firstImg,
      residual: mx.subtract(firstImg, img),
      share: firstBlockShare(this.config, imageLength, txt.shape[1]!),
      rest: () => mx.split(parts.rest(firstImg, firstTxt, vec, rotary.cos, rotary.sin), [imageLength], 1)[0]!,
    };
  }

  /** Blocks `from … to − 1`, counting the double-stream blocks first; returns both streams. */
  private runBlockRange(img: MxArray, txt: MxArray, vec: MxArray, rotary: { cos: MxArray; sin: MxArray }, from: number, to: number): [MxArray, MxArray] {
    const { mx } = this;
    const doubles = this.doubleBlocks.length;
    for (let i = from; i < Math.min(to, doubles); i++) [img, txt] = this.doubleBlock(this.doubleBlocks[i]!, img, txt, vec, rotary);
    const singles = this.singleBlocks.slice(Math.max(from, doubles) - doubles, Math.max(0, to - doubles));
    if (singles.length === 0) return [img, txt];
    const textLength = txt.shape[1]!;
    let joint = mx.concatenate([txt, img], 1);
    for (const block of singles) joint = this.singleBlock(block, joint, vec, rotary);
    const [jointTxt, jointImg] = mx.split(joint, [textLength], 1) as [MxArray, MxArray];
    return [jointImg, jointTxt];
  }

  /** Predicted velocity for the packed tokens, [B, rows·cols, inChannels]. */
  forward(input: TransformerInput): MxArray {
    const embedded = this.embed(input);
    return this.finalLayer(this.blocks(embedded), embedded.vec);
  }

  /** Input embedders: the cheap part that runs even when the blocks are skipped. */
  embed(input: TransformerInput): EmbeddedInput {
    const { mx } = this;
    const batch = input.x.shape[0]!;
    const timeEmbedding = this.scalarEmbedding(input.timestep * TIME_FACTOR, batch);
    let vec = mx.add(this.timeIn.apply(timeEmbedding), this.vectorIn.apply(input.text.pooled));
    if (this.guidanceIn) {
      if (input.guidance === undefined) {
        throw new Error('This model embeds guidance (FLUX-dev style): pass a guidance value.');
      }
      vec = mx.add(vec, this.guidanceIn.apply(this.scalarEmbedding(input.guidance * TIME_FACTOR, batch)));
    }
    const textLength = input.text.context.shape[1]!;
    return {
      img: this.imgIn.apply(input.x),
      txt: this.txtIn.apply(input.text.context),
      vec,
      rotary: this.rotary(textLength, input.rows, input.cols),
    };
  }

  /**
   * Every transformer block; returns the image stream's hidden state. Runs as
   * one compiled graph where the backend compiles (Metal; see
   * compileUnavailableReason for why not on the CPU): fusing the many small
   * elementwise ops (GELU, modulation, RoPE), with results that match the
   * plain ops to float32 rounding.
   */
  blocks(input: EmbeddedInput): MxArray {
    const { img, txt, vec, rotary } = input;
    if (!this.mx.compile || this.options.compile === false) {
      // Uncompiled (the CPU): each batch row, e.g. each CFG branch, on its own core.
      return mapAcrossLanes(this.mx, [img, txt, vec], (i, t, v) => this.runBlocks(i, t, v, rotary.cos, rotary.sin));
    }
    this.compiledBlocks ??= this.mx.compile((...args: [MxArray, MxArray, MxArray, MxArray, MxArray]) => this.runBlocks(...args));
    return this.compiledBlocks(img, txt, vec, rotary.cos, rotary.sin);
  }

  private runBlocks(img: MxArray, txt: MxArray, vec: MxArray, cos: MxArray, sin: MxArray): MxArray {
    const { mx } = this;
    const rotary = { cos, sin };
    for (const block of this.doubleBlocks) {
      [img, txt] = this.doubleBlock(block, img, txt, vec, rotary);
    }
    const textLength = txt.shape[1]!;
    let joint = mx.concatenate([txt, img], 1);
    for (const block of this.singleBlocks) {
      joint = this.singleBlock(block, joint, vec, rotary);
    }
    return mx.split(joint, [textLength], 1)[1]!;
  }

  /**
   * The first block's timestep-modulated image input, adaLN(img) with that
   * block's shift and scale: TeaCache's input-side signal. Recomputed here
   * (a small linear and a norm) so blocks() stays one uninterrupted pass.
   */
  modulatedInput(input: EmbeddedInput): MxArray {
    const { mx } = this;
    const mod = this.doubleBlocks[0]?.img.mod ?? this.singleBlocks[0]?.mod;
    if (!mod) throw new Error('A transformer without blocks has no modulated input to measure.');
    const [shift, scale] = modulation(mx, mod, input.vec, mod === this.singleBlocks[0]?.mod ? 3 : 6) as [MxArray, MxArray];
    return modulate(mx, layerNormNoAffine(mx, input.img), shift, scale);
  }

  finalLayer(img: MxArray, vec: MxArray): MxArray {
    const [shift, scale] = modulation(this.mx, this.finalMod, vec, 2) as [MxArray, MxArray];
    return this.finalLinear.apply(modulate(this.mx, layerNormNoAffine(this.mx, img), shift, scale));
  }

  private scalarEmbedding(value: number, batch: number): MxArray {
    const row = sinusoidalEmbedding([value], TIME_EMBED_DIM)[0]!;
    return this.mx.broadcastTo(this.mx.array([row]), [batch, TIME_EMBED_DIM]);
  }

  private rotary(textLength: number, rows: number, cols: number): RotaryTables {
    return this.rotaryCache.get(`${textLength}:${rows}x${cols}`, () => {
      const textIds = Array.from({ length: textLength }, () => this.config.axesDim.map(() => 0));
      return [...textIds, ...imagePositionIds(rows, cols)];
    });
  }

  private qkv(fused: MxArray, norm: QkNorm): [MxArray, MxArray, MxArray] {
    const { mx } = this;
    const [q, k, v] = mx.split(fused, 3, -1) as [MxArray, MxArray, MxArray];
    const heads = this.config.numHeads;
    return [
      rmsNormedHeads(mx, q, heads, norm.query, RMS_EPS),
      rmsNormedHeads(mx, k, heads, norm.key, RMS_EPS),
      splitHeads(mx, v, heads),
    ];
  }

  private attention(q: MxArray, k: MxArray, v: MxArray, rotary: RotaryTables): MxArray {
    const { mx } = this;
    const out = scaledDotProductAttention(
      mx,
      applyRotary(mx, q, rotary),
      applyRotary(mx, k, rotary),
      v,
      1 / Math.sqrt(this.headDim),
    );
    return mergeHeads(mx, out);
  }

  private doubleBlock(block: DoubleBlock, img: MxArray, txt: MxArray, vec: MxArray, rotary: RotaryTables): [MxArray, MxArray] {
    const { mx } = this;
    const imgMod = modulation(mx, block.img.mod, vec, 6) as [MxArray, MxArray, MxArray, MxArray, MxArray, MxArray];
    const txtMod = modulation(mx, block.txt.mod, vec, 6) as [MxArray, MxArray, MxArray, MxArray, MxArray, MxArray];
    const imgIn = modulate(mx, layerNormNoAffine(mx, img), imgMod[0], imgMod[1]);
    const txtIn = modulate(mx, layerNormNoAffine(mx, txt), txtMod[0], txtMod[1]);
    const [imgQ, imgK, imgV] = this.qkv(block.img.qkv.apply(imgIn), block.img.norm);
    const [txtQ, txtK, txtV] = this.qkv(block.txt.qkv.apply(txtIn), block.txt.norm);
    const attn = this.attention(
      mx.concatenate([txtQ, imgQ], 2),
      mx.concatenate([txtK, imgK], 2),
      mx.concatenate([txtV, imgV], 2),
      rotary,
    );
    const [txtAttn, imgAttn] = mx.split(attn, [txt.shape[1]!], 1) as [MxArray, MxArray];
    const update = (x: MxArray, attnOut: MxArray, stream: DoubleStream, mod: MxArray[]): MxArray => {
      const [, , gate1, shift2, scale2, gate2] = mod as [MxArray, MxArray, MxArray, MxArray, MxArray, MxArray];
      const afterAttn = mx.add(x, mx.multiply(gate1, stream.proj.apply(attnOut)));
      const mlpIn = modulate(mx, layerNormNoAffine(mx, afterAttn), shift2, scale2);
      const mlpOut = stream.mlpOut.apply(geluTanh(mx, stream.mlpIn.apply(mlpIn)));
      return mx.add(afterAttn, mx.multiply(gate2, mlpOut));
    };
    return [update(img, imgAttn, block.img, imgMod), update(txt, txtAttn, block.txt, txtMod)];
  }

  private singleBlock(block: SingleBlock, x: MxArray, vec: MxArray, rotary: RotaryTables): MxArray {
    const { mx } = this;
    const [shift, scale, gate] = modulation(mx, block.mod, vec, 3) as [MxArray, MxArray, MxArray];
    const fused = block.linear1.apply(modulate(mx, layerNormNoAffine(mx, x), shift, scale));
    const hidden = this.config.hiddenSize;
    const [qkvPart, mlpPart] = mx.split(fused, [3 * hidden], -1) as [MxArray, MxArray];
    const [q, k, v] = this.qkv(qkvPart, block.norm);
    const attn = this.attention(q, k, v, rotary);
    const out = block.linear2.apply(mx.concatenate([attn, geluTanh(mx, mlpPart)], -1));
    return mx.add(x, mx.multiply(gate, out));
  }
}
