// FLUX.2 klein's transformer dimensions, read from diffusers'
// Flux2Transformer2DModel config.json (defaults are diffusers'), checked for
// the combinations the engine's transformer can run. Pure.

import { z } from 'zod';

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
