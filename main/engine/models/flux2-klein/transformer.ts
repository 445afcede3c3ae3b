// FLUX.2's transformer (diffusers' Flux2Transformer2DModel, as klein uses it):
// modulation computed once per forward and shared by every block, no biases,
// SwiGLU MLPs, double-stream blocks over [text, image], then single-stream
// blocks with fused parallel QKV+MLP projections, 4-axis interleaved RoPE.
// Runs in the engine; no Node or Electron imports.

import type { MxArray, MxBackend } from '../../mlx/backend.ts';
import { linear, mergeHeads, modulate, param, rmsNormedHeads, silu, sinusoidalEmbedding, splitHeads, type Linear, type Params } from '../layers.ts';
import { scaledDotProductAttention } from '../attention.ts';
import { applyRotary, RotaryCache, type RotaryTables } from '../flux/rope.ts';
import { flux2Width, type Flux2Config } from './config.ts';

/** diffusers multiplies the timestep (a sigma in [0, 1]) and the guidance by this before embedding them. */
export const FLUX2_TIME_SCALE = 1000;

interface QkNorm {
  readonly q: MxArray;
  readonly k: MxArray;
}

interface DoubleBlock {
  readonly img: { readonly q: Linear; readonly k: Linear; readonly v: Linear; readonly out: Linear; readonly norm: QkNorm; readonly ffIn: Linear; readonly ffOut: Linear };
  readonly txt: { readonly q: Linear; readonly k: Linear; readonly v: Linear; readonly out: Linear; readonly norm: QkNorm; readonly ffIn: Linear; readonly ffOut: Linear };
}

interface SingleBlock {
  readonly qkvMlp: Linear;
  readonly out: Linear;
  readonly norm: QkNorm;
}

/** One modulation set: shift, scale, gate, each [1, 1, width]. */
type ModSet = readonly [MxArray, MxArray, MxArray];

/** What the blocks see: the embedded streams, the shared modulation and positions. */
export interface Flux2Embedded {
  /** [1, L_txt, width] */
  readonly txt: MxArray;
  /** [1, L_img, width] */
  readonly img: MxArray;
  /** The timestep (and guidance) embedding, [1, width]. */
  readonly temb: MxArray;
  readonly doubleImg: readonly [ModSet, ModSet];
  readonly doubleTxt: readonly [ModSet, ModSet];
  readonly single: ModSet;
  /** Text positions first, then image positions. */
  readonly rotary: RotaryTables;
}

export class Flux2Transformer {
  private readonly width: number;
  private readonly timeIn: Linear;
  private readonly timeOut: Linear;
  private readonly guidanceIn: Linear | undefined;
  private readonly guidanceOut: Linear | undefined;
  private readonly modDoubleImg: Linear;
  private readonly modDoubleTxt: Linear;
  private readonly modSingle: Linear;
  private readonly xEmbedder: Linear;
  private readonly contextEmbedder: Linear;
  private readonly normOut: Linear;
  private readonly projOut: Linear;
  private readonly doubles: DoubleBlock[];
  private readonly singles: SingleBlock[];
  private readonly rotaryCache: RotaryCache;

  constructor(
    private readonly mx: MxBackend,
    readonly config: Flux2Config,
    params: Params,
  ) {
    this.width = flux2Width(config);
    this.rotaryCache = new RotaryCache(mx, config.axes_dims_rope, config.rope_theta);
    const lin = (name: string) => linear(mx, params, name);
    this.timeIn = lin('time_guidance_embed.timestep_embedder.linear_1');
    this.timeOut = lin('time_guidance_embed.timestep_embedder.linear_2');
    if (config.guidance_embeds) {
      this.guidanceIn = lin('time_guidance_embed.guidance_embedder.linear_1');
      this.guidanceOut = lin('time_guidance_embed.guidance_embedder.linear_2');
    }
    this.modDoubleImg = lin('double_stream_modulation_img.linear');
    this.modDoubleTxt = lin('double_stream_modulation_txt.linear');
    this.modSingle = lin('single_stream_modulation.linear');
    this.xEmbedder = lin('x_embedder');
    this.contextEmbedder = lin('context_embedder');
    this.normOut = lin('norm_out.linear');
    this.projOut = lin('proj_out');
    const qk = (prefix: string, q: string, k: string): QkNorm => ({ q: param(params, `${prefix}.${q}.weight`), k: param(params, `${prefix}.${k}.weight`) });
    this.doubles = Array.from({ length: config.num_layers }, (_, i) => {
      const p = `transformer_blocks.${i}`;
      return {
        img: { q: lin(`${p}.attn.to_q`), k: lin(`${p}.attn.to_k`), v: lin(`${p}.attn.to_v`), out: lin(`${p}.attn.to_out.0`), norm: qk(`${p}.attn`, 'norm_q', 'norm_k'), ffIn: lin(`${p}.ff.linear_in`), ffOut: lin(`${p}.ff.linear_out`) },
        txt: { q: lin(`${p}.attn.add_q_proj`), k: lin(`${p}.attn.add_k_proj`), v: lin(`${p}.attn.add_v_proj`), out: lin(`${p}.attn.to_add_out`), norm: qk(`${p}.attn`, 'norm_added_q', 'norm_added_k'), ffIn: lin(`${p}.ff_context.linear_in`), ffOut: lin(`${p}.ff_context.linear_out`) },
      };
    });
    this.singles = Array.from({ length: config.num_single_layers }, (_, i) => {
      const p = `single_transformer_blocks.${i}.attn`;
      return { qkvMlp: lin(`${p}.to_qkv_mlp_proj`), out: lin(`${p}.to_out`), norm: qk(p, 'norm_q', 'norm_k') };
    });
  }

  /**
   * The model's output for packed latents `x` [1, rows·cols, in_channels] and
   * text features [1, L, joint_attention_dim] at `sigma` (diffusers'
   * `timestep / 1000`); `guidance` only for checkpoints with guidance embeds.
   */
  forward(x: MxArray, text: MxArray, sigma: number, rows: number, cols: number, guidance?: number): MxArray {
    const embedded = this.embed(x, text, sigma, rows, cols, guidance);
    return this.finalLayer(this.blocks(embedded), embedded);
  }

  embed(x: MxArray, text: MxArray, sigma: number, rows: number, cols: number, guidance?: number): Flux2Embedded {
    const { mx } = this;
    if (x.shape[1] !== rows * cols) throw new Error(`FLUX.2 transformer: ${x.shape[1]} image tokens do not make a ${rows}×${cols} grid.`);
    const temb = this.timeGuidanceEmbedding(sigma, guidance);
    const act = silu(mx, temb);
    const sets = (lin: Linear, count: number): ModSet[] => {
      const chunks = mx.split(mx.expandDims(lin.apply(act), 1), 3 * count, -1);
      return Array.from({ length: count }, (_, i) => [chunks[3 * i]!, chunks[3 * i + 1]!, chunks[3 * i + 2]!] as const);
    };
    const [img1, img2] = sets(this.modDoubleImg, 2) as [ModSet, ModSet];
    const [txt1, txt2] = sets(this.modDoubleTxt, 2) as [ModSet, ModSet];
    const [single] = sets(this.modSingle, 1) as [ModSet];
    return {
      txt: this.contextEmbedder.apply(text),
      img: this.xEmbedder.apply(x),
      temb,
      doubleImg: [img1, img2],
      doubleTxt: [txt1, txt2],
      single,
      rotary: this.rotary(text.shape[1]!, rows, cols),
    };
  }

  /** Double-stream then single-stream blocks; returns the image tokens, [1, L_img, width]. */
  blocks(embedded: Flux2Embedded): MxArray {
    const { mx } = this;
    let { txt, img } = embedded;
    for (const block of this.doubles) [txt, img] = this.doubleBlock(block, txt, img, embedded);
    const textTokens = txt.shape[1]!;
    let joint = mx.concatenate([txt, img], 1);
    for (const block of this.singles) joint = this.singleBlock(block, joint, embedded);
    return mx.split(joint, [textTokens], 1)[1]!;
  }

  /**
   * The first double block's modulated image input, LN(x)·(1 + scale) + shift:
   * TeaCache's input-side signal, recomputed (one norm) so the blocks stay one pass.
   */
  modulatedInput(embedded: Flux2Embedded): MxArray {
    const [shift, scale] = embedded.doubleImg[0];
    return modulate(this.mx, this.layerNorm(embedded.img), shift, scale);
  }

  /** AdaLayerNormContinuous (scale before shift in its linear's output), then the output projection. */
  finalLayer(img: MxArray, embedded: Flux2Embedded): MxArray {
    const { mx } = this;
    const [scale, shift] = mx.split(mx.expandDims(this.normOut.apply(silu(mx, embedded.temb)), 1), 2, -1) as [MxArray, MxArray];
    return this.projOut.apply(modulate(mx, this.layerNorm(img), shift, scale));
  }

  private timeGuidanceEmbedding(sigma: number, guidance: number | undefined): MxArray {
    const { mx } = this;
    const channels = this.config.timestep_guidance_channels;
    const embed = (value: number, first: Linear, second: Linear) => second.apply(silu(mx, first.apply(mx.array(sinusoidalEmbedding([value * FLUX2_TIME_SCALE], channels)))));
    const temb = embed(sigma, this.timeIn, this.timeOut);
    if (guidance === undefined || !this.guidanceIn || !this.guidanceOut) return temb;
    return mx.add(temb, embed(guidance, this.guidanceIn, this.guidanceOut));
  }

  private layerNorm(x: MxArray): MxArray {
    return this.mx.fast.layerNorm(x, null, null, this.config.eps);
  }

  /** Text positions (0, 0, 0, l), then image positions (0, h, w, 0), as Flux2KleinPipeline builds them. */
  private rotary(textTokens: number, rows: number, cols: number): RotaryTables {
    return this.rotaryCache.get(`${textTokens}:${rows}x${cols}`, () => {
      const ids: number[][] = [];
      for (let l = 0; l < textTokens; l++) ids.push([0, 0, 0, l]);
      for (let h = 0; h < rows; h++) for (let w = 0; w < cols; w++) ids.push([0, h, w, 0]);
      return ids;
    });
  }

  /** [1, L, H·D] → [1, H, L, D], RMS-normalised per head. */
  private heads(x: MxArray, weight: MxArray): MxArray {
    return rmsNormedHeads(this.mx, x, this.config.num_attention_heads, weight, this.config.eps);
  }

  private attend(q: MxArray, k: MxArray, v: MxArray, rotary: RotaryTables): MxArray {
    const { mx } = this;
    const out = scaledDotProductAttention(mx, applyRotary(mx, q, rotary), applyRotary(mx, k, rotary), v, 1 / Math.sqrt(this.config.attention_head_dim));
    return mergeHeads(mx, out);
  }

  /** SwiGLU: silu(first half) · second half. */
  private swiGlu(x: MxArray): MxArray {
    const [gate, value] = this.mx.split(x, 2, -1) as [MxArray, MxArray];
    return this.mx.multiply(silu(this.mx, gate), value);
  }

  private doubleBlock(block: DoubleBlock, txt: MxArray, img: MxArray, e: Flux2Embedded): [MxArray, MxArray] {
    const { mx } = this;
    const heads = this.config.num_attention_heads;
    const [[iShift1, iScale1, iGate1], [iShift2, iScale2, iGate2]] = e.doubleImg;
    const [[tShift1, tScale1, tGate1], [tShift2, tScale2, tGate2]] = e.doubleTxt;
    const imgIn = modulate(mx, this.layerNorm(img), iShift1, iScale1);
    const txtIn = modulate(mx, this.layerNorm(txt), tShift1, tScale1);
    const q = mx.concatenate([this.heads(block.txt.q.apply(txtIn), block.txt.norm.q), this.heads(block.img.q.apply(imgIn), block.img.norm.q)], 2);
    const k = mx.concatenate([this.heads(block.txt.k.apply(txtIn), block.txt.norm.k), this.heads(block.img.k.apply(imgIn), block.img.norm.k)], 2);
    const v = mx.concatenate([splitHeads(mx, block.txt.v.apply(txtIn), heads), splitHeads(mx, block.img.v.apply(imgIn), heads)], 2);
    const [txtAttn, imgAttn] = mx.split(this.attend(q, k, v, e.rotary), [txt.shape[1]!], 1) as [MxArray, MxArray];
    img = mx.add(img, mx.multiply(iGate1, block.img.out.apply(imgAttn)));
    img = mx.add(img, mx.multiply(iGate2, block.img.ffOut.apply(this.swiGlu(block.img.ffIn.apply(modulate(mx, this.layerNorm(img), iShift2, iScale2))))));
    txt = mx.add(txt, mx.multiply(tGate1, block.txt.out.apply(txtAttn)));
    txt = mx.add(txt, mx.multiply(tGate2, block.txt.ffOut.apply(this.swiGlu(block.txt.ffIn.apply(modulate(mx, this.layerNorm(txt), tShift2, tScale2))))));
    return [txt, img];
  }

  private singleBlock(block: SingleBlock, x: MxArray, e: Flux2Embedded): MxArray {
    const { mx } = this;
    const [shift, scale, gate] = e.single;
    const fused = block.qkvMlp.apply(modulate(mx, this.layerNorm(x), shift, scale));
    const [q, k, v, mlp] = mx.split(fused, [this.width, 2 * this.width, 3 * this.width], -1) as [MxArray, MxArray, MxArray, MxArray];
    const attn = this.attend(this.heads(q, block.norm.q), this.heads(k, block.norm.k), splitHeads(mx, v, this.config.num_attention_heads), e.rotary);
    return mx.add(x, mx.multiply(gate, block.out.apply(mx.concatenate([attn, this.swiGlu(mlp)], -1))));
  }
}
