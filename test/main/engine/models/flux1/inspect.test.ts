// Checking FLUX.1 folders before loading: each kind of bad file gets a problem
// naming the file and what was expected, all problems at once.

import { appendFileSync, cpSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkFlux1Folder, inspectFlux1Folder } from '../../../../../main/engine/models/flux1/inspect.ts';
import { checkModelFolder, modelKind } from '../../../../../main/engine/models/load-model.ts';
import { tinyWeights, writeTinyFlux1, type TinyWeights } from '../../../../support/flux1-fixture.ts';
import { mx } from '../../../../support/mlx.ts';

let weights: TinyWeights;
let good: string;
const dirs: string[] = [];

beforeAll(() => {
  weights = tinyWeights('dev');
  good = writeTinyFlux1(weights, { transformer: 'diffusers', vae: 'diffusers' });
  dirs.push(good);
});
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A copy of the good folder with one thing broken. */
function broken(breakIt: (dir: string) => void, layout?: Parameters<typeof writeTinyFlux1>[1]): string {
  const dir = layout ? writeTinyFlux1(weights, layout) : `${good}-copy-${dirs.length}`;
  if (!layout) cpSync(good, dir, { recursive: true });
  dirs.push(dir);
  breakIt(dir);
  return dir;
}

function problems(dir: string): string {
  const { parts, problems: list } = checkFlux1Folder(dir);
  expect(parts).toBeUndefined();
  expect(list.length).toBeGreaterThan(0);
  return list.map((p) => `${p.path}: ${p.message}`).join('\n');
}

describe('a good folder', () => {
  it('is recognised, with its variant and layouts, and no problems', () => {
    expect(modelKind(good)).toBe('flux1');
    expect(checkModelFolder(good)).toEqual({ kind: 'flux1', variant: 'dev', problems: [] });
    const parts = inspectFlux1Folder(good);
    expect(parts.transformer.source.kind).toBe('diffusers');
    expect(parts.transformer.checkpoint.files).toHaveLength(2);
    expect(parts.vae.layout).toBe('diffusers');
    expect(parts.transformer.config).toMatchObject({ hiddenSize: 128, numHeads: 2, depth: 2, depthSingle: 2, guidanceEmbed: true });
  });

  it('reads a BFL file’s configuration from its shapes alone', () => {
    const dir = broken(() => {}, { transformer: 'bfl-prefixed', vae: 'bfl' });
    const parts = inspectFlux1Folder(dir);
    expect(parts.transformer.source).toMatchObject({ kind: 'bfl', prefix: 'model.diffusion_model.' });
    expect(parts.transformer.config).toEqual(weights.config);
    expect(parts.vae.config).toMatchObject({ block_out_channels: [8, 8, 16, 16], layers_per_block: 1, norm_num_groups: 4, latent_channels: 16 });
  });
});

describe('bad files', () => {
  it('a truncated shard: names the shard and the bytes missing', () => {
    const dir = broken((d) => {
      const file = join(d, 'transformer', 'diffusion_pytorch_model-00002-of-00002.safetensors');
      truncateSync(file, statSync(file).size - 100);
    });
    expect(problems(dir)).toMatch(/diffusion_pytorch_model-00002-of-00002\.safetensors is not a valid safetensors file: .*truncated/);
  });

  it('a corrupt header: names the file', () => {
    const dir = broken((d) => {
      const file = join(d, 'text_encoder', 'model.safetensors');
      const bytes = readFileSync(file);
      bytes.write('X', 8); // the header's opening brace
      writeFileSync(file, bytes);
    });
    expect(problems(dir)).toMatch(/text_encoder\/model\.safetensors is not a valid safetensors file: its header is not JSON/);
  });

  it('a missing shard: names the shard and the index', () => {
    const dir = broken((d) => rmSync(join(d, 'text_encoder_2', 'model-00002-of-00002.safetensors')));
    expect(problems(dir)).toMatch(/model\.safetensors\.index\.json lists 2 shards but model-00002-of-00002\.safetensors is missing/);
  });

  it('a wrong shape: names the file, the tensor, the shape found and the shape expected', () => {
    const dir = broken((d) => {
      const file = join(d, 'vae', 'diffusion_pytorch_model.safetensors');
      const tensors = mx.load(file) as Record<string, import('../../../../../main/engine/mlx/backend.ts').MxArray>;
      tensors['decoder.conv_out.weight'] = mx.zeros([3, 8, 1, 1]);
      mx.saveSafetensors(file, tensors);
    });
    expect(problems(dir)).toMatch(/"decoder\.conv_out\.weight" in diffusion_pytorch_model\.safetensors has shape \[3, 8, 1, 1\], expected \[3, 8, 3, 3\]/);
  });

  it('a wrong dtype: names the tensor, the dtype and what is accepted', () => {
    const dir = broken(() => {}, { transformer: 'bfl', vae: 'bfl' });
    const file = join(dir, 'flux1-dev.safetensors');
    const tensors = mx.load(file) as Record<string, import('../../../../../main/engine/mlx/backend.ts').MxArray>;
    tensors['img_in.weight'] = tensors['img_in.weight']!.astype(mx.int32);
    mx.saveSafetensors(file, tensors);
    expect(problems(dir)).toMatch(/"img_in\.weight" in flux1-dev\.safetensors is I32, expected one of F32, F16, BF16/);
  });

  it('a missing T5 tokenizer.json beside spiece.model: says what is needed and how to make it', () => {
    const dir = broken((d) => {
      renameSync(join(d, 'tokenizer_2', 'tokenizer.json'), join(d, 'tokenizer_2', 'spiece.model'));
    });
    expect(problems(dir)).toMatch(/tokenizer_2\/tokenizer\.json is missing \(the folder has spiece\.model, which the engine does not read.*T5TokenizerFast/s);
  });

  it('a missing CLIP merges.txt: names it', () => {
    const dir = broken((d) => rmSync(join(d, 'tokenizer', 'merges.txt')));
    expect(problems(dir)).toMatch(/needs tokenizer\.json, or vocab\.json and merges\.txt; missing .*tokenizer\/merges\.txt/);
  });

  it('several problems: all reported at once, and load refuses listing them', () => {
    const dir = broken((d) => {
      rmSync(join(d, 'vae'), { recursive: true });
      appendFileSync(join(d, 'text_encoder_2', 'config.json'), 'not json');
    });
    const { problems: list } = checkFlux1Folder(dir);
    expect(list.map((p) => p.path)).toEqual([join(dir, 'vae'), join(dir, 'text_encoder_2', 'config.json')]);
    expect(() => inspectFlux1Folder(dir)).toThrow(/2 problems\): 1\) .* has no autoencoder: expected a vae\/ folder .* 2\) .*config\.json is not valid JSON/);
  });

  it('a folder of something else: says what the engine expects', () => {
    const dir = broken((d) => {
      for (const part of ['transformer', 'vae', 'text_encoder', 'text_encoder_2', 'tokenizer', 'tokenizer_2']) rmSync(join(d, part), { recursive: true });
      writeFileSync(join(d, 'notes.txt'), 'hello');
    });
    expect(checkModelFolder(dir).problems[0]!.message).toMatch(/holds no model the engine knows: expected model\.json .* or a FLUX\.1 dev\/schnell folder/);
  });
});
