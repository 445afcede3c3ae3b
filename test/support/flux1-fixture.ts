// Writes tiny FLUX.1 folders in each real layout (diffusers folders; BFL single
// files with and without the `model.diffusion_model.` prefix; ae.safetensors)
// from one set of seeded random weights, so every layout must produce the same
// image. Text encoders and tokenizers are the committed transformers fixture.

import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MxArray } from '../../main/engine/mlx/backend.ts';
import { fluxParamShapes, type FluxConfig } from '../../main/engine/models/flux/config.ts';
import { BFL_PREFIX, diffusersFluxMapping } from '../../main/engine/models/flux1/transformer-layouts.ts';
import { keyStream } from '../../main/engine/models/layers.ts';
import { bflVaeName, vaeDecoderParamShapes, type VaeConfig } from '../../main/engine/models/vae/decoder.ts';
import { mx } from './mlx.ts';

export const TEXT_FIXTURE = new URL('../fixtures/flux1-text-encoders/', import.meta.url).pathname;

/** Wide enough (128) that MLX quantizes most linears at 8 bits and the MLP ones at 4; txt_in and vector_in take the fixture encoders' 32. */
export function tinyFluxConfig(guidanceEmbed: boolean): FluxConfig {
  return {
    inChannels: 64,
    hiddenSize: 128,
    numHeads: 2,
    mlpRatio: 4,
    depth: 2,
    depthSingle: 2,
    axesDim: [8, 28, 28],
    theta: 10000,
    contextInDim: 32,
    vecInDim: 32,
    qkvBias: true,
    guidanceEmbed,
  };
}

export const TINY_VAE: VaeConfig = {
  latent_channels: 16,
  out_channels: 3,
  block_out_channels: [8, 8, 16, 16],
  layers_per_block: 1,
  norm_num_groups: 4,
  scaling_factor: 0.3611,
  shift_factor: 0.1159,
  use_post_quant_conv: false,
  mid_block_add_attention: true,
};

function random(shapes: Readonly<Record<string, readonly number[]>>, seed: number): Record<string, MxArray> {
  const next = keyStream(mx, seed);
  const params: Record<string, MxArray> = {};
  for (const name of Object.keys(shapes).sort()) {
    const shape = [...shapes[name]!];
    const isScale = /(\.scale|norm\d?\.weight|norm_out\.weight|group_norm\.weight|conv_norm_out\.weight)$/.test(name);
    const fanIn = shape.length > 1 ? shape.slice(1).reduce((a, b) => a * b, 1) : 1;
    const std = shape.length > 1 ? 1 / Math.sqrt(fanIn) : 0.1;
    const noise = mx.random.normal(shape, mx.float32, 0, std, next());
    params[name] = isScale ? mx.add(noise, 1) : noise;
  }
  mx.eval(Object.values(params));
  return params;
}

export interface TinyWeights {
  readonly config: FluxConfig;
  /** BFL names. */
  readonly transformer: Record<string, MxArray>;
  /** diffusers names. */
  readonly vae: Record<string, MxArray>;
}

export function tinyWeights(variant: 'dev' | 'schnell', seed = 3): TinyWeights {
  const config = tinyFluxConfig(variant === 'dev');
  return { config, transformer: random(fluxParamShapes(config), seed), vae: random(vaeDecoderParamShapes(TINY_VAE), seed + 1) };
}

export type TransformerLayout = 'diffusers' | 'bfl' | 'bfl-prefixed';
export type VaeLayout = 'diffusers' | 'bfl';

function copyTextParts(dir: string): void {
  for (const part of ['text_encoder', 'text_encoder_2', 'tokenizer', 'tokenizer_2']) {
    cpSync(join(TEXT_FIXTURE, part), join(dir, part), { recursive: true });
  }
}

/** BFL-named transformer weights → diffusers names, undoing the engine's mapping (q/k/v split, final adaLN halves swapped). */
export function toDiffusers(config: FluxConfig, bfl: Record<string, MxArray>): Record<string, MxArray> {
  const out: Record<string, MxArray> = {};
  for (const { name, parts, swapHalves } of diffusersFluxMapping(config)) {
    let value = bfl[name]!;
    if (swapHalves) {
      const [a, b] = mx.split(value, 2, 0) as [MxArray, MxArray];
      value = mx.concatenate([b, a], 0);
    }
    const bounds: number[] = [];
    let at = 0;
    for (const part of parts.slice(0, -1)) bounds.push((at += part.rows));
    const pieces = parts.length === 1 ? [value] : mx.split(value, bounds, 0);
    parts.forEach((part, i) => (out[part.stored] = pieces[i]!));
  }
  return out;
}

export function writeTinyFlux1(weights: TinyWeights, layout: { transformer: TransformerLayout; vae: VaeLayout }, dir = mkdtempSync(join(tmpdir(), 'flux1-'))): string {
  const { config } = weights;
  copyTextParts(dir);
  if (layout.transformer === 'diffusers') {
    const folder = join(dir, 'transformer');
    mkdirSync(folder);
    writeFileSync(
      join(folder, 'config.json'),
      JSON.stringify({
        _class_name: 'FluxTransformer2DModel',
        attention_head_dim: config.hiddenSize / config.numHeads,
        axes_dims_rope: config.axesDim,
        guidance_embeds: config.guidanceEmbed,
        in_channels: config.inChannels,
        joint_attention_dim: config.contextInDim,
        num_attention_heads: config.numHeads,
        num_layers: config.depth,
        num_single_layers: config.depthSingle,
        patch_size: 1,
        pooled_projection_dim: config.vecInDim,
      }),
    );
    // Two shards and an index, as diffusers writes large models.
    const named = toDiffusers(config, weights.transformer);
    const names = Object.keys(named).sort();
    const half = Math.ceil(names.length / 2);
    const shards = [names.slice(0, half), names.slice(half)];
    const weightMap: Record<string, string> = {};
    shards.forEach((shardNames, i) => {
      const file = `diffusion_pytorch_model-0000${i + 1}-of-00002.safetensors`;
      mx.saveSafetensors(join(folder, file), Object.fromEntries(shardNames.map((n) => [n, named[n]!.astype(mx.bfloat16)])));
      for (const n of shardNames) weightMap[n] = file;
    });
    writeFileSync(join(folder, 'diffusion_pytorch_model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
  } else {
    const prefix = layout.transformer === 'bfl-prefixed' ? BFL_PREFIX : '';
    const named = Object.fromEntries(Object.entries(weights.transformer).map(([n, v]) => [prefix + n, v.astype(mx.bfloat16)]));
    mx.saveSafetensors(join(dir, config.guidanceEmbed ? 'flux1-dev.safetensors' : 'flux1-schnell.safetensors'), named);
  }
  if (layout.vae === 'diffusers') {
    mkdirSync(join(dir, 'vae'));
    writeFileSync(join(dir, 'vae', 'config.json'), JSON.stringify({ _class_name: 'AutoencoderKL', ...TINY_VAE, in_channels: 3, use_quant_conv: false }));
    // The encoder half ships in the same file; the engine must skip it.
    const encoder = { 'encoder.conv_in.weight': mx.zeros([8, 3, 3, 3]), 'encoder.conv_in.bias': mx.zeros([8]) };
    mx.saveSafetensors(join(dir, 'vae', 'diffusion_pytorch_model.safetensors'), { ...weights.vae, ...encoder });
  } else {
    const named: Record<string, MxArray> = {};
    for (const [name, value] of Object.entries(weights.vae)) {
      const bfl = bflVaeName(name, TINY_VAE);
      named[bfl] = /attn_1\.(q|k|v|proj_out)\.weight$/.test(bfl) ? value.reshape(value.shape[0]!, value.shape[1]!, 1, 1) : value;
    }
    mx.saveSafetensors(join(dir, 'ae.safetensors'), named);
  }
  return dir;
}
