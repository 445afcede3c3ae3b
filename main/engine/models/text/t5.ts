// The T5 v1.1 encoder (FLUX's text_encoder_2) over Hugging Face transformers'
// parameter names: RMS norms, no attention scaling, relative position buckets
// in the first block, gated-GELU feed-forward. Runs in the engine; no Node.

import { z } from 'zod';
import type { MxArray, MxBackend } from '../../mlx/backend.ts';
import { runSync } from '../../io/materialize.ts';
import { scaledDotProductAttention } from '../attention.ts';
import { geluTanh, linear, mergeHeads, param, splitHeads, type Linear, type ParamShapes, type Params } from '../layers.ts';

/** The fields of transformers' T5Config (config.json) the encoder reads. */
export const T5ConfigSchema = z.object({
  vocab_size: z.number().int().positive(),
  d_model: z.number().int().positive(),
  d_kv: z.number().int().positive(),
  d_ff: z.number().int().positive(),
  num_layers: z.number().int().positive(),
  num_heads: z.number().int().positive(),
  relative_attention_num_buckets: z.number().int().positive().default(32),
  relative_attention_max_distance: z.number().int().positive().default(128),
  layer_norm_epsilon: z.number().positive().default(1e-6),
  feed_forward_proj: z.literal('gated-gelu', { message: 'only T5 v1.1 ("gated-gelu") encoders are supported, as FLUX.1 uses' }),
});

export type T5Config = z.infer<typeof T5ConfigSchema>;

/** T5 v1.1 XXL, FLUX.1's text_encoder_2. */
export const T5_XXL: T5Config = {
  vocab_size: 32128,
  d_model: 4096,
  d_kv: 64,
  d_ff: 10240,
  num_layers: 24,
  num_heads: 64,
  relative_attention_num_buckets: 32,
  relative_attention_max_distance: 128,
  layer_norm_epsilon: 1e-6,
  feed_forward_proj: 'gated-gelu',
};

export const T5_EMBEDDING = 'shared.weight';
/** Some exports store the (tied) embedding only under the encoder's name. */
export const T5_EMBEDDING_ALIAS = 'encoder.embed_tokens.weight';

export function t5ParamShapes(config: T5Config): ParamShapes {
  const { d_model: d, d_kv: kv, num_heads: heads, d_ff: ff } = config;
  const shapes: Record<string, number[]> = { [T5_EMBEDDING]: [config.vocab_size, d], 'encoder.final_layer_norm.weight': [d] };
  for (let i = 0; i < config.num_layers; i++) {
    const p = `encoder.block.${i}.layer`;
    for (const n of ['q', 'k', 'v']) shapes[`${p}.0.SelfAttention.${n}.weight`] = [heads * kv, d];
    shapes[`${p}.0.SelfAttention.o.weight`] = [d, heads * kv];
    if (i === 0) shapes[`${p}.0.SelfAttention.relative_attention_bias.weight`] = [config.relative_attention_num_buckets, heads];
    shapes[`${p}.0.layer_norm.weight`] = [d];
    shapes[`${p}.1.DenseReluDense.wi_0.weight`] = [ff, d];
    shapes[`${p}.1.DenseReluDense.wi_1.weight`] = [ff, d];
    shapes[`${p}.1.DenseReluDense.wo.weight`] = [d, ff];
    shapes[`${p}.1.layer_norm.weight`] = [d];
  }
  return shapes;
}

/**
 * transformers' bidirectional `_relative_position_bucket`, with its float32
 * log arithmetic emulated so bucket edges land where PyTorch puts them.
 */
export function relativePositionBucket(relative: number, numBuckets: number, maxDistance: number): number {
  const half = numBuckets / 2;
  let bucket = relative > 0 ? half : 0;
  const n = Math.abs(relative);
  const maxExact = half / 2;
  if (n < maxExact) return bucket + n;
  const f = Math.fround;
  const scaled = f(f(f(Math.log(f(n / maxExact))) / f(Math.log(f(maxDistance / maxExact)))) * (half - maxExact));
  bucket += Math.min(maxExact + Math.trunc(scaled), half - 1);
  return bucket;
}

interface T5Block {
  readonly norm1: MxArray;
  readonly q: Linear;
  readonly k: Linear;
  readonly v: Linear;
  readonly o: Linear;
  readonly norm2: MxArray;
  readonly wi0: Linear;
  readonly wi1: Linear;
  readonly wo: Linear;
}

export class T5Encoder {
  private readonly embedding: MxArray;
  private readonly relativeBias: MxArray;
  private readonly blocks: T5Block[];
  private readonly finalNorm: MxArray;

  constructor(
    private readonly mx: MxBackend,
    readonly config: T5Config,
    params: Params,
  ) {
    this.embedding = param(params, T5_EMBEDDING);
    this.relativeBias = param(params, 'encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight');
    this.finalNorm = param(params, 'encoder.final_layer_norm.weight');
    this.blocks = Array.from({ length: config.num_layers }, (_, i) => {
      const p = `encoder.block.${i}.layer`;
      return {
        norm1: param(params, `${p}.0.layer_norm.weight`),
        q: linear(mx, params, `${p}.0.SelfAttention.q`),
        k: linear(mx, params, `${p}.0.SelfAttention.k`),
        v: linear(mx, params, `${p}.0.SelfAttention.v`),
        o: linear(mx, params, `${p}.0.SelfAttention.o`),
        norm2: param(params, `${p}.1.layer_norm.weight`),
        wi0: linear(mx, params, `${p}.1.DenseReluDense.wi_0`),
        wi1: linear(mx, params, `${p}.1.DenseReluDense.wi_1`),
        wo: linear(mx, params, `${p}.1.DenseReluDense.wo`),
      };
    });
  }

  /** [1, H, L, L] additive attention bias shared by every block. */
  positionBias(length: number): MxArray {
    const { mx, config } = this;
    const buckets: number[] = [];
    for (let query = 0; query < length; query++) {
      for (let key = 0; key < length; key++) {
        buckets.push(relativePositionBucket(key - query, config.relative_attention_num_buckets, config.relative_attention_max_distance));
      }
    }
    const bias = mx.take(this.relativeBias, mx.array(buckets, mx.int32), 0); // [L·L, H]
    return mx.expandDims(mx.transpose(mx.reshape(bias, length, length, config.num_heads), 2, 0, 1), 0);
  }

  /**
   * Token ids [B][L] (already padded; FLUX attends to the padding too, as its
   * reference pipeline passes no attention mask) → hidden states [B, L, d_model].
   */
  encode(ids: readonly (readonly number[])[]): MxArray {
    return runSync(this.encodeStepwise(ids));
  }

  /** `encode`, evaluated block by block with a pause after each, where memory can be released. */
  *encodeStepwise(ids: readonly (readonly number[])[]): Generator<void, MxArray, void> {
    const { mx, config } = this;
    const length = ids[0]!.length;
    let hidden = mx.take(this.embedding, mx.array(ids.map((row) => [...row]), mx.int32), 0);
    hidden = hidden.astype(mx.float32);
    const bias = this.positionBias(length);
    const eps = config.layer_norm_epsilon;
    const heads = (t: MxArray) => splitHeads(mx, t, config.num_heads);
    for (const block of this.blocks) {
      const x = mx.fast.rmsNorm(hidden, block.norm1, eps);
      const attn = scaledDotProductAttention(mx, heads(block.q.apply(x)), heads(block.k.apply(x)), heads(block.v.apply(x)), 1, bias);
      hidden = mx.add(hidden, block.o.apply(mergeHeads(mx, attn)));
      const y = mx.fast.rmsNorm(hidden, block.norm2, eps);
      hidden = mx.add(hidden, block.wo.apply(mx.multiply(geluTanh(mx, block.wi0.apply(y)), block.wi1.apply(y))));
      mx.eval(hidden);
      yield;
    }
    return mx.fast.rmsNorm(hidden, this.finalNorm, eps);
  }
}
