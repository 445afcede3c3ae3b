// FLUX.2 klein's single files in BFL's layout, as ComfyUI loads them: the
// transformer (flux-2-klein*.safetensors, names optionally under
// model.diffusion_model.) mapped onto diffusers' names as diffusers'
// convert_flux2_transformer_checkpoint_to_diffusers does (fused q/k/v split,
// the final layer's shift/scale swapped, norm scales as weights), its config
// read from shapes; and the autoencoder (flux2-vae*.safetensors) in the LDM
// layout with its quant convs inside encoder and decoder. Runs in the engine.

import type { MxArray, MxBackend } from '../../mlx/backend.ts';
import type { Checkpoint } from '../../io/checkpoint.ts';
import type { TensorPlan } from '../../io/materialize.ts';
import { EngineError } from '../../../core/errors.ts';
import type { ParamShapes } from '../layers.ts';
import { bflVaeName, vaeConfigFromBflShapes } from '../vae/decoder.ts';
import { Flux2ConfigSchema, flux2ParamShapes, type Flux2Config } from './config.ts';
import { flux2DecoderConfig, Flux2VaeConfigSchema, type Flux2VaeConfig } from './vae.ts';

/** ComfyUI's files carry this prefix or none (diffusers' single-file check looks for both). */
export const BFL_KLEIN_PREFIX = 'model.diffusion_model.';
/** A key only FLUX.2's transformer has (diffusers' CHECKPOINT_KEY_NAMES["flux2"]). */
export const BFL_KLEIN_KEY = 'single_stream_modulation.lin.weight';

/** Where one diffusers parameter comes from: a stored tensor, a third of it, or its two halves swapped. */
export interface BflSource {
  readonly stored: string;
  /** Which third (q 0, k 1, v 2) of a fused q/k/v weight's rows. */
  readonly third?: number;
  /** BFL's (shift, scale) stored where diffusers has (scale, shift). */
  readonly swapHalves?: boolean;
}

const RENAMES: readonly (readonly [RegExp, string])[] = [
  [/^x_embedder\./, 'img_in.'],
  [/^context_embedder\./, 'txt_in.'],
  [/^time_guidance_embed\.timestep_embedder\.linear_1\./, 'time_in.in_layer.'],
  [/^time_guidance_embed\.timestep_embedder\.linear_2\./, 'time_in.out_layer.'],
  [/^time_guidance_embed\.guidance_embedder\.linear_1\./, 'guidance_in.in_layer.'],
  [/^time_guidance_embed\.guidance_embedder\.linear_2\./, 'guidance_in.out_layer.'],
  [/^(double_stream_modulation_img|double_stream_modulation_txt|single_stream_modulation)\.linear\./, '$1.lin.'],
  [/^proj_out\./, 'final_layer.linear.'],
  [/^transformer_blocks\.(\d+)\.attn\.to_out\.0\./, 'double_blocks.$1.img_attn.proj.'],
  [/^transformer_blocks\.(\d+)\.attn\.to_add_out\./, 'double_blocks.$1.txt_attn.proj.'],
  [/^transformer_blocks\.(\d+)\.ff\.linear_in\./, 'double_blocks.$1.img_mlp.0.'],
  [/^transformer_blocks\.(\d+)\.ff\.linear_out\./, 'double_blocks.$1.img_mlp.2.'],
  [/^transformer_blocks\.(\d+)\.ff_context\.linear_in\./, 'double_blocks.$1.txt_mlp.0.'],
  [/^transformer_blocks\.(\d+)\.ff_context\.linear_out\./, 'double_blocks.$1.txt_mlp.2.'],
  [/^single_transformer_blocks\.(\d+)\.attn\.to_qkv_mlp_proj\./, 'single_blocks.$1.linear1.'],
  [/^single_transformer_blocks\.(\d+)\.attn\.to_out\./, 'single_blocks.$1.linear2.'],
];

const NORMS: readonly (readonly [RegExp, string])[] = [
  [/^transformer_blocks\.(\d+)\.attn\.norm_q\.weight$/, 'double_blocks.$1.img_attn.norm.query_norm'],
  [/^transformer_blocks\.(\d+)\.attn\.norm_k\.weight$/, 'double_blocks.$1.img_attn.norm.key_norm'],
  [/^transformer_blocks\.(\d+)\.attn\.norm_added_q\.weight$/, 'double_blocks.$1.txt_attn.norm.query_norm'],
  [/^transformer_blocks\.(\d+)\.attn\.norm_added_k\.weight$/, 'double_blocks.$1.txt_attn.norm.key_norm'],
  [/^single_transformer_blocks\.(\d+)\.attn\.norm_q\.weight$/, 'single_blocks.$1.norm.query_norm'],
  [/^single_transformer_blocks\.(\d+)\.attn\.norm_k\.weight$/, 'single_blocks.$1.norm.key_norm'],
];

const FUSED = /^transformer_blocks\.(\d+)\.attn\.(to_q|to_k|to_v|add_q_proj|add_k_proj|add_v_proj)\.weight$/;

/**
 * Every diffusers parameter of `config` with its source in a BFL file: names
 * without `prefix`; `hasScale` says whether a norm is stored as `.scale`
 * (BFL's) rather than `.weight`.
 */
export function bflKleinSources(config: Flux2Config, prefix: string, hasScale: (stored: string) => boolean): Map<string, BflSource> {
  const sources = new Map<string, BflSource>();
  for (const name of Object.keys(flux2ParamShapes(config))) {
    const fused = FUSED.exec(name);
    if (fused) {
      const which = fused[2]!;
      const stream = which.startsWith('add_') ? 'txt' : 'img';
      const index = ['q', 'k', 'v'].indexOf(which.replace(/^to_|^add_|_proj$/g, ''));
      sources.set(name, { stored: `${prefix}double_blocks.${fused[1]}.${stream}_attn.qkv.weight`, third: index });
      continue;
    }
    if (name === 'norm_out.linear.weight') {
      sources.set(name, { stored: `${prefix}final_layer.adaLN_modulation.1.weight`, swapHalves: true });
      continue;
    }
    const norm = NORMS.find(([pattern]) => pattern.test(name));
    if (norm) {
      const base = prefix + name.replace(norm[0], norm[1]);
      sources.set(name, { stored: hasScale(`${base}.scale`) ? `${base}.scale` : `${base}.weight` });
      continue;
    }
    const rename = RENAMES.find(([pattern]) => pattern.test(name));
    if (!rename) throw new Error(`No BFL name for FLUX.2 parameter "${name}".`);
    sources.set(name, { stored: prefix + name.replace(rename[0], rename[1]) });
  }
  return sources;
}

/** The stored shapes those sources imply, for checking a file from its header. */
export function bflKleinStoredShapes(config: Flux2Config, sources: ReadonlyMap<string, BflSource>): ParamShapes {
  const shapes = flux2ParamShapes(config);
  const stored: Record<string, number[]> = {};
  for (const [name, source] of sources) {
    const shape = [...shapes[name]!];
    stored[source.stored] = source.third === undefined ? shape : [3 * shape[0]!, ...shape.slice(1)];
  }
  return stored;
}

/**
 * The configuration of a BFL transformer file, which carries none, from its
 * shapes: widths from the embedders, heads from the q-norm width, depth from
 * the block indices; FLUX.2's four equal RoPE axes, θ and epsilon as released.
 */
export function kleinConfigFromBflShapes(shape: (name: string) => readonly number[] | undefined, names: Iterable<string>, file: string): Flux2Config {
  const need = (name: string): readonly number[] => {
    const s = shape(name);
    if (!s) throw new EngineError('MODEL_INVALID', `${file} has no "${name}": it is not a FLUX.2 transformer in BFL's (ComfyUI's) layout.`, { file, name });
    return s;
  };
  const [width, inChannels] = need('img_in.weight') as [number, number];
  const outChannels = need('final_layer.linear.weight')[0]!;
  const head = (shape('double_blocks.0.img_attn.norm.query_norm.scale') ?? need('single_blocks.0.norm.query_norm.scale'))[0]!;
  let layers = 0;
  let singles = 0;
  let guidance = false;
  for (const name of names) {
    const d = /^double_blocks\.(\d+)\./.exec(name);
    if (d) layers = Math.max(layers, Number(d[1]) + 1);
    const s = /^single_blocks\.(\d+)\./.exec(name);
    if (s) singles = Math.max(singles, Number(s[1]) + 1);
    if (name.startsWith('guidance_in.')) guidance = true;
  }
  const mlpIn = layers > 0 ? need('double_blocks.0.img_mlp.0.weight')[0]! : need('single_blocks.0.linear1.weight')[0]! - 3 * width;
  const parsed = Flux2ConfigSchema.safeParse({
    in_channels: inChannels,
    // diffusers' configs say null for "as many as in_channels".
    out_channels: outChannels === inChannels ? null : outChannels,
    num_layers: layers,
    num_single_layers: singles,
    attention_head_dim: head,
    num_attention_heads: width / head,
    joint_attention_dim: need('txt_in.weight')[1]!,
    timestep_guidance_channels: need('time_in.in_layer.weight')[1]!,
    mlp_ratio: mlpIn / 2 / width,
    axes_dims_rope: Array.from({ length: 4 }, () => head / 4),
    guidance_embeds: guidance,
  });
  if (!parsed.success || !Number.isInteger(width / head) || (head / 4) % 2 !== 0) {
    throw new EngineError('MODEL_INVALID', `${file} has FLUX.2's keys but shapes no klein has (img_in [${width}, ${inChannels}], head width ${head}).`, { file });
  }
  return parsed.data;
}

/**
 * The transformer's parameters under diffusers' names, built from a BFL file:
 * each fused q/k/v weight is read once and sliced three ways.
 */
export function bflKleinPlans(mx: MxBackend, checkpoint: Checkpoint, sources: ReadonlyMap<string, BflSource>): TensorPlan[] {
  // A fused weight is held from its first third's build to its last's.
  const held = new Map<string, { thirds: MxArray[]; left: number }>();
  const fused = (stored: string, third: number): MxArray => {
    let entry = held.get(stored);
    if (!entry) held.set(stored, (entry = { thirds: mx.split(checkpoint.take(mx, stored), 3, 0), left: 3 }));
    if (--entry.left === 0) held.delete(stored);
    return entry.thirds[third]!;
  };
  return [...sources].map(([name, source]) => ({
    name,
    build: () => {
      if (source.third !== undefined) return fused(source.stored, source.third);
      const value = checkpoint.take(mx, source.stored);
      if (!source.swapHalves) return value;
      const [shift, scale] = mx.split(value, 2, 0);
      return mx.concatenate([scale!, shift!], 0);
    },
    // Every FLUX.2 weight is a linear layer's but the q/k RMSNorm scales.
    linearWeight: !/\.norm_(q|k|added_q|added_k)\.weight$/.test(name),
    bytes: checkpoint.bytes([source.stored]) / (source.third === undefined ? 1 : 3),
  }));
}

/** The decoder-side name in a FLUX.2 autoencoder file (BFL's and ComfyUI's flux2-vae.safetensors). */
export function bflFlux2VaeName(name: string, config: Flux2VaeConfig): string {
  if (name.startsWith('bn.')) return name;
  if (name.startsWith('post_quant_conv.')) return `decoder.${name}`;
  return bflVaeName(name, flux2DecoderConfig(config));
}

/** A FLUX.2 autoencoder file's configuration from its decoder's shapes (the file carries none). */
export function flux2VaeConfigFromBflShapes(shape: (name: string) => readonly number[] | undefined, names: readonly string[], file: string): Flux2VaeConfig {
  let decoder;
  try {
    decoder = vaeConfigFromBflShapes(shape, names, file);
  } catch (error) {
    throw new EngineError('MODEL_INVALID', (error as Error).message, { file }, { cause: error });
  }
  return Flux2VaeConfigSchema.parse({
    out_channels: shape('decoder.conv_out.weight')?.[0] ?? 3,
    latent_channels: decoder.latent_channels,
    block_out_channels: decoder.block_out_channels,
    layers_per_block: decoder.layers_per_block,
    norm_num_groups: decoder.norm_num_groups,
    use_post_quant_conv: names.includes('decoder.post_quant_conv.weight'),
    mid_block_add_attention: names.some((n) => n.startsWith('decoder.mid.attn_1.')),
  });
}
