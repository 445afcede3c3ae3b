// The FLUX transformer's dimensions and the parameter layout they imply, named
// exactly as BFL's public checkpoints name them. Runs in the engine.

import { z } from 'zod';
import type { ParamShapes } from '../layers.ts';

export const FluxConfigSchema = z
  .object({
    /** Channels of one packed input token: patch² × image (or latent) channels. */
    inChannels: z.number().int().positive(),
    hiddenSize: z.number().int().positive(),
    numHeads: z.number().int().positive(),
    mlpRatio: z.number().positive(),
    /** Double-stream blocks (`double_blocks.N`). */
    depth: z.number().int().nonnegative(),
    /** Single-stream blocks (`single_blocks.N`). */
    depthSingle: z.number().int().nonnegative(),
    /** RoPE frequency bands per position axis; they sum to the head dimension. */
    axesDim: z.array(z.number().int().positive().multipleOf(2)).min(1),
    theta: z.number().positive(),
    /** Width of the text encoder's per-token output (`txt_in`). */
    contextInDim: z.number().int().positive(),
    /** Width of the pooled text vector (`vector_in`). */
    vecInDim: z.number().int().positive(),
    qkvBias: z.boolean(),
    /** FLUX-dev style distilled guidance (`guidance_in`). */
    guidanceEmbed: z.boolean(),
  })
  .refine((c) => c.hiddenSize % c.numHeads === 0, { message: 'hiddenSize must be divisible by numHeads' })
  .refine((c) => c.axesDim.reduce((a, b) => a + b, 0) === c.hiddenSize / c.numHeads, {
    message: 'axesDim must sum to the head dimension (hiddenSize / numHeads)',
  });

export type FluxConfig = z.infer<typeof FluxConfigSchema>;

/** FLUX.1's transformer at full size (dev; schnell has guidanceEmbed false). */
export const FLUX1_DEV: FluxConfig = {
  inChannels: 64,
  hiddenSize: 3072,
  numHeads: 24,
  mlpRatio: 4,
  depth: 19,
  depthSingle: 38,
  axesDim: [16, 56, 56],
  theta: 10000,
  contextInDim: 4096,
  vecInDim: 768,
  qkvBias: true,
  guidanceEmbed: true,
};

/** Width of the sinusoidal timestep / guidance embedding FLUX feeds `time_in`. */
export const TIME_EMBED_DIM = 256;

export function mlpHidden(config: FluxConfig): number {
  return Math.round(config.hiddenSize * config.mlpRatio);
}

function addLinear(shapes: Record<string, number[]>, prefix: string, inDim: number, outDim: number, bias = true): void {
  shapes[`${prefix}.weight`] = [outDim, inDim];
  if (bias) shapes[`${prefix}.bias`] = [outDim];
}

/** Every parameter of the transformer with its shape, in BFL's names. */
export function fluxParamShapes(config: FluxConfig): ParamShapes {
  const h = config.hiddenSize;
  const mlp = mlpHidden(config);
  const headDim = h / config.numHeads;
  const shapes: Record<string, number[]> = {};
  addLinear(shapes, 'img_in', config.inChannels, h);
  addLinear(shapes, 'txt_in', config.contextInDim, h);
  addLinear(shapes, 'time_in.in_layer', TIME_EMBED_DIM, h);
  addLinear(shapes, 'time_in.out_layer', h, h);
  addLinear(shapes, 'vector_in.in_layer', config.vecInDim, h);
  addLinear(shapes, 'vector_in.out_layer', h, h);
  if (config.guidanceEmbed) {
    addLinear(shapes, 'guidance_in.in_layer', TIME_EMBED_DIM, h);
    addLinear(shapes, 'guidance_in.out_layer', h, h);
  }
  for (let i = 0; i < config.depth; i++) {
    for (const stream of ['img', 'txt']) {
      const p = `double_blocks.${i}.${stream}`;
      addLinear(shapes, `${p}_mod.lin`, h, 6 * h);
      addLinear(shapes, `${p}_attn.qkv`, h, 3 * h, config.qkvBias);
      shapes[`${p}_attn.norm.query_norm.scale`] = [headDim];
      shapes[`${p}_attn.norm.key_norm.scale`] = [headDim];
      addLinear(shapes, `${p}_attn.proj`, h, h);
      addLinear(shapes, `${p}_mlp.0`, h, mlp);
      addLinear(shapes, `${p}_mlp.2`, mlp, h);
    }
  }
  for (let i = 0; i < config.depthSingle; i++) {
    const p = `single_blocks.${i}`;
    addLinear(shapes, `${p}.linear1`, h, 3 * h + mlp);
    addLinear(shapes, `${p}.linear2`, h + mlp, h);
    shapes[`${p}.norm.query_norm.scale`] = [headDim];
    shapes[`${p}.norm.key_norm.scale`] = [headDim];
    addLinear(shapes, `${p}.modulation.lin`, h, 3 * h);
  }
  addLinear(shapes, 'final_layer.linear', h, config.inChannels);
  addLinear(shapes, 'final_layer.adaLN_modulation.1', h, 2 * h);
  return shapes;
}
