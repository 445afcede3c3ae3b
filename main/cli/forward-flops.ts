// How much arithmetic one FLUX transformer forward is, for benchmarks that report GFLOP/s. Pure.

import type { FluxConfig } from '../engine/models/flux/config.ts';

/** Multiply-adds ×2 of one forward's matmuls and attention (the FLOPs that matter; elementwise ops are not counted). */
export function forwardFlops(config: FluxConfig, imageTokens: number, textTokens: number, batch: number): number {
  const h = config.hiddenSize;
  const inner = Math.round(h * config.mlpRatio);
  const joint = imageTokens + textTokens;
  const attention = 4 * joint * joint * h;
  const streamPerToken = 2 * h * (3 * h) + 2 * h * h + 2 * 2 * h * inner;
  const double = joint * streamPerToken + attention + 2 * 2 * h * 6 * h;
  const single = joint * (2 * h * (3 * h + inner) + 2 * (h + inner) * h) + attention + 2 * h * 3 * h;
  const embed = 2 * imageTokens * config.inChannels * h + 2 * textTokens * config.contextInDim * h + 2 * imageTokens * h * config.inChannels;
  return batch * (config.depth * double + config.depthSingle * single + embed);
}
