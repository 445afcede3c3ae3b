// What every model family's memory estimate is made of, from tensor shapes alone: bytes of parameters at a
// quantization, of a FLUX-style joint stream's activations and of the autoencoder's decode, the phases combined into
// one estimate, and the choice of the lightest quantization that fits, refused clearly when none does. The families'
// own estimates (flux1/, z-image/, flux2-klein/ memory.ts) put their parts together from these. Pure.

import { EngineError } from '../../core/errors.ts';
import type { Quantization } from '../io/materialize.ts';
import { canQuantize, QUANT_GROUP_SIZE, type ParamShapes } from './layers.ts';
import type { VaeConfig } from './vae/decoder.ts';
import { DEFAULT_TILES } from './vae/tiled-decode.ts';

const GB = 1024 ** 3;
/** Bytes of a float32. */
export const F32 = 4;
/**
 * Node, V8, MLX's allocator cache and compiled graphs: a full-size transformer
 * measured 1.3 GB resident beyond its parameters at 4 and at 8 bits
 * (scripts/measure-flux1-memory.ts); rounded up.
 */
export const RUNTIME_OVERHEAD_BYTES = 1.5 * GB;
/** The autoencoder decoder's measured peak on CPU: a base plus a cost per output pixel (measured with FLUX.1's autoencoder, scripts/measure-flux1-memory.ts). */
const DECODE_BASE_BYTES = 1.15 * GB - 2 * F32 * 4096 ** 2;
const DECODE_BYTES_PER_PIXEL = 10_430;

/** Bytes of one [out, in] linear weight held as float32 or quantized (uint32 packs plus float32 scale and bias per group). */
export function linearBytes(out: number, inDim: number, quantization: Quantization): number {
  if (quantization === 'none' || !canQuantize(inDim, quantization)) return out * inDim * F32;
  return (out * inDim * quantization) / 8 + 2 * F32 * ((out * inDim) / QUANT_GROUP_SIZE);
}

const NOT_LINEAR = /(embedding|embed_tokens|shared|relative_attention_bias)\.weight$/;

/** Resident bytes of a parameter set as the engine holds it: linear weights may be quantized, the rest float32. */
export function paramsBytes(shapes: ParamShapes, quantization: Quantization): number {
  let total = 0;
  for (const [name, shape] of Object.entries(shapes)) {
    const linear = shape.length === 2 && name.endsWith('.weight') && !NOT_LINEAR.test(name);
    total += linear ? linearBytes(shape[0]!, shape[1]!, quantization) : shape.reduce((a, b) => a * b, 1) * F32;
  }
  return total;
}

/**
 * The decoder's peak for `pixels` output pixels decoded in one piece. From
 * measurement rather than a model of it: MLX's CPU convolutions unfold 3×3
 * windows, so the peak grows by about 10.4 KB per output pixel (FLUX.1's
 * decoder measured 1.5 GB at 256² and 3.4 GB at 512², and 3.7 GB at 768² in
 * four 512² tiles; MLX 0.32.2, scripts/measure-flux1-memory.ts); the base is
 * set so one 512² tile (4096 latent pixels) gives 3.7 GB. Beyond what was measured, the mid-block's
 * single-head attention holds a score matrix quadratic in latent pixels
 * (1 GB at 1024², 16 GB at 2048²), counted twice (scores and softmax).
 */
export function decodeBytes(vae: VaeConfig, pixels: number): number {
  const latentPixels = pixels / 64;
  return DECODE_BASE_BYTES + DECODE_BYTES_PER_PIXEL * pixels * (vae.block_out_channels[0]! / 128) + 2 * F32 * latentPixels * latentPixels;
}

/**
 * Whether a `width`×`height` image can be decoded whole, as diffusers'
 * AutoencoderKL does unless tiling is switched on, beside the weights that
 * stay resident; when it cannot, the decode goes tile by tile.
 */
export function wholeDecodeFits(estimate: MemoryEstimate, vae: VaeConfig, width: number, height: number, limitBytes: number): boolean {
  return RUNTIME_OVERHEAD_BYTES + estimate.transformerBytes + estimate.vaeBytes + decodeBytes(vae, width * height) <= limitBytes;
}

export interface MemoryEstimate {
  readonly quantization: Quantization;
  readonly width: number;
  readonly height: number;
  readonly transformerBytes: number;
  readonly vaeBytes: number;
  readonly textEncoderBytes: number;
  /** Largest set of activations alive at once in any phase. */
  readonly activationBytes: number;
  readonly peakBytes: number;
}

export interface SizeInput {
  readonly width: number;
  readonly height: number;
  /** Images computed together: 2 under true CFG, 1 otherwise. */
  readonly batch: number;
  readonly textTokens: number;
}

/**
 * A FLUX-style joint stream's live activations (FLUX.1's and FLUX.2's double and
 * single blocks): the stream a few times over, a fused single-block
 * projection `fusedWidth` wide in and out, and every head's attention scores.
 */
export function jointStreamBytes(s: { readonly batch: number; readonly tokens: number; readonly width: number; readonly fusedWidth: number; readonly heads: number }): number {
  return F32 * s.batch * (s.tokens * s.fusedWidth * 2 + s.heads * s.tokens * s.tokens + 8 * s.tokens * s.width);
}

/** Each phase's bytes, as a family's estimate works them out. */
export interface PhaseBytes {
  readonly transformerShapes: ParamShapes;
  readonly vaeBytes: number;
  readonly textEncoderBytes: number;
  /** Live activations while denoising. */
  readonly denoiseBytes: number;
  /** The text encoders' weights and activations, alive only while encoding. */
  readonly textPhaseBytes: number;
  /** The least the decode takes (leastDecodeBytes). */
  readonly decodeBytes: number;
}

/**
 * The peak every checkpoint family reaches, from its phases: the transformer
 * and decoder stay resident, text encoding runs beside them, and quantizing on
 * load holds one layer's stored and float32 copies.
 */
export function combinePhases(quantization: Quantization, size: Pick<SizeInput, 'width' | 'height'>, phases: PhaseBytes): MemoryEstimate {
  const transformerBytes = paramsBytes(phases.transformerShapes, quantization);
  const largestLinear = Math.max(...Object.values(phases.transformerShapes).map((s) => s.reduce((a, c) => a * c, 1)));
  const loading = largestLinear * (F32 + 2);
  const activationBytes = Math.max(phases.denoiseBytes, phases.decodeBytes, loading);
  const peakBytes = RUNTIME_OVERHEAD_BYTES + transformerBytes + phases.vaeBytes + Math.max(activationBytes, phases.textPhaseBytes);
  return { quantization, width: size.width, height: size.height, transformerBytes, vaeBytes: phases.vaeBytes, textEncoderBytes: phases.textEncoderBytes, activationBytes, peakBytes };
}

/** The least the decoder needs at a size, what a load must leave room for: one tile's peak at most (see wholeDecodeFits). */
export function leastDecodeBytes(vae: VaeConfig, width: number, height: number): number {
  const tileSide = DEFAULT_TILES.tile * 8;
  return decodeBytes(vae, Math.min(width * height, tileSide * tileSide));
}

/** The model note on its weights: their precision and the estimated peak memory at the default size. */
export function memoryNote(memory: MemoryEstimate): string {
  const q = memory.quantization;
  return `${q === 'none' ? 'Unquantized (float32)' : `${q}-bit quantized`} weights; estimated peak memory ${formatGb(memory.peakBytes)} at ${memory.width}×${memory.height}.`;
}

export function formatGb(bytes: number): string {
  return `${(bytes / GB).toFixed(1)} GB`;
}

/**
 * The quantization to use, from a model's estimate at each level: the one asked for, or with `auto` the lightest
 * that fits (none, then 8-bit, then 4-bit). Refuses, naming what would fit, when the choice cannot.
 */
export function chooseQuantizationBy(estimateAt: (q: Quantization) => MemoryEstimate, name: string, asked: Quantization | 'auto', size: SizeInput, limitBytes: number): MemoryEstimate {
  const levels: Quantization[] = ['none', 8, 4];
  const estimates = levels.map(estimateAt);
  const label = (q: Quantization) => (q === 'none' ? 'unquantized (float32)' : `${q}-bit`);
  if (asked === 'auto') {
    const fitting = estimates.find((e) => e.peakBytes <= limitBytes);
    if (fitting) return fitting;
  } else {
    const chosen = estimates[levels.indexOf(asked)]!;
    if (chosen.peakBytes <= limitBytes) return chosen;
  }
  const table = estimates.map((e) => `${label(e.quantization)} about ${formatGb(e.peakBytes)}`).join(', ');
  const fits = estimates.find((e) => e.peakBytes <= limitBytes);
  const advice = fits
    ? `Choose ${label(fits.quantization)} quantization (--quantize ${fits.quantization === 'none' ? 'none' : fits.quantization}).`
    : `Even 4-bit does not fit: generate smaller images (fewer image tokens) or use a machine with more memory.`;
  throw new EngineError(
    'MODEL_INVALID',
    `${name} ${asked === 'auto' ? 'cannot fit' : `at ${label(asked)} cannot fit`} in the ${formatGb(limitBytes)} this engine may use at ${size.width}×${size.height} (estimated peak: ${table}). ${advice}`,
    { estimates, limitBytes },
  );
}
