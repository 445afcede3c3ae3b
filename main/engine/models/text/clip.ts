// The CLIP text encoder (FLUX's text_encoder, ViT-L/14's text tower) over
// transformers' parameter names: causal pre-LN transformer whose pooled output
// is the final-norm state at the end-of-text token. Runs in the engine; no Node.

import { z } from 'zod';
import type { MxArray, MxBackend } from '../../mlx/backend.ts';
import { scaledDotProductAttention } from '../attention.ts';
import { layerNormParams, linear, mergeHeads, param, splitHeads, type Linear, type ParamShapes, type Params } from '../layers.ts';

/** The fields of transformers' CLIPTextConfig (config.json) the encoder reads. */
export const ClipTextConfigSchema = z.object({
  vocab_size: z.number().int().positive(),
  hidden_size: z.number().int().positive(),
  intermediate_size: z.number().int().positive(),
  num_hidden_layers: z.number().int().positive(),
  num_attention_heads: z.number().int().positive(),
  max_position_embeddings: z.number().int().positive(),
  hidden_act: z.enum(['quick_gelu'], { message: 'only "quick_gelu" CLIP text encoders are supported, as FLUX.1 uses' }).default('quick_gelu'),
  layer_norm_eps: z.number().positive().default(1e-5),
  /** 2 is transformers' legacy marker: pool at the highest token id (end-of-text in CLIP's vocabulary). */
  eos_token_id: z.number().int().default(2),
});

export type ClipTextConfig = z.infer<typeof ClipTextConfigSchema>;

/** CLIP ViT-L/14's text encoder, FLUX.1's text_encoder. */
export const CLIP_L: ClipTextConfig = {
  vocab_size: 49408,
  hidden_size: 768,
  intermediate_size: 3072,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  max_position_embeddings: 77,
  hidden_act: 'quick_gelu',
  layer_norm_eps: 1e-5,
  eos_token_id: 2,
};

const P = 'text_model';

/** Tensors some exports carry that the text tower does not use. */
export const CLIP_IGNORED = /^((text_model\.)?embeddings\.position_ids|text_projection\.weight|logit_scale)$/;

/** Names as stored: transformers 5 saves CLIPTextModel without the `text_model.` prefix that FLUX.1's files have. */
export function clipStoredName(has: (name: string) => boolean): (name: string) => string {
  const prefixed = has(`${P}.embeddings.token_embedding.weight`);
  return (name) => (prefixed ? name : name.replace(/^text_model\./, ''));
}

export function clipParamShapes(config: ClipTextConfig): ParamShapes {
  const d = config.hidden_size;
  const shapes: Record<string, number[]> = {
    [`${P}.embeddings.token_embedding.weight`]: [config.vocab_size, d],
    [`${P}.embeddings.position_embedding.weight`]: [config.max_position_embeddings, d],
    [`${P}.final_layer_norm.weight`]: [d],
    [`${P}.final_layer_norm.bias`]: [d],
  };
  for (let i = 0; i < config.num_hidden_layers; i++) {
    const p = `${P}.encoder.layers.${i}`;
    for (const n of ['q_proj', 'k_proj', 'v_proj', 'out_proj']) {
      shapes[`${p}.self_attn.${n}.weight`] = [d, d];
      shapes[`${p}.self_attn.${n}.bias`] = [d];
    }
    for (const n of ['layer_norm1', 'layer_norm2']) {
      shapes[`${p}.${n}.weight`] = [d];
      shapes[`${p}.${n}.bias`] = [d];
    }
    shapes[`${p}.mlp.fc1.weight`] = [config.intermediate_size, d];
    shapes[`${p}.mlp.fc1.bias`] = [config.intermediate_size];
    shapes[`${p}.mlp.fc2.weight`] = [d, config.intermediate_size];
    shapes[`${p}.mlp.fc2.bias`] = [d];
  }
  return shapes;
}

interface ClipLayer {
  readonly norm1: readonly [MxArray, MxArray];
  readonly q: Linear;
  readonly k: Linear;
  readonly v: Linear;
  readonly out: Linear;
  readonly norm2: readonly [MxArray, MxArray];
  readonly fc1: Linear;
  readonly fc2: Linear;
}

/** Where transformers' CLIPTextTransformer pools each row. */
export function poolIndex(ids: readonly number[], eosTokenId: number): number {
  if (eosTokenId === 2) {
    let best = 0;
    ids.forEach((id, i) => {
      if (id > ids[best]!) best = i;
    });
    return best;
  }
  const at = ids.indexOf(eosTokenId);
  return at < 0 ? ids.length - 1 : at;
}

export class ClipTextEncoder {
  private readonly tokenEmbedding: MxArray;
  private readonly positionEmbedding: MxArray;
  private readonly layers: ClipLayer[];
  private readonly finalNorm: readonly [MxArray, MxArray];
  private readonly headDim: number;

  constructor(
    private readonly mx: MxBackend,
    readonly config: ClipTextConfig,
    params: Params,
  ) {
    const norm = (prefix: string) => layerNormParams(params, prefix);
    this.tokenEmbedding = param(params, `${P}.embeddings.token_embedding.weight`);
    this.positionEmbedding = param(params, `${P}.embeddings.position_embedding.weight`);
    this.finalNorm = norm(`${P}.final_layer_norm`);
    this.headDim = config.hidden_size / config.num_attention_heads;
    this.layers = Array.from({ length: config.num_hidden_layers }, (_, i) => {
      const p = `${P}.encoder.layers.${i}`;
      return {
        norm1: norm(`${p}.layer_norm1`),
        q: linear(mx, params, `${p}.self_attn.q_proj`),
        k: linear(mx, params, `${p}.self_attn.k_proj`),
        v: linear(mx, params, `${p}.self_attn.v_proj`),
        out: linear(mx, params, `${p}.self_attn.out_proj`),
        norm2: norm(`${p}.layer_norm2`),
        fc1: linear(mx, params, `${p}.mlp.fc1`),
        fc2: linear(mx, params, `${p}.mlp.fc2`),
      };
    });
  }

  /** Token ids [B][L] → per-token states [B, L, D] and pooled [B, D]. */
  encode(ids: readonly (readonly number[])[]): { hidden: MxArray; pooled: MxArray } {
    const { mx, config } = this;
    const length = ids[0]!.length;
    if (length > config.max_position_embeddings) {
      throw new Error(`CLIP takes at most ${config.max_position_embeddings} tokens, got ${length}.`);
    }
    const tokens = mx.take(this.tokenEmbedding, mx.array(ids.map((row) => [...row]), mx.int32), 0).astype(mx.float32);
    const positions = mx.take(this.positionEmbedding, mx.arange(0, length, 1, mx.int32), 0).astype(mx.float32);
    let hidden = mx.add(tokens, positions);
    const mask = causalMask(mx, length);
    const eps = config.layer_norm_eps;
    const heads = config.num_attention_heads;
    for (const layer of this.layers) {
      const x = mx.fast.layerNorm(hidden, layer.norm1[0], layer.norm1[1], eps);
      const attn = scaledDotProductAttention(mx, 
        splitHeads(mx, layer.q.apply(x), heads),
        splitHeads(mx, layer.k.apply(x), heads),
        splitHeads(mx, layer.v.apply(x), heads),
        1 / Math.sqrt(this.headDim),
        mask,
      );
      hidden = mx.add(hidden, layer.out.apply(mergeHeads(mx, attn)));
      const y = mx.fast.layerNorm(hidden, layer.norm2[0], layer.norm2[1], eps);
      hidden = mx.add(hidden, layer.fc2.apply(quickGelu(mx, layer.fc1.apply(y))));
    }
    hidden = mx.fast.layerNorm(hidden, this.finalNorm[0], this.finalNorm[1], eps);
    const width = config.hidden_size;
    const flat = mx.reshape(hidden, ids.length * length, width);
    const rows = ids.map((row, b) => b * length + poolIndex(row, config.eos_token_id));
    return { hidden, pooled: mx.take(flat, mx.array(rows, mx.int32), 0) };
  }
}

function quickGelu(mx: MxBackend, x: MxArray): MxArray {
  return mx.multiply(x, mx.sigmoid(mx.multiply(x, 1.702)));
}

/** [L, L] additive mask: a token sees itself and what precedes it. */
function causalMask(mx: MxBackend, length: number): MxArray {
  const rows: number[][] = [];
  for (let i = 0; i < length; i++) rows.push(Array.from({ length }, (_, j) => (j <= i ? 0 : -1e9)));
  return mx.array(rows);
}
