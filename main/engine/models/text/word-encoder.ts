// The built-in model's small text encoder: a word-level tokenizer and a pre-LN
// transformer whose token outputs feed FLUX's `txt_in` and whose masked mean
// feeds `vector_in`. Runs in the engine; no Node or Electron imports.

import { z } from 'zod';
import type { MxArray, MxBackend } from '../../mlx/backend.ts';
import type { TextConditioning } from '../flux/transformer.ts';
import { scaledDotProductAttention } from '../attention.ts';
import { geluTanh, layerNormParams, linear, mergeHeads, param, splitHeads, type Linear, type ParamShapes, type Params } from '../layers.ts';

export const WordEncoderConfigSchema = z.object({
  maxTokens: z.number().int().min(2),
  width: z.number().int().positive(),
  depth: z.number().int().nonnegative(),
  numHeads: z.number().int().positive(),
  mlpRatio: z.number().positive(),
  /** Width of the pooled vector (the transformer's `vecInDim`). */
  pooledDim: z.number().int().positive(),
});

export type WordEncoderConfig = z.infer<typeof WordEncoderConfigSchema>;

export const PAD = '<pad>';
export const UNK = '<unk>';
export const BOS = '<bos>';
export const SPECIAL_TOKENS = [PAD, UNK, BOS] as const;

/**
 * Lower-cases, splits on anything that is not a letter or digit, and maps each
 * word to its id. A leading <bos> keeps even the empty prompt non-empty, which
 * is what the negative branch of CFG sees.
 */
export class WordTokenizer {
  private readonly ids: ReadonlyMap<string, number>;

  constructor(readonly vocab: readonly string[]) {
    SPECIAL_TOKENS.forEach((token, index) => {
      if (vocab[index] !== token) {
        throw new Error(`The vocabulary must start with ${SPECIAL_TOKENS.join(', ')}; entry ${index} is "${vocab[index]}".`);
      }
    });
    this.ids = new Map(vocab.map((word, id) => [word, id]));
  }

  static words(text: string): string[] {
    return text
      .toLowerCase()
      .normalize('NFKD')
      .split(/[^\p{L}\p{N}]+/u)
      .filter((word) => word.length > 0);
  }

  /** Token ids padded to `maxTokens`, and how many of them are real. */
  encode(text: string, maxTokens: number): { ids: number[]; length: number; unknown: string[] } {
    const words = WordTokenizer.words(text);
    const unknown = words.filter((word) => !this.ids.has(word));
    const ids = [this.ids.get(BOS)!, ...words.map((word) => this.ids.get(word) ?? this.ids.get(UNK)!)].slice(0, maxTokens);
    const length = ids.length;
    while (ids.length < maxTokens) ids.push(this.ids.get(PAD)!);
    return { ids, length, unknown };
  }
}

export function wordEncoderParamShapes(config: WordEncoderConfig, vocabSize: number): ParamShapes {
  const w = config.width;
  const mlp = Math.round(w * config.mlpRatio);
  const shapes: Record<string, number[]> = {
    'token_embedding.weight': [vocabSize, w],
    'position_embedding.weight': [config.maxTokens, w],
    'final_norm.weight': [w],
    'final_norm.bias': [w],
    'pooled_proj.weight': [config.pooledDim, w],
    'pooled_proj.bias': [config.pooledDim],
  };
  for (let i = 0; i < config.depth; i++) {
    const p = `layers.${i}`;
    Object.assign(shapes, {
      [`${p}.norm1.weight`]: [w],
      [`${p}.norm1.bias`]: [w],
      [`${p}.attn.qkv.weight`]: [3 * w, w],
      [`${p}.attn.qkv.bias`]: [3 * w],
      [`${p}.attn.proj.weight`]: [w, w],
      [`${p}.attn.proj.bias`]: [w],
      [`${p}.norm2.weight`]: [w],
      [`${p}.norm2.bias`]: [w],
      [`${p}.mlp.0.weight`]: [mlp, w],
      [`${p}.mlp.0.bias`]: [mlp],
      [`${p}.mlp.2.weight`]: [w, mlp],
      [`${p}.mlp.2.bias`]: [w],
    });
  }
  return shapes;
}

interface EncoderLayer {
  readonly norm1: readonly [MxArray, MxArray];
  readonly qkv: Linear;
  readonly proj: Linear;
  readonly norm2: readonly [MxArray, MxArray];
  readonly mlpIn: Linear;
  readonly mlpOut: Linear;
}

const LAYER_NORM_EPS = 1e-5;
/** Large and finite, so a fully masked row cannot turn into NaN. */
const MASKED = -1e9;

export class WordEncoder {
  private readonly tokenEmbedding: MxArray;
  private readonly positionEmbedding: MxArray;
  private readonly layers: EncoderLayer[];
  private readonly finalNorm: readonly [MxArray, MxArray];
  private readonly pooledProj: Linear;

  constructor(
    private readonly mx: MxBackend,
    readonly config: WordEncoderConfig,
    readonly tokenizer: WordTokenizer,
    params: Params,
  ) {
    const norm = (prefix: string) => layerNormParams(params, prefix);
    this.tokenEmbedding = param(params, 'token_embedding.weight');
    this.positionEmbedding = param(params, 'position_embedding.weight');
    this.layers = Array.from({ length: config.depth }, (_, i) => ({
      norm1: norm(`layers.${i}.norm1`),
      qkv: linear(mx, params, `layers.${i}.attn.qkv`),
      proj: linear(mx, params, `layers.${i}.attn.proj`),
      norm2: norm(`layers.${i}.norm2`),
      mlpIn: linear(mx, params, `layers.${i}.mlp.0`),
      mlpOut: linear(mx, params, `layers.${i}.mlp.2`),
    }));
    this.finalNorm = norm('final_norm');
    this.pooledProj = linear(mx, params, 'pooled_proj');
  }

  /** Encodes a batch of prompts into per-token context and a pooled vector. */
  encode(prompts: readonly string[]): TextConditioning & { unknownWords: string[] } {
    const { mx, config } = this;
    const encoded = prompts.map((prompt) => this.tokenizer.encode(prompt, config.maxTokens));
    const ids = mx.array(encoded.map((e) => e.ids), mx.int32);
    const validRows = encoded.map((e) => Array.from({ length: config.maxTokens }, (_, i) => (i < e.length ? 1 : 0)));
    const valid = mx.array(validRows);
    const additiveMask = mx.reshape(mx.multiply(mx.subtract(1, valid), MASKED), prompts.length, 1, 1, config.maxTokens);

    let h = mx.add(mx.take(this.tokenEmbedding, ids, 0), this.positionEmbedding);
    for (const layer of this.layers) {
      const normed = mx.fast.layerNorm(h, layer.norm1[0], layer.norm1[1], LAYER_NORM_EPS);
      const [q, k, v] = mx.split(layer.qkv.apply(normed), 3, -1) as [MxArray, MxArray, MxArray];
      const heads = config.numHeads;
      const attn = scaledDotProductAttention(mx, 
        splitHeads(mx, q, heads),
        splitHeads(mx, k, heads),
        splitHeads(mx, v, heads),
        1 / Math.sqrt(config.width / heads),
        additiveMask,
      );
      h = mx.add(h, layer.proj.apply(mergeHeads(mx, attn)));
      const normed2 = mx.fast.layerNorm(h, layer.norm2[0], layer.norm2[1], LAYER_NORM_EPS);
      h = mx.add(h, layer.mlpOut.apply(geluTanh(mx, layer.mlpIn.apply(normed2))));
    }
    const context = mx.fast.layerNorm(h, this.finalNorm[0], this.finalNorm[1], LAYER_NORM_EPS);
    const weights = mx.expandDims(valid, -1);
    const mean = mx.divide(mx.sum(mx.multiply(context, weights), 1), mx.sum(weights, 1));
    return {
      context,
      pooled: this.pooledProj.apply(mean),
      unknownWords: [...new Set(encoded.flatMap((e) => e.unknown))],
    };
  }
}
