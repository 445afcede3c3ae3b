// Z-Image folders as users have them, and broken ones: recognised from their
// files, refused before any weight is read with every problem named.

import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MxArray } from '../../../../../main/engine/mlx/backend.ts';
import { bflVaeName, bflVaeShape, vaeDecoderParamShapes } from '../../../../../main/engine/models/vae/decoder.ts';
import { checkModelFolder, loadModel, modelKind } from '../../../../../main/engine/models/load-model.ts';
import { zImageConfigFromShapes, zImageParamShapes, COMFY_PREFIX } from '../../../../../main/engine/models/z-image/config.ts';
import { inspectZImageFolder } from '../../../../../main/engine/models/z-image/inspect.ts';
import { builtinModelDir } from '../../../../../main/engine/models/pixel-flux/pixel-flux-model.ts';
import { mx } from '../../../../support/mlx.ts';
import { Generator } from '../../../../../main/engine/generate.ts';
import { loadNpmBackend } from '../../../../../main/engine/mlx/load-backend.ts';

const { info } = loadNpmBackend();

const FIXTURES = new URL('../../../../fixtures/', import.meta.url).pathname;

function copy(variant: string, name = variant): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'z-image-')), name);
  cpSync(join(FIXTURES, variant), dir, { recursive: true });
  return dir;
}

describe('Z-Image folders', () => {
  it('are told apart from FLUX.1 and the built-in model, Turbo from Base by name or model card', () => {
    expect(modelKind(join(FIXTURES, 'z-image-turbo'))).toBe('z-image');
    expect(modelKind(builtinModelDir())).toBe('pixel-flux');
    expect(checkModelFolder(join(FIXTURES, 'z-image-turbo'))).toEqual({ kind: 'z-image', variant: 'turbo', problems: [] });
    expect(checkModelFolder(join(FIXTURES, 'z-image-base'))).toEqual({ kind: 'z-image', variant: 'base', problems: [] });
    const snapshot = copy('z-image-base', 'snapshot-0123');
    expect(inspectZImageFolder(snapshot).variant).toBe('base');
    writeFileSync(join(snapshot, 'README.md'), '---\nlicense: apache-2.0\n---\n# Z-Image\n\nThe distilled Z-Image-Turbo is faster.\n');
    expect(inspectZImageFolder(snapshot).variant).toBe('base');
    writeFileSync(join(snapshot, 'README.md'), '---\nlicense: apache-2.0\n---\n# Z-Image-Turbo\n');
    expect(inspectZImageFolder(snapshot).variant).toBe('turbo');
  });

  it("load from ComfyUI's single files (prefixed, fused q/k/v) with the same weights as the diffusers folder", async () => {
    const dir = copy('z-image-turbo', 'comfy');
    const diffusers = inspectZImageFolder(join(FIXTURES, 'z-image-turbo'));
    const { config, checkpoint } = diffusers.transformer;
    // Rebuild the original release's layout from the diffusers tensors.
    const stored: Record<string, MxArray> = {};
    if (diffusers.transformer.source.kind !== 'diffusers') throw new Error('expected the diffusers layout');
    for (const { name, parts } of diffusers.transformer.source.mapping) {
      const arrays = parts.map((p) => checkpoint.take(mx, p.stored));
      stored[COMFY_PREFIX + name] = arrays.length === 1 ? arrays[0]! : mx.concatenate(arrays, 0);
    }
    checkpoint.close();
    rmSync(join(dir, 'transformer'), { recursive: true });
    mx.saveSafetensors(join(dir, 'z_image_turbo_bf16.safetensors'), stored);
    // FLUX's ae.safetensors in BFL's names, and ComfyUI's single Qwen3 file.
    const { vae } = diffusers;
    const ae: Record<string, MxArray> = {};
    for (const [name, shape] of Object.entries(vaeDecoderParamShapes(vae.config))) {
      const bfl = bflVaeName(name, vae.config);
      ae[bfl] = vae.checkpoint.take(mx, name).reshape(bflVaeShape(bfl, [...shape]));
    }
    mx.saveSafetensors(join(dir, 'ae.safetensors'), ae);
    rmSync(join(dir, 'vae'), { recursive: true });
    const text = diffusers.textEncoder.source.checkpoint;
    const qwen: Record<string, MxArray> = {};
    for (const name of text.tensors.keys()) qwen[name.startsWith('model.') ? name : `model.${name}`] = text.take(mx, name);
    mx.saveSafetensors(join(dir, 'qwen_3_4b.safetensors'), qwen);
    rmSync(join(dir, 'text_encoder'), { recursive: true });
    rmSync(join(dir, 'scheduler'), { recursive: true });
    rmSync(join(dir, 'model_index.json'));
    const parts = inspectZImageFolder(dir);
    expect(parts.transformer.source).toMatchObject({ kind: 'comfy', prefix: COMFY_PREFIX });
    expect(parts.transformer.config).toEqual(config);
    expect(parts.textEncoder.source.layout).toBe('single-file');
    expect(parts.vae.layout).toBe('bfl');
    expect(parts.shift).toBe(3);
    const shapes = zImageParamShapes(config);
    expect(zImageConfigFromShapes((n) => shapes[n], Object.keys(shapes), 'x')).toEqual(config);
    const request = { prompt: 'a red cat', seed: 3, steps: 2, width: 32, height: 32 };
    const [comfy, reference] = await Promise.all([dir, join(FIXTURES, 'z-image-turbo')].map(async (d) => new Generator(mx, info, await loadModel(mx, d, { quantize: 'none' })).generate(request)));
    expect(comfy!.model.id).toBe('z-image-turbo');
    expect(comfy!.rgb).toEqual(reference!.rgb);
  });

  it('refuse a broken folder, naming every problem: truncated weights, a missing tokenizer, wrong shapes', () => {
    const dir = copy('z-image-turbo');
    const weights = join(dir, 'transformer', 'diffusion_pytorch_model.safetensors');
    truncateSync(weights, statSync(weights).size - 100);
    rmSync(join(dir, 'tokenizer', 'tokenizer.json'));
    const vaeConfig = join(dir, 'vae', 'config.json');
    writeFileSync(vaeConfig, JSON.stringify({ ...JSON.parse(readFileSync(vaeConfig, 'utf8')), block_out_channels: [8, 8, 16, 32] }));
    const { problems } = checkModelFolder(dir);
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatchObject({ path: weights, message: expect.stringMatching(/truncated/) });
    expect(problems[1]).toMatchObject({ message: expect.stringMatching(/vae\/.*"decoder\.conv_in\.weight".*has shape \[16, 16, 3, 3\], expected \[32, 16, 3, 3\]/) });
    expect(problems[2]).toMatchObject({ message: expect.stringMatching(/tokenizer\.json/) });
    expect(() => inspectZImageFolder(dir)).toThrow(/3 problems.*truncated.*decoder\.conv_in.*tokenizer\.json/);
  });

  it('refuse a transformer whose config.json disagrees with its weights, and parts from different models', () => {
    const dir = copy('z-image-base');
    const config = join(dir, 'transformer', 'config.json');
    writeFileSync(config, JSON.stringify({ ...JSON.parse(readFileSync(config, 'utf8')), cap_feat_dim: 64 }));
    const messages = checkModelFolder(dir).problems.map((p) => p.message).join('\n');
    expect(messages).toMatch(/"cap_embedder\.1\.weight" in diffusion_pytorch_model\.safetensors has shape \[64, 128\], expected \[64, 64\]/);
  });
});
