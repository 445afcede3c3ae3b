// Estimates the peak memory of generating with a FLUX.1 folder at a given
// quantization and size, from tensor shapes alone. The figures follow how the engine holds things: transformer and
// autoencoder resident, text encoders loaded for encoding and freed, one
// layer's float copy alive while quantizing. Pure.

import type { Quantization } from '../../io/materialize.ts';
import { fluxParamShapes } from '../flux/config.ts';
import type { FluxConfig } from '../flux/config.ts';
import { combinePhases, F32, jointStreamBytes, leastDecodeBytes, paramsBytes, type MemoryEstimate, type SizeInput } from '../memory-estimate.ts';
import { clipParamShapes, type ClipTextConfig } from '../text/clip.ts';
import { t5ParamShapes, type T5Config } from '../text/t5.ts';
import { vaeDecoderParamShapes, type VaeConfig } from '../vae/decoder.ts';

/** What the estimate needs: the four parts' configurations. */
export interface Flux1Configs {
  readonly transformer: FluxConfig;
  readonly t5: T5Config;
  readonly clip: ClipTextConfig;
  readonly vae: VaeConfig;
}

export function estimateFlux1Memory(configs: Flux1Configs, quantization: Quantization, size: SizeInput): MemoryEstimate {
  const config = configs.transformer;
  const h = config.hiddenSize;
  const mlp = Math.round(h * config.mlpRatio);
  const transformerShapes = fluxParamShapes(config);
  const vaeBytes = paramsBytes(vaeDecoderParamShapes(configs.vae), 'none');
  const t5Bytes = paramsBytes(t5ParamShapes(configs.t5), quantization);
  const clipBytes = paramsBytes(clipParamShapes(configs.clip), 'none');

  // Denoising, with the block stack compiled so only live tensors count.
  const tokens = size.textTokens + (size.width / 16) * (size.height / 16);
  const denoiseBytes = jointStreamBytes({ batch: size.batch, tokens, width: h, fusedWidth: 3 * h + mlp, heads: config.numHeads });

  // Text encoding: T5 and CLIP weights plus T5's widest activations.
  const t5 = configs.t5;
  const textLength = size.textTokens;
  const textPhaseBytes = t5Bytes + clipBytes + F32 * size.batch * (t5.num_heads * textLength * textLength + 3 * textLength * t5.d_ff + 6 * textLength * t5.d_model);

  return combinePhases(quantization, size, { transformerShapes, vaeBytes, textEncoderBytes: t5Bytes + clipBytes, denoiseBytes, textPhaseBytes, decodeBytes: leastDecodeBytes(configs.vae, size.width, size.height) });
}
