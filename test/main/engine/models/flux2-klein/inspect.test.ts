// FLUX.2 klein folders as the product meets them: recognised from their files
// and never mistaken for Z-Image or FLUX.1 (nor those for klein), step-distilled
// told from Base and 4B from 9B, loaded through the engine's one loader; and
// ComfyUI's single files, built here from the fixture by renaming its keys.

import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Generator } from '../../../../../main/engine/generate.ts';
import type { MxArray } from '../../../../../main/engine/mlx/backend.ts';
import { loadNpmBackend } from '../../../../../main/engine/mlx/load-backend.ts';
import { psnr } from '../../../../../main/engine/metrics/psnr.ts';
import { BFL_KLEIN_PREFIX } from '../../../../../main/engine/models/flux2-klein/bfl-layout.ts';
import { flux2DecoderConfig } from '../../../../../main/engine/models/flux2-klein/vae.ts';
import { bflVaeName, bflVaeShape } from '../../../../../main/engine/models/vae/decoder.ts';
import { Flux2ConfigSchema } from '../../../../../main/engine/models/flux2-klein/config.ts';
import { inspectKleinFolder, kleinSize, looksLikeKlein } from '../../../../../main/engine/models/flux2-klein/inspect.ts';
import { Flux2KleinModel, kleinName } from '../../../../../main/engine/models/flux2-klein/klein-model.ts';
import { looksLikeFlux1 } from '../../../../../main/engine/models/flux1/inspect.ts';
import { checkModelFolder, loadModel, modelKind } from '../../../../../main/engine/models/load-model.ts';
import { looksLikeZImage } from '../../../../../main/engine/models/z-image/inspect.ts';
import { tinyWeights, writeTinyFlux1 } from '../../../../support/flux1-fixture.ts';
import { mx, values } from '../../../../support/mlx.ts';
import { expectedKlein, FLUX2_KLEIN_FIXTURE } from './support.ts';

const { info } = loadNpmBackend();

const FIXTURES = new URL('../../../../fixtures/', import.meta.url).pathname;
const made: string[] = [];
afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A copy of the klein fixture under `name`, to rename or break. */
function kleinCopy(name = 'flux2-klein'): string {
  const root = mkdtempSync(join(tmpdir(), 'klein-'));
  made.push(root);
  const dir = join(root, name);
  cpSync(FLUX2_KLEIN_FIXTURE, dir, { recursive: true });
  return dir;
}

function editIndex(dir: string, edit: (index: Record<string, unknown>) => void): void {
  const file = join(dir, 'model_index.json');
  const index = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  edit(index);
  writeFileSync(file, JSON.stringify(index));
}

describe('which family reads a folder', () => {
  const flux1 = writeTinyFlux1(tinyWeights('schnell'), { transformer: 'diffusers', vae: 'diffusers' });
  made.push(flux1);

  it('reads a klein folder as klein, through checkModelFolder with its variant', () => {
    expect(modelKind(FLUX2_KLEIN_FIXTURE)).toBe('flux2-klein');
    expect(checkModelFolder(FLUX2_KLEIN_FIXTURE)).toEqual({ kind: 'flux2-klein', variant: 'distilled', problems: [] });
  });

  it("is not claimed by Z-Image's or FLUX.1's recogniser, and klein's claims neither of theirs", () => {
    expect(looksLikeZImage(FLUX2_KLEIN_FIXTURE)).toBe(false);
    expect(looksLikeFlux1(FLUX2_KLEIN_FIXTURE)).toBe(false);
    for (const dir of [join(FIXTURES, 'z-image-turbo'), join(FIXTURES, 'z-image-base'), flux1]) expect(looksLikeKlein(dir)).toBe(false);
    expect(modelKind(join(FIXTURES, 'z-image-turbo'))).toBe('z-image');
    expect(modelKind(flux1)).toBe('flux1');
  });

  it('reads a klein folder without model_index.json as klein by its transformer, and names the missing file', () => {
    const dir = kleinCopy();
    rmSync(join(dir, 'model_index.json'));
    expect(modelKind(dir)).toBe('flux2-klein');
    expect(checkModelFolder(dir).problems.map((p) => p.message).join('\n')).toMatch(/model_index\.json is missing; .*is_distilled/);
  });

  it('leaves FLUX.2 [dev] (Flux2Pipeline) to no family rather than misreading it as klein', () => {
    const dir = kleinCopy();
    editIndex(dir, (index) => (index._class_name = 'Flux2Pipeline'));
    expect(looksLikeKlein(dir)).toBe(false);
    expect(looksLikeFlux1(dir)).toBe(false);
    expect(checkModelFolder(dir).problems[0]!.message).toMatch(/holds no model the engine knows: .*FLUX\.2 klein 4B or 9B folder/);
  });
});

describe('step-distilled or Base', () => {
  it("follows model_index.json's is_distilled, and diffusers' default (Base) when it is silent", () => {
    const dir = kleinCopy();
    editIndex(dir, (index) => (index.is_distilled = false));
    expect(inspectKleinFolder(dir).variant).toBe('base');
    editIndex(dir, (index) => delete index.is_distilled);
    expect(inspectKleinFolder(dir).variant).toBe('base');
    editIndex(dir, (index) => (index.is_distilled = 'yes'));
    expect(checkModelFolder(dir).problems[0]!.message).toMatch(/is_distilled must be true or false, got "yes"/);
  });

  it('gives each variant its defaults and name', async () => {
    const dir = kleinCopy();
    editIndex(dir, (index) => (index.is_distilled = false));
    const base = await loadModel(mx, dir);
    expect(base).toBeInstanceOf(Flux2KleinModel);
    expect(base.info).toMatchObject({ id: 'flux2-klein-base', name: 'FLUX.2 [klein] Base' });
    expect(base.defaults).toMatchObject({ steps: 50, guidanceScale: 4, guidanceRule: 'above-one', empiricalMu: true });
    const distilled = await loadModel(mx, FLUX2_KLEIN_FIXTURE);
    expect(distilled.info).toMatchObject({ id: 'flux2-klein-distilled', name: 'FLUX.2 [klein]' });
    expect(distilled.defaults).toMatchObject({ steps: 4, guidanceScale: 1, guidanceRule: 'never' });
  });
});

describe('4B or 9B', () => {
  const released = (num_layers: number, num_single_layers: number, num_attention_heads: number, joint_attention_dim: number) =>
    Flux2ConfigSchema.parse({ num_layers, num_single_layers, num_attention_heads, joint_attention_dim, guidance_embeds: false });

  it("is read from the transformer's config (5 + 20 blocks of 24 heads, 8 + 24 of 32), and named", () => {
    expect(kleinSize(released(5, 20, 24, 7680))).toBe('4B');
    expect(kleinSize(released(8, 24, 32, 12288))).toBe('9B');
    expect(kleinSize(released(1, 2, 2, 48))).toBeUndefined();
    expect(inspectKleinFolder(FLUX2_KLEIN_FIXTURE).size).toBeUndefined();
    expect(kleinName({ variant: 'distilled', size: '4B' })).toBe('FLUX.2 [klein] 4B');
    expect(kleinName({ variant: 'base', size: '9B' })).toBe('FLUX.2 [klein] 9B Base');
  });
});

/**
 * The fixture's diffusers transformer written back in BFL's names, the inverse
 * of diffusers' convert_flux2_transformer_checkpoint_to_diffusers (written out
 * here, not taken from the engine's mapping): q/k/v fused, the final layer's
 * halves back in (shift, scale) order, q/k norms as `.scale`.
 */
function bflTransformer(prefix: string): Record<string, MxArray> {
  const { checkpoint } = inspectKleinFolder(FLUX2_KLEIN_FIXTURE).transformer;
  const take = (name: string) => checkpoint.take(mx, name);
  const out: Record<string, MxArray> = {};
  const put = (name: string, value: MxArray) => (out[prefix + name] = value);
  const renames: Record<string, string> = {
    'x_embedder.weight': 'img_in.weight',
    'context_embedder.weight': 'txt_in.weight',
    'time_guidance_embed.timestep_embedder.linear_1.weight': 'time_in.in_layer.weight',
    'time_guidance_embed.timestep_embedder.linear_2.weight': 'time_in.out_layer.weight',
    'double_stream_modulation_img.linear.weight': 'double_stream_modulation_img.lin.weight',
    'double_stream_modulation_txt.linear.weight': 'double_stream_modulation_txt.lin.weight',
    'single_stream_modulation.linear.weight': 'single_stream_modulation.lin.weight',
    'proj_out.weight': 'final_layer.linear.weight',
  };
  for (const [from, to] of Object.entries(renames)) put(to, take(from));
  const [scale, shift] = mx.split(take('norm_out.linear.weight'), 2, 0);
  put('final_layer.adaLN_modulation.1.weight', mx.concatenate([shift!, scale!], 0));
  const double: Record<string, string> = {
    'img_attn.norm.query_norm.scale': 'attn.norm_q.weight',
    'img_attn.norm.key_norm.scale': 'attn.norm_k.weight',
    'img_attn.proj.weight': 'attn.to_out.0.weight',
    'img_mlp.0.weight': 'ff.linear_in.weight',
    'img_mlp.2.weight': 'ff.linear_out.weight',
    'txt_attn.norm.query_norm.scale': 'attn.norm_added_q.weight',
    'txt_attn.norm.key_norm.scale': 'attn.norm_added_k.weight',
    'txt_attn.proj.weight': 'attn.to_add_out.weight',
    'txt_mlp.0.weight': 'ff_context.linear_in.weight',
    'txt_mlp.2.weight': 'ff_context.linear_out.weight',
  };
  const single: Record<string, string> = {
    'linear1.weight': 'attn.to_qkv_mlp_proj.weight',
    'linear2.weight': 'attn.to_out.weight',
    'norm.query_norm.scale': 'attn.norm_q.weight',
    'norm.key_norm.scale': 'attn.norm_k.weight',
  };
  const { num_layers, num_single_layers } = inspectKleinFolder(FLUX2_KLEIN_FIXTURE).transformer.config;
  for (let i = 0; i < num_layers; i++) {
    const d = `transformer_blocks.${i}.attn.`;
    put(`double_blocks.${i}.img_attn.qkv.weight`, mx.concatenate(['to_q', 'to_k', 'to_v'].map((n) => take(`${d}${n}.weight`)), 0));
    put(`double_blocks.${i}.txt_attn.qkv.weight`, mx.concatenate(['add_q_proj', 'add_k_proj', 'add_v_proj'].map((n) => take(`${d}${n}.weight`)), 0));
    for (const [to, from] of Object.entries(double)) put(`double_blocks.${i}.${to}`, take(`transformer_blocks.${i}.${from}`));
  }
  for (let i = 0; i < num_single_layers; i++) {
    for (const [to, from] of Object.entries(single)) put(`single_blocks.${i}.${to}`, take(`single_transformer_blocks.${i}.${from}`));
  }
  return out;
}

/** A ComfyUI-style folder from the fixture: the transformer, flux2-vae and qwen_3_4b single files beside tokenizer/. */
function comfyFolder(name: string, transformerFile: string, prefix: string): string {
  const dir = kleinCopy(name);
  const parts = inspectKleinFolder(FLUX2_KLEIN_FIXTURE);
  mx.saveSafetensors(join(dir, transformerFile), bflTransformer(prefix));
  // The autoencoder in the LDM names ComfyUI's flux2-vae.safetensors uses, quant convs inside encoder and decoder.
  const vae = parts.vae.checkpoint;
  const ae: Record<string, MxArray> = {};
  const decoderConfig = flux2DecoderConfig(parts.vae.config);
  for (const stored of vae.tensors.keys()) {
    const value = vae.take(mx, stored);
    if (stored.startsWith('bn.') || stored.startsWith('encoder.')) ae[stored] = value;
    else if (stored.startsWith('quant_conv.')) ae[`encoder.${stored}`] = value;
    else if (stored.startsWith('post_quant_conv.')) ae[`decoder.${stored}`] = value;
    else {
      const bfl = bflVaeName(stored, decoderConfig);
      ae[bfl] = value.reshape(bflVaeShape(bfl, [...value.shape]));
    }
  }
  mx.saveSafetensors(join(dir, 'flux2-vae.safetensors'), ae);
  const text = parts.textEncoder.checkpoint;
  const qwen: Record<string, MxArray> = {};
  for (const stored of text.tensors.keys()) qwen[stored.startsWith('model.') ? stored : `model.${stored}`] = text.take(mx, stored);
  mx.saveSafetensors(join(dir, 'qwen_3_4b.safetensors'), qwen);
  for (const part of ['transformer', 'vae', 'text_encoder', 'scheduler']) rmSync(join(dir, part), { recursive: true });
  for (const file of ['model_index.json', 'expected.safetensors', 'expected.json']) rmSync(join(dir, file));
  return dir;
}

describe("ComfyUI's single files", () => {
  const run = async (dir: string) => {
    const model = await loadModel(mx, dir, { quantize: 'none' });
    const noise = (mx.load(join(FLUX2_KLEIN_FIXTURE, 'noise.safetensors')) as Record<string, MxArray>)['noise']!;
    return (await new Generator(mx, info, model).generate({ prompt: 'a red cat', seed: 0, steps: 4, width: 64, height: 96, cache: { enabled: false } }, { noise })).rgb;
  };

  it.each([
    ['model.diffusion_model.', 'flux-2-klein-4b.safetensors'],
    ['', 'flux-2-klein-4b-bf16.safetensors'],
  ])('(prefix %j) are read as klein, with the diffusers folder\'s config, and give its image byte for byte', async (prefix, file) => {
    const dir = comfyFolder('comfy', file, prefix);
    expect(modelKind(dir)).toBe('flux2-klein');
    expect(looksLikeZImage(dir)).toBe(false);
    const parts = inspectKleinFolder(dir);
    expect(parts.transformer.config).toEqual(inspectKleinFolder(FLUX2_KLEIN_FIXTURE).transformer.config);
    expect(parts.vae.config).toEqual(inspectKleinFolder(FLUX2_KLEIN_FIXTURE).vae.config);
    expect(parts.textEncoder.layout).toBe('single-file');
    expect(parts.variant).toBe('distilled');
    const reference = Uint8Array.from(values(expectedKlein()['prompt_run.distilled.rgb']!));
    const rgb = await run(dir);
    expect(rgb).toEqual(await run(FLUX2_KLEIN_FIXTURE));
    expect(psnr(rgb, reference)).toBeGreaterThan(45);
  });

  it('are Base when the transformer file or folder says so, and name every missing or doubled part', () => {
    expect(inspectKleinFolder(comfyFolder('comfy', 'flux-2-klein-base-4b.safetensors', BFL_KLEIN_PREFIX)).variant).toBe('base');
    expect(inspectKleinFolder(comfyFolder('FLUX.2-klein-base-4B', 'flux-2-klein-4b.safetensors', BFL_KLEIN_PREFIX)).variant).toBe('base');
    const broken = comfyFolder('comfy', 'flux-2-klein-4b.safetensors', BFL_KLEIN_PREFIX);
    rmSync(join(broken, 'flux2-vae.safetensors'));
    cpSync(join(broken, 'qwen_3_4b.safetensors'), join(broken, 'qwen_3_4b_fp16.safetensors'));
    const problems = checkModelFolder(broken).problems.map((p) => p.message).join('\n');
    expect(problems).toMatch(/has no FLUX\.2 autoencoder: expected a vae\/ folder \(diffusers layout\) or ComfyUI's flux2-vae\*\.safetensors/);
    expect(problems).toMatch(/holds several Qwen3 text encoders \(qwen_3_4b\.safetensors, qwen_3_4b_fp16\.safetensors\)/);
  });
});
