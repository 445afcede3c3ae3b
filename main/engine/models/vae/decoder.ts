// The FLUX.1 autoencoder's decoder (diffusers AutoencoderKL names): latents
// [B, 16, h, w] → RGB [B, H, W, 3] in [-1, 1], channels-last as MLX convolves.
// BFL's ae.safetensors names map onto the same parameters. Runs in the engine;
// no Node or Electron imports.

import { z } from 'zod';
import type { MxArray, MxBackend } from '../../mlx/backend.ts';
import { scaledDotProductAttention } from '../attention.ts';
import { param, silu, type ParamShapes, type Params } from '../layers.ts';

/** The fields of diffusers' AutoencoderKL config.json the decoder reads. */
export const VaeConfigSchema = z.object({
  latent_channels: z.number().int().positive(),
  out_channels: z.number().int().positive().default(3),
  block_out_channels: z.array(z.number().int().positive()).min(1),
  layers_per_block: z.number().int().positive(),
  norm_num_groups: z.number().int().positive().default(32),
  scaling_factor: z.number().positive(),
  shift_factor: z.number().nullable().default(0),
  use_post_quant_conv: z.boolean().default(true),
  mid_block_add_attention: z.boolean().default(true),
});

export type VaeConfig = z.infer<typeof VaeConfigSchema>;

/** FLUX.1's autoencoder (16 latent channels, scale 0.3611, shift 0.1159). */
export const FLUX1_VAE: VaeConfig = {
  latent_channels: 16,
  out_channels: 3,
  block_out_channels: [128, 256, 512, 512],
  layers_per_block: 2,
  norm_num_groups: 32,
  scaling_factor: 0.3611,
  shift_factor: 0.1159,
  use_post_quant_conv: false,
  mid_block_add_attention: true,
};

const GROUP_NORM_EPS = 1e-6;
const D = 'decoder';

function conv(shapes: Record<string, number[]>, prefix: string, cin: number, cout: number, k: number): void {
  shapes[`${prefix}.weight`] = [cout, cin, k, k];
  shapes[`${prefix}.bias`] = [cout];
}

function norm(shapes: Record<string, number[]>, prefix: string, c: number): void {
  shapes[`${prefix}.weight`] = [c];
  shapes[`${prefix}.bias`] = [c];
}

function resnet(shapes: Record<string, number[]>, prefix: string, cin: number, cout: number): void {
  norm(shapes, `${prefix}.norm1`, cin);
  conv(shapes, `${prefix}.conv1`, cin, cout, 3);
  norm(shapes, `${prefix}.norm2`, cout);
  conv(shapes, `${prefix}.conv2`, cout, cout, 3);
  if (cin !== cout) conv(shapes, `${prefix}.conv_shortcut`, cin, cout, 1);
}

/** The decoder's parameters in diffusers' names (PyTorch layouts). */
export function vaeDecoderParamShapes(config: VaeConfig): ParamShapes {
  const shapes: Record<string, number[]> = {};
  const channels = [...config.block_out_channels].reverse();
  const top = channels[0]!;
  if (config.use_post_quant_conv) conv(shapes, 'post_quant_conv', config.latent_channels, config.latent_channels, 1);
  conv(shapes, `${D}.conv_in`, config.latent_channels, top, 3);
  resnet(shapes, `${D}.mid_block.resnets.0`, top, top);
  if (config.mid_block_add_attention) {
    const a = `${D}.mid_block.attentions.0`;
    norm(shapes, `${a}.group_norm`, top);
    for (const n of ['to_q', 'to_k', 'to_v', 'to_out.0']) {
      shapes[`${a}.${n}.weight`] = [top, top];
      shapes[`${a}.${n}.bias`] = [top];
    }
  }
  resnet(shapes, `${D}.mid_block.resnets.1`, top, top);
  let previous = top;
  channels.forEach((out, i) => {
    for (let j = 0; j <= config.layers_per_block; j++) resnet(shapes, `${D}.up_blocks.${i}.resnets.${j}`, j === 0 ? previous : out, out);
    if (i < channels.length - 1) conv(shapes, `${D}.up_blocks.${i}.upsamplers.0.conv`, out, out, 3);
    previous = out;
  });
  norm(shapes, `${D}.conv_norm_out`, channels[channels.length - 1]!);
  conv(shapes, `${D}.conv_out`, channels[channels.length - 1]!, config.out_channels, 3);
  return shapes;
}

/**
 * BFL's ae.safetensors name for each diffusers decoder name (FLUX's own
 * autoencoder code numbers up-blocks from the output side, and its attention
 * projections are 1×1 convolutions).
 */
export function bflVaeName(name: string, config: VaeConfig): string {
  const levels = config.block_out_channels.length;
  return name
    .replace(/^decoder\.mid_block\.resnets\.0\./, 'decoder.mid.block_1.')
    .replace(/^decoder\.mid_block\.resnets\.1\./, 'decoder.mid.block_2.')
    .replace(/^decoder\.mid_block\.attentions\.0\.group_norm\./, 'decoder.mid.attn_1.norm.')
    .replace(/^decoder\.mid_block\.attentions\.0\.to_(q|k|v)\./, 'decoder.mid.attn_1.$1.')
    .replace(/^decoder\.mid_block\.attentions\.0\.to_out\.0\./, 'decoder.mid.attn_1.proj_out.')
    .replace(/^decoder\.up_blocks\.(\d+)\.resnets\.(\d+)\./, (_, i: string, j: string) => `decoder.up.${levels - 1 - Number(i)}.block.${j}.`)
    .replace(/^decoder\.up_blocks\.(\d+)\.upsamplers\.0\.conv\./, (_, i: string) => `decoder.up.${levels - 1 - Number(i)}.upsample.conv.`)
    .replace(/\.conv_shortcut\./, '.nin_shortcut.')
    .replace(/^decoder\.conv_norm_out\./, 'decoder.norm_out.');
}

/**
 * The configuration of BFL's ae.safetensors, which carries none, from its
 * decoder's shapes. FLUX.1's has 32 norm groups; as group counts leave no
 * trace in shapes, narrower (test) autoencoders are taken to use half their
 * narrowest width, capped at 32.
 */
export function vaeConfigFromBflShapes(shape: (name: string) => readonly number[] | undefined, names: Iterable<string>, file: string): VaeConfig {
  const convIn = shape('decoder.conv_in.weight');
  if (!convIn) throw new Error(`${file} has no "decoder.conv_in.weight": it is not an autoencoder in BFL's layout.`);
  let levels = 0;
  let blocks = 0;
  for (const name of names) {
    const m = /^decoder\.up\.(\d+)\.block\.(\d+)\./.exec(name);
    if (m) {
      levels = Math.max(levels, Number(m[1]) + 1);
      blocks = Math.max(blocks, Number(m[2]) + 1);
    }
  }
  const channels = Array.from({ length: levels }, (_, i) => shape(`decoder.up.${i}.block.0.conv2.weight`)?.[0] ?? 0);
  const narrowest = Math.min(...channels);
  return {
    ...FLUX1_VAE,
    latent_channels: convIn[1]!,
    block_out_channels: channels,
    layers_per_block: blocks - 1,
    norm_num_groups: Math.min(32, Math.max(1, narrowest / 2)),
  };
}

/** The shape BFL stores a tensor in: attention projections as [C, C, 1, 1]. */
export function bflVaeShape(name: string, shape: readonly number[]): number[] {
  return /^decoder\.mid\.attn_1\.(q|k|v|proj_out)\.weight$/.test(name) ? [...shape, 1, 1] : [...shape];
}

/**
 * PyTorch's GroupNorm over channels-last input [B, H, W, C]. MLX's CPU
 * reduction adds float32 values one after another, which over the ~10⁶ values
 * of a group at 512² leaves the mean and variance ~1e-4 relative off; so both
 * are taken in two stages, each row first, then across rows, and the variance
 * of the centred values (never E[x²] − E[x]²).
 */
export function groupNorm(mx: MxBackend, x: MxArray, weight: MxArray, bias: MxArray, groups: number): MxArray {
  const [b, h, w, c] = x.shape as [number, number, number, number];
  const grouped = mx.reshape(x, b, h, w, groups, c / groups);
  const mean = (values: MxArray) => mx.mean(mx.mean(values, [2, 4], true), [1], true);
  const centered = mx.subtract(grouped, mean(grouped));
  const variance = mean(mx.square(centered));
  const normed = mx.reshape(mx.divide(centered, mx.sqrt(mx.add(variance, GROUP_NORM_EPS))), b, h, w, c);
  return mx.add(mx.multiply(normed, weight), bias);
}

interface Conv {
  readonly weight: MxArray;
  readonly bias: MxArray;
  readonly padding: number;
}

interface Norm {
  readonly weight: MxArray;
  readonly bias: MxArray;
}

interface Resnet {
  readonly norm1: Norm;
  readonly conv1: Conv;
  readonly norm2: Norm;
  readonly conv2: Conv;
  readonly shortcut: Conv | undefined;
}

export class VaeDecoder {
  private readonly postQuant: Conv | undefined;
  private readonly convIn: Conv;
  private readonly mid: [Resnet, Resnet];
  private readonly attention: { norm: Norm; q: MxArray[]; k: MxArray[]; v: MxArray[]; out: MxArray[] } | undefined;
  private readonly up: { resnets: Resnet[]; upsample: Conv | undefined }[];
  private readonly normOut: Norm;
  private readonly convOut: Conv;

  constructor(
    private readonly mx: MxBackend,
    readonly config: VaeConfig,
    params: Params,
  ) {
    const convAt = (prefix: string): Conv => {
      const weight = param(params, `${prefix}.weight`);
      // PyTorch [out, in, kh, kw] → MLX [out, kh, kw, in].
      return { weight: mx.transpose(weight, 0, 2, 3, 1), bias: param(params, `${prefix}.bias`), padding: (weight.shape[2]! - 1) / 2 };
    };
    const normAt = (prefix: string): Norm => ({ weight: param(params, `${prefix}.weight`), bias: param(params, `${prefix}.bias`) });
    const resnetAt = (prefix: string): Resnet => ({
      norm1: normAt(`${prefix}.norm1`),
      conv1: convAt(`${prefix}.conv1`),
      norm2: normAt(`${prefix}.norm2`),
      conv2: convAt(`${prefix}.conv2`),
      shortcut: params[`${prefix}.conv_shortcut.weight`] ? convAt(`${prefix}.conv_shortcut`) : undefined,
    });
    this.postQuant = config.use_post_quant_conv ? convAt('post_quant_conv') : undefined;
    this.convIn = convAt(`${D}.conv_in`);
    this.mid = [resnetAt(`${D}.mid_block.resnets.0`), resnetAt(`${D}.mid_block.resnets.1`)];
    if (config.mid_block_add_attention) {
      const a = `${D}.mid_block.attentions.0`;
      const lin = (n: string) => [param(params, `${a}.${n}.weight`).T, param(params, `${a}.${n}.bias`)];
      this.attention = { norm: normAt(`${a}.group_norm`), q: lin('to_q'), k: lin('to_k'), v: lin('to_v'), out: lin('to_out.0') };
    }
    const levels = config.block_out_channels.length;
    this.up = Array.from({ length: levels }, (_, i) => ({
      resnets: Array.from({ length: config.layers_per_block + 1 }, (_, j) => resnetAt(`${D}.up_blocks.${i}.resnets.${j}`)),
      upsample: i < levels - 1 ? convAt(`${D}.up_blocks.${i}.upsamplers.0.conv`) : undefined,
    }));
    this.normOut = normAt(`${D}.conv_norm_out`);
    this.convOut = convAt(`${D}.conv_out`);
    // The transposed convolution weights are new arrays: compute them once, not per decode.
    const all: MxArray[] = [];
    const collect = (c: Conv | undefined) => c && all.push(c.weight);
    collect(this.postQuant);
    collect(this.convIn);
    collect(this.convOut);
    for (const r of [...this.mid, ...this.up.flatMap((u) => u.resnets)]) [r.conv1, r.conv2, r.shortcut].forEach(collect);
    this.up.forEach((u) => collect(u.upsample));
    if (this.attention) all.push(...[this.attention.q, this.attention.k, this.attention.v, this.attention.out].map((pair) => pair[0]!));
    mx.eval(all);
  }

  /** Model-space latents → the decoder's input, as FLUX's pipeline scales them. */
  unscale(latents: MxArray): MxArray {
    return this.mx.add(this.mx.divide(latents, this.config.scaling_factor), this.config.shift_factor ?? 0);
  }

  /**
   * Model-space latents → image, compiled where the backend compiles. Compiled, the decoder's intermediates get
   * no JavaScript handles, so MLX frees each once used instead of holding them all until the next garbage
   * collection (see mlx/memory.ts).
   */
  compiledDecode(): (latents: MxArray) => MxArray {
    const decode = (latents: MxArray) => this.decode(this.unscale(latents));
    return this.mx.compile ? this.mx.compile(decode) : decode;
  }

  /**
   * Latents [B, C, h, w] (already unscaled) → image [B, 8h, 8w, 3] in about [-1, 1].
   * `afterStage` lets the caller evaluate stage by stage to bound memory.
   */
  decode(latents: MxArray, afterStage?: (x: MxArray) => void): MxArray {
    const { mx } = this;
    let x = mx.transpose(latents, 0, 2, 3, 1);
    if (this.postQuant) x = this.conv(x, this.postQuant);
    x = this.conv(x, this.convIn);
    x = this.resnet(x, this.mid[0]);
    if (this.attention) x = this.attend(x);
    x = this.resnet(x, this.mid[1]);
    afterStage?.(x);
    for (const block of this.up) {
      for (const r of block.resnets) x = this.resnet(x, r);
      if (block.upsample) x = this.conv(upsampleNearest2x(mx, x), block.upsample);
      afterStage?.(x);
    }
    x = silu(mx, this.groupNorm(x, this.normOut));
    return this.conv(x, this.convOut);
  }

  private conv(x: MxArray, c: Conv): MxArray {
    return this.mx.add(this.mx.conv2d(x, c.weight, 1, c.padding), c.bias);
  }

  private groupNorm(x: MxArray, n: Norm): MxArray {
    return groupNorm(this.mx, x, n.weight, n.bias, this.config.norm_num_groups);
  }

  private resnet(x: MxArray, r: Resnet): MxArray {
    const { mx } = this;
    let h = this.conv(silu(mx, this.groupNorm(x, r.norm1)), r.conv1);
    h = this.conv(silu(mx, this.groupNorm(h, r.norm2)), r.conv2);
    return mx.add(r.shortcut ? this.conv(x, r.shortcut) : x, h);
  }

  /** diffusers' single-head mid-block self-attention over all positions. */
  private attend(x: MxArray): MxArray {
    const { mx } = this;
    const a = this.attention!;
    const [b, h, w, c] = x.shape as [number, number, number, number];
    const tokens = mx.reshape(this.groupNorm(x, a.norm), b, 1, h * w, c);
    const project = (pair: MxArray[], t: MxArray) => mx.add(mx.matmul(t, pair[0]!), pair[1]!);
    const out = scaledDotProductAttention(mx, project(a.q, tokens), project(a.k, tokens), project(a.v, tokens), 1 / Math.sqrt(c));
    return mx.add(x, mx.reshape(project(a.out, out), b, h, w, c));
  }
}

function upsampleNearest2x(mx: MxBackend, x: MxArray): MxArray {
  const [b, h, w, c] = x.shape as [number, number, number, number];
  const spread = mx.broadcastTo(mx.reshape(x, b, h, 1, w, 1, c), [b, h, 2, w, 2, c]);
  return mx.reshape(spread, b, 2 * h, 2 * w, c);
}
