// Z-Image's transformer dimensions (diffusers' ZImageTransformer2DModel
// config.json, or read from a ComfyUI single file's shapes) and the parameter
// layout they imply. The engine computes with the original release's names
// (ComfyUI's, with q/k/v fused); diffusers' names map onto them. Pure.

import { z } from 'zod';
import { EngineError } from '../../../core/errors.ts';
import type { ParamShapes } from '../layers.ts';

/** The fields of diffusers' ZImageTransformer2DModel config.json the engine reads; defaults are diffusers'. */
export const DiffusersZImageConfigSchema = z.object({
  all_patch_size: z.array(z.number().int().positive()).default([2]),
  all_f_patch_size: z.array(z.number().int().positive()).default([1]),
  in_channels: z.number().int().positive().default(16),
  dim: z.number().int().positive().default(3840),
  n_layers: z.number().int().nonnegative().default(30),
  n_refiner_layers: z.number().int().nonnegative().default(2),
  n_heads: z.number().int().positive().default(30),
  norm_eps: z.number().positive().default(1e-5),
  qk_norm: z.literal(true, { message: 'Z-Image normalises queries and keys (qk_norm true)' }).default(true),
  cap_feat_dim: z.number().int().positive().default(2560),
  siglip_feat_dim: z.null({ message: 'the Omni variant (siglip_feat_dim) is not supported; use Z-Image or Z-Image-Turbo' }).optional(),
  rope_theta: z.number().positive().default(256),
  t_scale: z.number().positive().default(1000),
  axes_dims: z.array(z.number().int().positive().multipleOf(2)).min(1).default([32, 48, 48]),
  axes_lens: z.array(z.number().int().positive()).min(1).default([1024, 512, 512]),
});

export const ZImageConfigSchema = z
  .object({
    inChannels: z.number().int().positive(),
    patch: z.number().int().positive(),
    dim: z.number().int().positive(),
    layers: z.number().int().nonnegative(),
    refinerLayers: z.number().int().nonnegative(),
    heads: z.number().int().positive(),
    normEps: z.number().positive(),
    capFeatDim: z.number().int().positive(),
    ropeTheta: z.number().positive(),
    tScale: z.number().positive(),
    axesDims: z.array(z.number().int().positive().multipleOf(2)).min(1),
    axesLens: z.array(z.number().int().positive()).min(1),
    /** Width of the timestep MLP's middle layer (1024 in every release). */
    timeMid: z.number().int().positive(),
  })
  .refine((c) => c.dim % c.heads === 0, { message: 'dim must be divisible by n_heads' })
  .refine((c) => c.axesDims.reduce((a, b) => a + b, 0) === c.dim / c.heads, { message: 'axes_dims must sum to the head dimension (dim / n_heads)' })
  .refine((c) => c.axesDims.length === c.axesLens.length, { message: 'axes_dims and axes_lens must have the same length' });

export type ZImageConfig = z.infer<typeof ZImageConfigSchema>;

/** Captions and images are each padded to a multiple of this many tokens (diffusers' SEQ_MULTI_OF). */
export const SEQ_MULTIPLE = 32;
/** The adaLN conditioning width cap (diffusers' ADALN_EMBED_DIM) and the sinusoidal embedding's width. */
export const ADALN_EMBED_DIM = 256;
/** The timestep MLP's middle width, fixed in diffusers' TimestepEmbedder call. */
export const TIME_MID = 1024;
/** Attention's q/k RMSNorm epsilon, fixed in diffusers' Attention (not norm_eps). */
export const QK_NORM_EPS = 1e-5;

/** Z-Image-Turbo's and Z-Image's transformer at full size (6.15B parameters). */
export const Z_IMAGE_FULL: ZImageConfig = {
  inChannels: 16,
  patch: 2,
  dim: 3840,
  layers: 30,
  refinerLayers: 2,
  heads: 30,
  normEps: 1e-5,
  capFeatDim: 2560,
  ropeTheta: 256,
  tScale: 1000,
  axesDims: [32, 48, 48],
  axesLens: [1024, 512, 512],
  timeMid: TIME_MID,
};

export function zImageConfigFromDiffusers(raw: z.infer<typeof DiffusersZImageConfigSchema>, file: string): ZImageConfig {
  if (raw.all_patch_size.length !== 1 || raw.all_f_patch_size.join() !== '1') {
    throw new EngineError('MODEL_INVALID', `${file}: only one spatial patch size and frame patch 1 are supported (Z-Image's 2 and 1), got all_patch_size ${JSON.stringify(raw.all_patch_size)}, all_f_patch_size ${JSON.stringify(raw.all_f_patch_size)}.`, { file });
  }
  const parsed = ZImageConfigSchema.safeParse({
    inChannels: raw.in_channels,
    patch: raw.all_patch_size[0],
    dim: raw.dim,
    layers: raw.n_layers,
    refinerLayers: raw.n_refiner_layers,
    heads: raw.n_heads,
    normEps: raw.norm_eps,
    capFeatDim: raw.cap_feat_dim,
    ropeTheta: raw.rope_theta,
    tScale: raw.t_scale,
    axesDims: raw.axes_dims,
    axesLens: raw.axes_lens,
    timeMid: TIME_MID,
  });
  if (!parsed.success) {
    throw new EngineError('MODEL_INVALID', `${file} does not describe a usable Z-Image transformer: ${parsed.error.issues.map((i) => i.message).join('; ')}.`, { file });
  }
  return parsed.data;
}

export function adalnDim(config: ZImageConfig): number {
  return Math.min(config.dim, ADALN_EMBED_DIM);
}

/** SwiGLU width: diffusers' int(dim / 3 · 8). */
export function ffnHidden(config: ZImageConfig): number {
  return Math.floor((config.dim / 3) * 8);
}

export function patchFeatures(config: ZImageConfig): number {
  return config.patch * config.patch * config.inChannels;
}

function addLinear(shapes: Record<string, number[]>, prefix: string, inDim: number, outDim: number, bias: boolean): void {
  shapes[`${prefix}.weight`] = [outDim, inDim];
  if (bias) shapes[`${prefix}.bias`] = [outDim];
}

function addBlock(shapes: Record<string, number[]>, prefix: string, config: ZImageConfig, modulated: boolean): void {
  const { dim } = config;
  const headDim = dim / config.heads;
  addLinear(shapes, `${prefix}.attention.qkv`, dim, 3 * dim, false);
  addLinear(shapes, `${prefix}.attention.out`, dim, dim, false);
  shapes[`${prefix}.attention.q_norm.weight`] = [headDim];
  shapes[`${prefix}.attention.k_norm.weight`] = [headDim];
  for (const norm of ['attention_norm1', 'attention_norm2', 'ffn_norm1', 'ffn_norm2']) shapes[`${prefix}.${norm}.weight`] = [dim];
  addLinear(shapes, `${prefix}.feed_forward.w1`, dim, ffnHidden(config), false);
  addLinear(shapes, `${prefix}.feed_forward.w2`, ffnHidden(config), dim, false);
  addLinear(shapes, `${prefix}.feed_forward.w3`, dim, ffnHidden(config), false);
  if (modulated) addLinear(shapes, `${prefix}.adaLN_modulation.0`, adalnDim(config), 4 * dim, true);
}

/** Every parameter under the original release's names (ComfyUI's single file, without its prefix). */
export function zImageParamShapes(config: ZImageConfig): ParamShapes {
  const shapes: Record<string, number[]> = {};
  const { dim } = config;
  addLinear(shapes, 'x_embedder', patchFeatures(config), dim, true);
  addLinear(shapes, 'final_layer.linear', dim, patchFeatures(config), true);
  addLinear(shapes, 'final_layer.adaLN_modulation.1', adalnDim(config), dim, true);
  addLinear(shapes, 't_embedder.mlp.0', ADALN_EMBED_DIM, config.timeMid, true);
  addLinear(shapes, 't_embedder.mlp.2', config.timeMid, adalnDim(config), true);
  shapes['cap_embedder.0.weight'] = [config.capFeatDim];
  addLinear(shapes, 'cap_embedder.1', config.capFeatDim, dim, true);
  shapes['x_pad_token'] = [1, dim];
  shapes['cap_pad_token'] = [1, dim];
  for (let i = 0; i < config.refinerLayers; i++) {
    addBlock(shapes, `noise_refiner.${i}`, config, true);
    addBlock(shapes, `context_refiner.${i}`, config, false);
  }
  for (let i = 0; i < config.layers; i++) addBlock(shapes, `layers.${i}`, config, true);
  return shapes;
}

/** One engine parameter built from stored tensors stacked along dim 0 (q, k, v fused), or taken as is. */
export interface MappedParam {
  readonly name: string;
  readonly parts: readonly { readonly stored: string; readonly rows: number }[];
}

/** diffusers' name for one engine name (the fused qkv aside). */
function diffusersName(name: string, config: ZImageConfig): string {
  const key = `${config.patch}-1`;
  return name
    .replace(/^x_embedder\./, `all_x_embedder.${key}.`)
    .replace(/^final_layer\./, `all_final_layer.${key}.`)
    .replace(/\.attention\.out\./, '.attention.to_out.0.')
    .replace(/\.attention\.q_norm\./, '.attention.norm_q.')
    .replace(/\.attention\.k_norm\./, '.attention.norm_k.');
}

/** Every engine parameter with the diffusers tensors it is built from. */
export function diffusersZImageMapping(config: ZImageConfig): MappedParam[] {
  return Object.entries(zImageParamShapes(config)).map(([name, shape]) => {
    if (name.endsWith('.attention.qkv.weight')) {
      const base = name.slice(0, -'qkv.weight'.length);
      return { name, parts: ['to_q', 'to_k', 'to_v'].map((p) => ({ stored: `${base}${p}.weight`, rows: config.dim })) };
    }
    return { name, parts: [{ stored: diffusersName(name, config), rows: shape[0]! }] };
  });
}

/** The diffusers tensor shapes a configuration implies. */
export function diffusersZImageParamShapes(config: ZImageConfig): Record<string, number[]> {
  const engine = zImageParamShapes(config);
  const shapes: Record<string, number[]> = {};
  for (const { name, parts } of diffusersZImageMapping(config)) {
    const tail = engine[name]!.slice(1);
    for (const { stored, rows } of parts) shapes[stored] = [rows, ...tail];
  }
  return shapes;
}

/** ComfyUI's single files may carry this prefix (diffusers' converter strips it). */
export const COMFY_PREFIX = 'model.diffusion_model.';

/**
 * A ComfyUI single file's configuration from its shapes alone (the file has no
 * config): widths from the embedders, heads from the q-norm width, RoPE and
 * epsilon as in every Z-Image release.
 */
export function zImageConfigFromShapes(shape: (name: string) => readonly number[] | undefined, names: Iterable<string>, file: string): ZImageConfig {
  const need = (name: string): readonly number[] => {
    const s = shape(name);
    if (!s) throw new EngineError('MODEL_INVALID', `${file} has no "${name}": it is not a Z-Image transformer in ComfyUI's layout.`, { file, name });
    return s;
  };
  const [dim, features] = need('x_embedder.weight') as [number, number];
  const headDim = need('layers.0.attention.q_norm.weight')[0]!;
  let layers = 0;
  let refinerLayers = 0;
  for (const name of names) {
    const m = /^layers\.(\d+)\./.exec(name);
    if (m) layers = Math.max(layers, Number(m[1]) + 1);
    const r = /^noise_refiner\.(\d+)\./.exec(name);
    if (r) refinerLayers = Math.max(refinerLayers, Number(r[1]) + 1);
  }
  const inChannels = Z_IMAGE_FULL.inChannels;
  const patch = Math.round(Math.sqrt(features / inChannels));
  const heads = dim / headDim;
  // The full-size RoPE split for the full-size head; other widths scale it.
  const axesDims = headDim === 128 ? Z_IMAGE_FULL.axesDims : ropeAxesFor(headDim, file);
  const parsed = ZImageConfigSchema.safeParse({
    ...Z_IMAGE_FULL,
    inChannels,
    patch,
    dim,
    layers,
    refinerLayers,
    heads,
    capFeatDim: need('cap_embedder.0.weight')[0]!,
    timeMid: need('t_embedder.mlp.0.weight')[0]!,
    axesDims,
  });
  if (!parsed.success || patch * patch * inChannels !== features) {
    throw new EngineError('MODEL_INVALID', `${file} has Z-Image's keys but shapes no Z-Image has (x_embedder [${dim}, ${features}], head width ${headDim}).`, { file });
  }
  return parsed.data;
}

/** Z-Image's 32/48/48 split of a 128-wide head, scaled to another even head width. */
function ropeAxesFor(headDim: number, file: string): number[] {
  const first = 2 * Math.round(headDim / 8);
  const rest = (headDim - first) / 2;
  if (!Number.isInteger(rest) || rest % 2 !== 0 || first <= 0) {
    throw new EngineError('MODEL_INVALID', `${file}: a Z-Image transformer with head width ${headDim} has no known RoPE split; Z-Image uses 128.`, { file });
  }
  return [first, rest, rest];
}
