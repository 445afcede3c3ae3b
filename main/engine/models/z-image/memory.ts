// Estimates the peak memory of generating with a Z-Image folder at a given
// quantization and size, from tensor shapes alone, and refuses clearly when it
// cannot fit: transformer and decoder resident, the Qwen3 encoder loaded per
// encoding and freed. FLUX.1's measured runtime and decoder figures apply (the
// same engine, the same autoencoder). Pure.

import type { Quantization } from '../../io/materialize.ts';
import type { ParamShapes } from '../layers.ts';
import { combinePhases, leastDecodeBytes, paramsBytes, type MemoryEstimate, type SizeInput } from '../memory-estimate.ts';
import { vaeDecoderParamShapes, type VaeConfig } from '../vae/decoder.ts';
import { ffnHidden, SEQ_MULTIPLE, zImageParamShapes, type ZImageConfig } from './config.ts';

const F32 = 4;

export interface ZImageConfigs {
  readonly transformer: ZImageConfig;
  readonly vae: VaeConfig;
  /** The text encoder's parameters as the engine loads them (embedding float32, linears quantized) and its width. */
  readonly textEncoder: { readonly shapes: ParamShapes; readonly hiddenSize: number };
}

function roundUp(n: number): number {
  return n + ((SEQ_MULTIPLE - (n % SEQ_MULTIPLE)) % SEQ_MULTIPLE);
}

export function estimateZImageMemory(configs: ZImageConfigs, quantization: Quantization, size: SizeInput): MemoryEstimate {
  const config = configs.transformer;
  const transformerShapes = zImageParamShapes(config);
  const vaeBytes = paramsBytes(vaeDecoderParamShapes(configs.vae), 'none');
  const textEncoderBytes = paramsBytes(configs.textEncoder.shapes, quantization);

  // Denoising: each CFG branch runs as its own forward, so one image's joint
  // stream is alive at once: a few residual-width copies, the SwiGLU halves,
  // and one head's attention scores at a time in MLX's fused attention (all
  // heads' scores on the CPU fallback).
  const patch = 16 * (config.patch / 2);
  const tokens = roundUp((size.width / patch) * (size.height / patch)) + roundUp(size.textTokens);
  const denoiseBytes = F32 * (tokens * (8 * config.dim + 3 * ffnHidden(config)) + config.heads * tokens * tokens) + F32 * size.batch * tokens * config.dim;

  const textPhaseBytes = qwen3PhaseBytes(textEncoderBytes, configs.textEncoder.hiddenSize, size);
  return combinePhases(quantization, size, { transformerShapes, vaeBytes, textEncoderBytes, denoiseBytes, textPhaseBytes, decodeBytes: leastDecodeBytes(configs.vae, size.width, size.height) });
}

/** Encoding with Qwen3 (Z-Image's and klein's): the encoder's weights plus its widest activations over the prompts. */
export function qwen3PhaseBytes(weightBytes: number, hiddenSize: number, size: Pick<SizeInput, 'batch' | 'textTokens'>): number {
  return weightBytes + F32 * size.batch * size.textTokens * (hiddenSize * 12 + size.textTokens * 32);
}
