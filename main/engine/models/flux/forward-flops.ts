// How much arithmetic one FLUX transformer forward is, part by part: bench:engine's GFLOP/s, and
// what First-Block Cache's probe costs of a forward (the share the sampler counts a reused step at). Pure.

import type { FluxConfig } from './config.ts';

/** Multiply-adds ×2 of one forward's matmuls and attention at batch 1, by the part that runs them. */
export interface ForwardFlops {
  /** img_in and txt_in: every token brought to the transformer's width. */
  readonly embedders: number;
  /** One double-stream block, attention and its modulation included. */
  readonly doubleBlock: number;
  /** One single-stream block, attention and its modulation included. */
  readonly singleBlock: number;
  /** The final layer's projection of the image tokens back to their channels. */
  readonly finalLayer: number;
  /** All of them: embedders, every block, the final layer. */
  readonly total: number;
}

/**
 * The FLOPs that matter, per part. Elementwise ops and the per-image embedders (timestep, guidance,
 * pooled text, the final layer's modulation: one vector each, not one per token) are not counted:
 * they are about 0.03% of a forward on the built-in model at 64 px, about a millionth on FLUX.1 at 1024².
 */
export function forwardFlopsByPart(config: FluxConfig, imageTokens: number, textTokens: number): ForwardFlops {
  const h = config.hiddenSize;
  const inner = Math.round(h * config.mlpRatio);
  const joint = imageTokens + textTokens;
  const attention = 4 * joint * joint * h;
  const streamPerToken = 2 * h * (3 * h) + 2 * h * h + 2 * 2 * h * inner;
  const doubleBlock = joint * streamPerToken + attention + 2 * 2 * h * 6 * h;
  const singleBlock = joint * (2 * h * (3 * h + inner) + 2 * (h + inner) * h) + attention + 2 * h * 3 * h;
  const embedders = 2 * imageTokens * config.inChannels * h + 2 * textTokens * config.contextInDim * h;
  const finalLayer = 2 * imageTokens * h * config.inChannels;
  const total = embedders + config.depth * doubleBlock + config.depthSingle * singleBlock + finalLayer;
  return { embedders, doubleBlock, singleBlock, finalLayer, total };
}

/** One forward's FLOPs for `batch` images (CFG's two branches are a batch of 2). */
export function forwardFlops(config: FluxConfig, imageTokens: number, textTokens: number, batch: number): number {
  return batch * forwardFlopsByPart(config, imageTokens, textTokens).total;
}

/**
 * What a step First-Block Cache reuses costs, as a share of a whole forward. Everything that runs on
 * such a step is counted: the embedders (the step's new input has to reach the first block), the
 * first block (whose residual decides), and the final layer (the velocity is the final layer on the
 * first block's output plus the cached residual of the rest). The share does not depend on the
 * batch: under CFG the probe runs both branches batched, as the forward does.
 */
export function firstBlockShare(config: FluxConfig, imageTokens: number, textTokens: number): number {
  const flops = forwardFlopsByPart(config, imageTokens, textTokens);
  if (config.depth + config.depthSingle === 0) throw new Error('A transformer without blocks has no first block to run.');
  const firstBlock = config.depth > 0 ? flops.doubleBlock : flops.singleBlock;
  return (flops.embedders + firstBlock + flops.finalLayer) / flops.total;
}
