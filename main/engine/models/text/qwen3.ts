// The Qwen3 decoder (transformers' Qwen3Model) as the text encoder of Z-Image
// and FLUX.2 klein: RMS norms, grouped-query attention with per-head q/k RMS
// norms, rotate-half RoPE, causal plus padding mask, SwiGLU MLP. It returns
// the hidden states the pipelines pick from transformers' `hidden_states`
// tuple. Runs in the engine; no Node.

import { z } from 'zod';
import type { MxArray, MxBackend } from '../../mlx/backend.ts';
import { runSync } from '../../io/materialize.ts';
import { scaledDotProductAttention } from '../attention.ts';
import { linear, mergeHeads, param, silu, type Linear, type ParamShapes, type Params } from '../layers.ts';

/** The fields of transformers' Qwen3Config (config.json) the encoder reads; transformers 4 and 5 spell RoPE differently. */
export const Qwen3ConfigSchema = z
  .object({
    vocab_size: z.number().int().positive(),
    hidden_size: z.number().int().positive(),
    intermediate_size: z.number().int().positive(),
    num_hidden_layers: z.number().int().positive(),
    num_attention_heads: z.number().int().positive(),
    num_key_value_heads: z.number().int().positive(),
    head_dim: z.number().int().positive().optional(),
    rms_norm_eps: z.number().positive().default(1e-6),
    rope_theta: z.number().positive().optional(),
    rope_parameters: z
      .object({
        rope_theta: z.number().positive(),
        rope_type: z.literal('default', { message: 'only plain RoPE ("default") is supported, as Qwen3-4B and -8B use' }).default('default'),
      })
      .optional(),
    rope_scaling: z.null({ message: 'RoPE scaling is not supported; Qwen3-4B and -8B have none' }).optional(),
    hidden_act: z.literal('silu', { message: 'only "silu" MLPs are supported, as Qwen3 uses' }).default('silu'),
    attention_bias: z.literal(false, { message: 'attention biases are not supported; Qwen3 has none' }).default(false),
    use_sliding_window: z.literal(false, { message: 'sliding-window attention is not supported; Qwen3-4B and -8B do not use it' }).default(false),
  })
  .refine((c) => c.num_attention_heads % c.num_key_value_heads === 0, { message: 'num_attention_heads must be a multiple of num_key_value_heads' })
  .transform(
    (c): Qwen3Config => ({
      vocab_size: c.vocab_size,
      hidden_size: c.hidden_size,
      intermediate_size: c.intermediate_size,
      num_hidden_layers: c.num_hidden_layers,
      num_attention_heads: c.num_attention_heads,
      num_key_value_heads: c.num_key_value_heads,
      head_dim: c.head_dim ?? c.hidden_size / c.num_attention_heads,
      rms_norm_eps: c.rms_norm_eps,
      rope_theta: c.rope_parameters?.rope_theta ?? c.rope_theta ?? QWEN3_ROPE_THETA,
    }),
  );

export interface Qwen3Config {
  readonly vocab_size: number;
  readonly hidden_size: number;
  readonly intermediate_size: number;
  readonly num_hidden_layers: number;
  readonly num_attention_heads: number;
  readonly num_key_value_heads: number;
  readonly head_dim: number;
  readonly rms_norm_eps: number;
  readonly rope_theta: number;
}

/** Every Qwen3 size uses this base (transformers' default is 10000, so a config without one is read as Qwen3's). */
export const QWEN3_ROPE_THETA = 1_000_000;

/** Qwen3-4B: Z-Image's and klein-4B's text encoder. */
export const QWEN3_4B: Qwen3Config = {
  vocab_size: 151936,
  hidden_size: 2560,
  intermediate_size: 9728,
  num_hidden_layers: 36,
  num_attention_heads: 32,
  num_key_value_heads: 8,
  head_dim: 128,
  rms_norm_eps: 1e-6,
  rope_theta: QWEN3_ROPE_THETA,
};

/** Qwen3-8B: klein-9B's text encoder. */
export const QWEN3_8B: Qwen3Config = { ...QWEN3_4B, hidden_size: 4096, intermediate_size: 12288 };

/** Canonical names carry Qwen3ForCausalLM's `model.` prefix, as ComfyUI's single files and klein's text_encoder/ store them. */
export const QWEN3_PREFIX = 'model.';

/**
 * Names as stored: a Qwen3Model saved by transformers (Z-Image's text_encoder/
 * when written by save_pretrained) has no `model.` prefix.
 */
export function qwen3StoredName(has: (name: string) => boolean): (name: string) => string {
  const prefixed = has(`${QWEN3_PREFIX}embed_tokens.weight`);
  return (name) => (prefixed ? name : name.slice(QWEN3_PREFIX.length));
}

/** Tensors a causal-LM export carries that the encoder does not use. */
export const QWEN3_IGNORED = /^(model\.)?lm_head\.weight$/;

/** The number of decoder layers that must run for transformers' `hidden_states[index]`. */
export function layersFor(config: Qwen3Config, indices: readonly number[]): number {
  const n = config.num_hidden_layers;
  for (const index of indices) {
    if (!Number.isInteger(index) || index < 0 || index > n) {
      throw new Error(`Qwen3 has hidden states 0…${n} (0 is the embeddings, ${n} the final norm's output); ${index} was asked for.`);
    }
  }
  return Math.max(0, ...indices);
}

/**
 * Shapes of what the encoder reads to produce hidden states up to index
 * `upTo`: the first `upTo` layers, and the final norm only when `upTo` is the
 * last one (Z-Image and klein never need it, nor the layers after theirs).
 */
export function qwen3ParamShapes(config: Qwen3Config, upTo = config.num_hidden_layers): ParamShapes {
  const d = config.hidden_size;
  const q = config.num_attention_heads * config.head_dim;
  const kv = config.num_key_value_heads * config.head_dim;
  const ff = config.intermediate_size;
  const P = QWEN3_PREFIX;
  const shapes: Record<string, number[]> = { [`${P}embed_tokens.weight`]: [config.vocab_size, d] };
  for (let i = 0; i < upTo; i++) {
    const p = `${P}layers.${i}`;
    shapes[`${p}.input_layernorm.weight`] = [d];
    shapes[`${p}.self_attn.q_proj.weight`] = [q, d];
    shapes[`${p}.self_attn.k_proj.weight`] = [kv, d];
    shapes[`${p}.self_attn.v_proj.weight`] = [kv, d];
    shapes[`${p}.self_attn.o_proj.weight`] = [d, q];
    shapes[`${p}.self_attn.q_norm.weight`] = [config.head_dim];
    shapes[`${p}.self_attn.k_norm.weight`] = [config.head_dim];
    shapes[`${p}.post_attention_layernorm.weight`] = [d];
    shapes[`${p}.mlp.gate_proj.weight`] = [ff, d];
    shapes[`${p}.mlp.up_proj.weight`] = [ff, d];
    shapes[`${p}.mlp.down_proj.weight`] = [d, ff];
  }
  if (upTo === config.num_hidden_layers) shapes[`${P}norm.weight`] = [d];
  return shapes;
}

/**
 * A config from tensor shapes alone, for single files that ship without
 * config.json (ComfyUI's qwen_3_4b.safetensors). `shape` takes canonical names.
 */
export function qwen3ConfigFromShapes(shape: (name: string) => readonly number[] | undefined, names: Iterable<string>, file: string): Qwen3Config {
  const need = (name: string): readonly number[] => {
    const found = shape(name);
    if (!found) throw new Error(`${file} has no "${name}": it is not a Qwen3 text encoder`);
    return found;
  };
  const [vocab, hidden] = need(`${QWEN3_PREFIX}embed_tokens.weight`) as [number, number];
  const headDim = need(`${QWEN3_PREFIX}layers.0.self_attn.q_norm.weight`)[0]!;
  let layers = 0;
  for (const name of names) {
    const match = /^model\.layers\.(\d+)\./.exec(name);
    if (match) layers = Math.max(layers, Number(match[1]) + 1);
  }
  return {
    vocab_size: vocab,
    hidden_size: hidden,
    intermediate_size: need(`${QWEN3_PREFIX}layers.0.mlp.gate_proj.weight`)[0]!,
    num_hidden_layers: layers,
    num_attention_heads: need(`${QWEN3_PREFIX}layers.0.self_attn.q_proj.weight`)[0]! / headDim,
    num_key_value_heads: need(`${QWEN3_PREFIX}layers.0.self_attn.k_proj.weight`)[0]! / headDim,
    head_dim: headDim,
    rms_norm_eps: 1e-6,
    rope_theta: QWEN3_ROPE_THETA,
  };
}

/**
 * transformers' default-RoPE cos and sin tables [L, head_dim], with its
 * float32 arithmetic emulated (`inv_freq` from a float32 power, float32 angles).
 */
export function ropeTables(length: number, headDim: number, theta: number): { cos: number[][]; sin: number[][] } {
  const f = Math.fround;
  const half = headDim / 2;
  const invFreq = Array.from({ length: half }, (_, i) => f(1 / f(Math.pow(theta, f((2 * i) / headDim)))));
  const cos: number[][] = [];
  const sin: number[][] = [];
  for (let position = 0; position < length; position++) {
    const angles = invFreq.map((inv) => f(inv * position));
    const c = angles.map((a) => Math.cos(a));
    const s = angles.map((a) => Math.sin(a));
    cos.push([...c, ...c]);
    sin.push([...s, ...s]);
  }
  return { cos, sin };
}

interface Qwen3Layer {
  readonly inputNorm: MxArray;
  readonly q: Linear;
  readonly k: Linear;
  readonly v: Linear;
  readonly o: Linear;
  readonly qNorm: MxArray;
  readonly kNorm: MxArray;
  readonly postNorm: MxArray;
  readonly gate: Linear;
  readonly up: Linear;
  readonly down: Linear;
}

/** Additive [B, 1, L, L] mask: a token sees itself and the real tokens before it, as transformers' causal mask with padding. */
function attentionMask(mx: MxBackend, mask: readonly (readonly number[])[]): MxArray {
  const length = mask[0]!.length;
  const rows = mx.reshape(mx.arange(0, length, 1, mx.float32), length, 1);
  const cols = mx.reshape(mx.arange(0, length, 1, mx.float32), 1, length);
  const causal = mx.clip(mx.add(mx.subtract(rows, cols), 1), 0, 1); // [L, L]: 1 where key ≤ query
  const keys = mx.reshape(mx.array(mask.map((row) => row.map((v) => (v ? 1 : 0)))), mask.length, 1, 1, length);
  return mx.multiply(mx.subtract(mx.multiply(causal, keys), 1), 1e9);
}

export class Qwen3Encoder {
  private readonly embedding: MxArray;
  private readonly layers: Qwen3Layer[];
  private readonly finalNorm: MxArray | undefined;

  /** `layerCount` layers were loaded (see `qwen3ParamShapes`); hidden states past them cannot be asked for. */
  constructor(
    private readonly mx: MxBackend,
    readonly config: Qwen3Config,
    params: Params,
    readonly layerCount = config.num_hidden_layers,
  ) {
    const P = QWEN3_PREFIX;
    this.embedding = param(params, `${P}embed_tokens.weight`);
    this.finalNorm = layerCount === config.num_hidden_layers ? param(params, `${P}norm.weight`) : undefined;
    this.layers = Array.from({ length: layerCount }, (_, i) => {
      const p = `${P}layers.${i}`;
      return {
        inputNorm: param(params, `${p}.input_layernorm.weight`),
        q: linear(mx, params, `${p}.self_attn.q_proj`),
        k: linear(mx, params, `${p}.self_attn.k_proj`),
        v: linear(mx, params, `${p}.self_attn.v_proj`),
        o: linear(mx, params, `${p}.self_attn.o_proj`),
        qNorm: param(params, `${p}.self_attn.q_norm.weight`),
        kNorm: param(params, `${p}.self_attn.k_norm.weight`),
        postNorm: param(params, `${p}.post_attention_layernorm.weight`),
        gate: linear(mx, params, `${p}.mlp.gate_proj`),
        up: linear(mx, params, `${p}.mlp.up_proj`),
        down: linear(mx, params, `${p}.mlp.down_proj`),
      };
    });
  }

  /**
   * Token ids and attention mask [B][L] → transformers' `hidden_states[i]`
   * [B, L, hidden] for each requested index (0 the embeddings, k the output of
   * layer k, n the final norm's output).
   */
  encode(ids: readonly (readonly number[])[], mask: readonly (readonly number[])[], indices: readonly number[]): MxArray[] {
    return runSync(this.encodeStepwise(ids, mask, indices));
  }

  /** `encode`, evaluated layer by layer with a pause after each, where memory can be released. */
  *encodeStepwise(ids: readonly (readonly number[])[], mask: readonly (readonly number[])[], indices: readonly number[]): Generator<void, MxArray[], void> {
    const { mx, config } = this;
    const needed = layersFor(config, indices);
    if (needed > this.layerCount || (needed === config.num_hidden_layers && !this.finalNorm)) {
      throw new Error(`hidden state ${needed} needs ${needed} Qwen3 layers${needed === config.num_hidden_layers ? ' and the final norm' : ''}, but ${this.layerCount} were loaded.`);
    }
    const batch = ids.length;
    const length = ids[0]!.length;
    if (mask.length !== batch || mask.some((row) => row.length !== length) || ids.some((row) => row.length !== length)) {
      throw new Error(`Qwen3 takes ids and an attention mask of one shape [B, L]; got ${ids.length}×${length} ids and a ${mask.length}-row mask.`);
    }
    const { head_dim: dim, num_attention_heads: heads, num_key_value_heads: kvHeads, rms_norm_eps: eps } = config;
    const tables = ropeTables(length, dim, config.rope_theta);
    const cos = mx.reshape(mx.array(tables.cos), 1, 1, length, dim);
    const sin = mx.reshape(mx.array(tables.sin), 1, 1, length, dim);
    const rope = (x: MxArray) => {
      const [x1, x2] = mx.split(x, 2, -1) as [MxArray, MxArray];
      const rotated = mx.concatenate([mx.multiply(x2, -1), x1], -1);
      return mx.add(mx.multiply(x, cos), mx.multiply(rotated, sin));
    };
    const project = (lin: Linear, x: MxArray, n: number, norm?: MxArray) => {
      let y = mx.reshape(lin.apply(x), batch, length, n, dim);
      if (norm) y = mx.fast.rmsNorm(y, norm, eps);
      return mx.transpose(y, 0, 2, 1, 3);
    };
    const repeat = kvHeads === heads ? (x: MxArray) => x : (x: MxArray) => repeatKv(mx, x, heads / kvHeads);
    const additive = attentionMask(mx, mask);
    const scale = 1 / Math.sqrt(dim);

    const wanted = new Set(indices);
    const states = new Map<number, MxArray>();
    let hidden = mx.take(this.embedding, mx.array(ids.map((row) => [...row]), mx.int32), 0).astype(mx.float32);
    if (wanted.has(0)) states.set(0, hidden);
    for (let i = 0; i < needed; i++) {
      const layer = this.layers[i]!;
      const x = mx.fast.rmsNorm(hidden, layer.inputNorm, eps);
      const q = rope(project(layer.q, x, heads, layer.qNorm));
      const k = repeat(rope(project(layer.k, x, kvHeads, layer.kNorm)));
      const v = repeat(project(layer.v, x, kvHeads));
      const attn = scaledDotProductAttention(mx, q, k, v, scale, additive);
      hidden = mx.add(hidden, layer.o.apply(mergeHeads(mx, attn)));
      const y = mx.fast.rmsNorm(hidden, layer.postNorm, eps);
      hidden = mx.add(hidden, layer.down.apply(mx.multiply(silu(mx, layer.gate.apply(y)), layer.up.apply(y))));
      mx.eval(hidden);
      // transformers' tuple holds the final norm's output in place of the last layer's.
      if (wanted.has(i + 1)) states.set(i + 1, i + 1 === config.num_hidden_layers ? mx.fast.rmsNorm(hidden, this.finalNorm!, eps) : hidden);
      yield;
    }
    return indices.map((index) => states.get(index)!);
  }
}

/** [B, KV, L, D] → [B, KV·n, L, D], each key/value head repeated for its n query heads (transformers' repeat_kv). */
function repeatKv(mx: MxBackend, x: MxArray, n: number): MxArray {
  const [batch, kv, length, dim] = x.shape as [number, number, number, number];
  const expanded = mx.broadcastTo(mx.expandDims(x, 2), [batch, kv, n, length, dim]);
  return mx.reshape(expanded, batch, kv * n, length, dim);
}
