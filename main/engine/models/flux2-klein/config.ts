// FLUX.2 klein's transformer dimensions, read from diffusers'
// Flux2Transformer2DModel config.json (defaults are diffusers'), checked for
// the combinations the engine's transformer can run. Pure.

import { z } from 'zod';
import type { ParamShapes } from '../layers.ts';

/** The fields of diffusers' Flux2Transformer2DModel config.json the engine reads. */
export const Flux2ConfigSchema = z
  .object({
    patch_size: z.literal(1, { message: 'FLUX.2 packs its latents itself: patch_size must be 1' }).default(1),
    in_channels: z.number().int().positive().default(128),
    out_channels: z.number().int().positive().nullable().default(null),
    num_layers: z.number().int().nonnegative().default(8),
    num_single_layers: z.number().int().nonnegative().default(48),
    attention_head_dim: z.number().int().positive().multipleOf(2).default(128),
    num_attention_heads: z.number().int().positive().default(48),
    joint_attention_dim: z.number().int().positive().default(15360),
    timestep_guidance_channels: z.number().int().positive().multipleOf(2).default(256),
    mlp_ratio: z.number().positive().default(3),
    axes_dims_rope: z.array(z.number().int().positive().multipleOf(2)).min(1).default([32, 32, 32, 32]),
    rope_theta: z.number().positive().default(2000),
    eps: z.number().positive().default(1e-6),
    guidance_embeds: z.boolean().default(true),
  })
  .refine((c) => c.axes_dims_rope.reduce((a, b) => a + b, 0) === c.attention_head_dim, {
    message: 'axes_dims_rope must sum to attention_head_dim',
  });

export type Flux2Config = z.infer<typeof Flux2ConfigSchema>;

/** Hidden width: heads × head dimension. */
export function flux2Width(config: Flux2Config): number {
  return config.num_attention_heads * config.attention_head_dim;
}

/** Every transformer parameter in diffusers' names and PyTorch layouts (no biases anywhere in FLUX.2). */
export function flux2ParamShapes(config: Flux2Config): ParamShapes {
  const width = flux2Width(config);
  const mlp = Math.floor(width * config.mlp_ratio);
  const head = config.attention_head_dim;
  const out = config.out_channels ?? config.in_channels;
  const shapes: Record<string, number[]> = {};
  const lin = (name: string, outDim: number, inDim: number) => (shapes[`${name}.weight`] = [outDim, inDim]);
  const embedders = config.guidance_embeds ? ['timestep_embedder', 'guidance_embedder'] : ['timestep_embedder'];
  for (const e of embedders) {
    lin(`time_guidance_embed.${e}.linear_1`, width, config.timestep_guidance_channels);
    lin(`time_guidance_embed.${e}.linear_2`, width, width);
  }
  lin('double_stream_modulation_img.linear', 6 * width, width);
  lin('double_stream_modulation_txt.linear', 6 * width, width);
  lin('single_stream_modulation.linear', 3 * width, width);
  lin('x_embedder', width, config.in_channels);
  lin('context_embedder', width, config.joint_attention_dim);
  lin('norm_out.linear', 2 * width, width);
  lin('proj_out', out, width);
  for (let i = 0; i < config.num_layers; i++) {
    const p = `transformer_blocks.${i}`;
    for (const n of ['to_q', 'to_k', 'to_v', 'to_out.0', 'add_q_proj', 'add_k_proj', 'add_v_proj', 'to_add_out']) lin(`${p}.attn.${n}`, width, width);
    for (const n of ['norm_q', 'norm_k', 'norm_added_q', 'norm_added_k']) shapes[`${p}.attn.${n}.weight`] = [head];
    for (const ff of ['ff', 'ff_context']) {
      lin(`${p}.${ff}.linear_in`, 2 * mlp, width);
      lin(`${p}.${ff}.linear_out`, width, mlp);
    }
  }
  for (let i = 0; i < config.num_single_layers; i++) {
    const p = `single_transformer_blocks.${i}.attn`;
    lin(`${p}.to_qkv_mlp_proj`, 3 * width + 2 * mlp, width);
    lin(`${p}.to_out`, width, width + mlp);
    shapes[`${p}.norm_q.weight`] = [head];
    shapes[`${p}.norm_k.weight`] = [head];
  }
  return shapes;
}

/** klein-4B's transformer/config.json (black-forest-labs/FLUX.2-klein-4B and -base-4B). */
export const KLEIN_4B: Flux2Config = Flux2ConfigSchema.parse({ num_layers: 5, num_single_layers: 20, num_attention_heads: 24, joint_attention_dim: 7680, guidance_embeds: false });
/** klein-9B's (FLUX.2-klein-9B and -base-9B): Qwen3-8B's 3 × 4096 features. */
export const KLEIN_9B: Flux2Config = Flux2ConfigSchema.parse({ num_layers: 8, num_single_layers: 24, num_attention_heads: 32, joint_attention_dim: 12288, guidance_embeds: false });
