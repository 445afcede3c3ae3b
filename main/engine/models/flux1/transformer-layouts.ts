// How a FLUX.1 transformer is stored: BFL's single file (optionally under
// `model.diffusion_model.`) or diffusers' `transformer/` folder, and the key
// mapping from diffusers' names onto BFL's, which the engine computes with.
// Pure (no file access); runs in the engine.

import { z } from 'zod';
import { EngineError } from '../../../core/errors.ts';
import { FluxConfigSchema, fluxParamShapes, type FluxConfig } from '../flux/config.ts';

/** One BFL parameter built from stored tensors stacked along dim 0 (q, k, v fused), or taken as is. */
export interface MappedParam {
  /** BFL name. */
  readonly name: string;
  readonly parts: readonly { readonly stored: string; readonly rows: number }[];
  /** diffusers stores the final adaLN as (scale, shift); BFL as (shift, scale). */
  readonly swapHalves?: boolean;
}

export const BFL_PREFIX = 'model.diffusion_model.';

/** diffusers' FluxTransformer2DModel config.json fields the engine reads. */
export const DiffusersFluxConfigSchema = z.object({
  in_channels: z.number().int().positive(),
  num_layers: z.number().int().nonnegative(),
  num_single_layers: z.number().int().nonnegative(),
  attention_head_dim: z.number().int().positive(),
  num_attention_heads: z.number().int().positive(),
  joint_attention_dim: z.number().int().positive(),
  pooled_projection_dim: z.number().int().positive(),
  guidance_embeds: z.boolean(),
  axes_dims_rope: z.array(z.number().int().positive()).default([16, 56, 56]),
  patch_size: z.literal(1, { message: 'FLUX.1 packs 2×2 latents outside the transformer (patch_size 1)' }).default(1),
});

export function fluxConfigFromDiffusers(raw: z.infer<typeof DiffusersFluxConfigSchema>): FluxConfig {
  return FluxConfigSchema.parse({
    inChannels: raw.in_channels,
    hiddenSize: raw.attention_head_dim * raw.num_attention_heads,
    numHeads: raw.num_attention_heads,
    mlpRatio: 4,
    depth: raw.num_layers,
    depthSingle: raw.num_single_layers,
    axesDim: raw.axes_dims_rope,
    theta: 10000,
    contextInDim: raw.joint_attention_dim,
    vecInDim: raw.pooled_projection_dim,
    qkvBias: true,
    guidanceEmbed: raw.guidance_embeds,
  });
}

/**
 * FLUX's RoPE split for a head dimension: 128 → [16, 56, 56]; in general a
 * small time axis (2·round(d/16)) and two equal even image axes.
 */
export function ropeAxesFor(headDim: number): number[] {
  const first = 2 * Math.round(headDim / 16);
  const rest = (headDim - first) / 2;
  if (first <= 0 || !Number.isInteger(rest) || rest % 2 !== 0) {
    throw new EngineError('MODEL_INVALID', `A FLUX transformer with head dimension ${headDim} has no known RoPE split; FLUX.1 uses 128.`, { headDim });
  }
  return [first, rest, rest];
}

/**
 * A BFL checkpoint's configuration, read from its tensor shapes alone (BFL
 * files carry no config). `shape(name)` returns undefined when absent.
 */
export function fluxConfigFromBflShapes(shape: (name: string) => readonly number[] | undefined, names: Iterable<string>, file: string): FluxConfig {
  const need = (name: string): readonly number[] => {
    const s = shape(name);
    if (!s) throw new EngineError('MODEL_INVALID', `${file} has no "${name}": it is not a FLUX.1 transformer in BFL's layout.`, { file, name });
    return s;
  };
  const [hidden, inChannels] = need('img_in.weight') as [number, number];
  const headDim = need('double_blocks.0.img_attn.norm.query_norm.scale')[0]!;
  let depth = 0;
  let depthSingle = 0;
  for (const name of names) {
    const d = /^double_blocks\.(\d+)\./.exec(name);
    if (d) depth = Math.max(depth, Number(d[1]) + 1);
    const s = /^single_blocks\.(\d+)\./.exec(name);
    if (s) depthSingle = Math.max(depthSingle, Number(s[1]) + 1);
  }
  const mlp = need('double_blocks.0.img_mlp.0.weight')[0]!;
  return FluxConfigSchema.parse({
    inChannels,
    hiddenSize: hidden,
    numHeads: hidden / headDim,
    mlpRatio: mlp / hidden,
    depth,
    depthSingle,
    axesDim: ropeAxesFor(headDim),
    theta: 10000,
    contextInDim: need('txt_in.weight')[1]!,
    vecInDim: need('vector_in.in_layer.weight')[1]!,
    qkvBias: shape('double_blocks.0.img_attn.qkv.bias') !== undefined,
    guidanceEmbed: shape('guidance_in.in_layer.weight') !== undefined,
  });
}

/** Every BFL parameter with the diffusers tensors it is built from. */
export function diffusersFluxMapping(config: FluxConfig): MappedParam[] {
  const h = config.hiddenSize;
  const mlp = Math.round(h * config.mlpRatio);
  const shapes = fluxParamShapes(config);
  const mapped: MappedParam[] = [];
  const add = (name: string, stored: string | Array<[string, number]>, swapHalves = false) => {
    if (!(name in shapes)) return;
    const rows = shapes[name]![0]!;
    const parts = typeof stored === 'string' ? [{ stored, rows }] : stored.map(([s, r]) => ({ stored: s, rows: r }));
    mapped.push({ name, parts, ...(swapHalves ? { swapHalves } : {}) });
  };
  const both = (bfl: string, diffusers: string, swap = false) => {
    add(`${bfl}.weight`, `${diffusers}.weight`, swap);
    add(`${bfl}.bias`, `${diffusers}.bias`, swap);
  };
  const fused = (bfl: string, parts: Array<[string, number]>) => {
    add(`${bfl}.weight`, parts.map(([s, r]) => [`${s}.weight`, r] as [string, number]));
    add(`${bfl}.bias`, parts.map(([s, r]) => [`${s}.bias`, r] as [string, number]));
  };
  both('img_in', 'x_embedder');
  both('txt_in', 'context_embedder');
  both('time_in.in_layer', 'time_text_embed.timestep_embedder.linear_1');
  both('time_in.out_layer', 'time_text_embed.timestep_embedder.linear_2');
  both('vector_in.in_layer', 'time_text_embed.text_embedder.linear_1');
  both('vector_in.out_layer', 'time_text_embed.text_embedder.linear_2');
  both('guidance_in.in_layer', 'time_text_embed.guidance_embedder.linear_1');
  both('guidance_in.out_layer', 'time_text_embed.guidance_embedder.linear_2');
  for (let i = 0; i < config.depth; i++) {
    const b = `double_blocks.${i}`;
    const d = `transformer_blocks.${i}`;
    both(`${b}.img_mod.lin`, `${d}.norm1.linear`);
    both(`${b}.txt_mod.lin`, `${d}.norm1_context.linear`);
    fused(`${b}.img_attn.qkv`, [[`${d}.attn.to_q`, h], [`${d}.attn.to_k`, h], [`${d}.attn.to_v`, h]]);
    fused(`${b}.txt_attn.qkv`, [[`${d}.attn.add_q_proj`, h], [`${d}.attn.add_k_proj`, h], [`${d}.attn.add_v_proj`, h]]);
    add(`${b}.img_attn.norm.query_norm.scale`, `${d}.attn.norm_q.weight`);
    add(`${b}.img_attn.norm.key_norm.scale`, `${d}.attn.norm_k.weight`);
    add(`${b}.txt_attn.norm.query_norm.scale`, `${d}.attn.norm_added_q.weight`);
    add(`${b}.txt_attn.norm.key_norm.scale`, `${d}.attn.norm_added_k.weight`);
    both(`${b}.img_attn.proj`, `${d}.attn.to_out.0`);
    both(`${b}.txt_attn.proj`, `${d}.attn.to_add_out`);
    both(`${b}.img_mlp.0`, `${d}.ff.net.0.proj`);
    both(`${b}.img_mlp.2`, `${d}.ff.net.2`);
    both(`${b}.txt_mlp.0`, `${d}.ff_context.net.0.proj`);
    both(`${b}.txt_mlp.2`, `${d}.ff_context.net.2`);
  }
  for (let i = 0; i < config.depthSingle; i++) {
    const b = `single_blocks.${i}`;
    const d = `single_transformer_blocks.${i}`;
    fused(`${b}.linear1`, [[`${d}.attn.to_q`, h], [`${d}.attn.to_k`, h], [`${d}.attn.to_v`, h], [`${d}.proj_mlp`, mlp]]);
    both(`${b}.linear2`, `${d}.proj_out`);
    add(`${b}.norm.query_norm.scale`, `${d}.attn.norm_q.weight`);
    add(`${b}.norm.key_norm.scale`, `${d}.attn.norm_k.weight`);
    both(`${b}.modulation.lin`, `${d}.norm.linear`);
  }
  both('final_layer.linear', 'proj_out');
  both('final_layer.adaLN_modulation.1', 'norm_out.linear', true);
  return mapped;
}

/** The diffusers tensor shapes a configuration implies, derived from the mapping. */
export function diffusersFluxParamShapes(config: FluxConfig): Record<string, number[]> {
  const bfl = fluxParamShapes(config);
  const shapes: Record<string, number[]> = {};
  for (const { name, parts } of diffusersFluxMapping(config)) {
    const tail = bfl[name]!.slice(1);
    for (const { stored, rows } of parts) shapes[stored] = [rows, ...tail];
  }
  return shapes;
}
