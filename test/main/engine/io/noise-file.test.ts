// `--noise FILE`: the latents a reference run started from, for the built-in
// model and FLUX.1 (Z-Image's parity tests use it too); wrong names, dtypes and shapes are refused saying what fits.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Generator } from '../../../../main/engine/generate.ts';
import { readNoiseFile } from '../../../../main/engine/io/noise-file.ts';
import { loadNpmBackend } from '../../../../main/engine/mlx/load-backend.ts';
import { builtinModelDir, PixelFluxModel } from '../../../../main/engine/models/pixel-flux/pixel-flux-model.ts';
import { Flux1Model } from '../../../../main/engine/models/flux1/flux1-model.ts';
import { tinyWeights, writeTinyFlux1 } from '../../../support/flux1-fixture.ts';
import { mx } from '../../../support/mlx.ts';

const dir = mkdtempSync(join(tmpdir(), 'noise-file-'));
const { info } = loadNpmBackend();

function write(name: string, tensors: Record<string, ReturnType<typeof mx.zeros>>): string {
  const file = join(dir, name);
  mx.saveSafetensors(file, tensors);
  return file;
}

describe('--noise files', () => {
  const model = PixelFluxModel.load(mx, builtinModelDir());
  const generator = new Generator(mx, info, model);
  const request = { prompt: 'red heart', seed: 1, steps: 4, cache: { enabled: false } };

  it('replace the seed\'s noise: the built-in model from its own seed noise, given as a file, gives the seed\'s image', async () => {
    const seeded = mx.random.normal(model.noiseShape(64, 64), mx.float32, 0, 1, mx.random.key(9));
    const file = write('builtin.safetensors', { noise: seeded });
    const fromFile = await generator.generate(request, { noise: readNoiseFile(mx, file) });
    const fromSeed = await generator.generate({ ...request, seed: 9 });
    expect(fromFile.rgb).toEqual(fromSeed.rgb);
    expect((await generator.generate(request)).rgb).not.toEqual(fromFile.rgb);
  });

  it.each([
    ['a wrong name', { latents: mx.zeros([1, 3, 64, 64]) }, /holds "latents": it must hold one float32 tensor named "noise"/],
    ['two tensors', { noise: mx.zeros([1, 3, 64, 64]), extra: mx.zeros([1]) }, /holds "extra", "noise"|holds "noise", "extra"/],
    ['float16', { noise: mx.zeros([1, 3, 64, 64], mx.float16) }, /"noise" is F16 \[1, 3, 64, 64\]/],
    ['three axes', { noise: mx.zeros([3, 64, 64]) }, /"noise" is F32 \[3, 64, 64\]/],
  ])('refuse %s', (label, tensors, message) => {
    expect(() => readNoiseFile(mx, write(`${label}.safetensors`, tensors))).toThrow(message);
  });

  it('refuse latents of another size or model, naming the shape that fits', async () => {
    const noise = readNoiseFile(mx, write('latent.safetensors', { noise: mx.zeros([1, 16, 8, 8]) }));
    await expect(generator.generate(request, { noise })).rejects.toThrow(/has shape \[1, 16, 8, 8\], but .* at 64×64 starts from \[1, 3, 64, 64\]/);
  });
});

describe('--noise on FLUX.1', () => {
  it('takes [1, 16, H/8, W/8] latents: its own seed noise, given as a file, gives the seed\'s image', async () => {
    const folder = writeTinyFlux1(tinyWeights('schnell', 3), { transformer: 'diffusers', vae: 'diffusers' });
    const model = await Flux1Model.load(mx, folder, { quantize: 'none' });
    const generator = new Generator(mx, info, model);
    const request = { prompt: 'the red cat', seed: 0, steps: 2, width: 32, height: 32, cache: { enabled: false } };
    expect(model.noiseShape(32, 32)).toEqual([1, 16, 4, 4]);
    const latents = mx.random.normal([1, 16, 4, 4], mx.float32, 0, 1, mx.random.key(6));
    const noise = readNoiseFile(mx, write('flux1.safetensors', { noise: latents }));
    expect((await generator.generate(request, { noise })).rgb).toEqual((await generator.generate({ ...request, seed: 6 })).rgb);
    rmSync(folder, { recursive: true, force: true });
  });
});
