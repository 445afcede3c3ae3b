// Estimates the peak memory of generating with a FLUX.2 klein folder at a given
// quantization and size, from tensor shapes alone, for the refusal before
// loading: transformer and decoder resident, Qwen3 loaded per encoding (up to
// the last hidden state klein stacks) and freed. The phases are FLUX.1's and
// Z-Image's shared ones. Pure.

import type { Quantization } from '../../io/materialize.ts';
import { combinePhases, jointStreamBytes, leastDecodeBytes, paramsBytes, type MemoryEstimate, type SizeInput } from '../memory-estimate.ts';
import { qwen3ParamShapes, type Qwen3Config } from '../text/qwen3.ts';
import { KLEIN_LAYERS } from '../text/qwen3-text-encoder.ts';
import { qwen3PhaseBytes } from '../z-image/memory.ts';
import { flux2ParamShapes, flux2Width, type Flux2Config } from './config.ts';
import { flux2DecoderConfig, flux2PixelsPerToken, flux2VaeDecodeParamShapes, type Flux2VaeConfig } from './vae.ts';

/** The pipeline's max_sequence_length: every prompt is padded to it. */
export const KLEIN_TEXT_TOKENS = 512;

export interface KleinConfigs {
  readonly transformer: Flux2Config;
  readonly vae: Flux2VaeConfig;
  readonly textEncoder: Qwen3Config;
}

export function estimateKleinMemory(configs: KleinConfigs, quantization: Quantization, size: SizeInput): MemoryEstimate {
  const config = configs.transformer;
  const width = flux2Width(config);
  const mlp = Math.floor(width * config.mlp_ratio);
  const transformerShapes = flux2ParamShapes(config);
  const vaeBytes = paramsBytes(flux2VaeDecodeParamShapes(configs.vae), 'none');
  // Only the layers up to the last stacked hidden state are ever loaded.
  const textEncoderBytes = paramsBytes(qwen3ParamShapes(configs.textEncoder, KLEIN_LAYERS[KLEIN_LAYERS.length - 1]), quantization);

  // The CFG branches run as one batch; a single block's fused projection is
  // q, k, v and SwiGLU's two halves wide.
  const perSide = flux2PixelsPerToken(configs.vae);
  const tokens = size.textTokens + (size.width / perSide) * (size.height / perSide);
  const denoiseBytes = jointStreamBytes({ batch: size.batch, tokens, width, fusedWidth: 3 * width + 2 * mlp, heads: config.num_attention_heads });

  const textPhaseBytes = qwen3PhaseBytes(textEncoderBytes, configs.textEncoder.hidden_size, size);
  const decodeBytes = leastDecodeBytes(flux2DecoderConfig(configs.vae), size.width, size.height);
  return combinePhases(quantization, size, { transformerShapes, vaeBytes, textEncoderBytes, denoiseBytes, textPhaseBytes, decodeBytes });
}
