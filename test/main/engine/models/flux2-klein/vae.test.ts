// The FLUX.2 decode path against diffusers: AutoencoderKLFlux2 on the tiny
// random klein fixture, from patchified model-space latents through the
// pipeline's BatchNorm de-normalisation and 2×2 unpatchify to pixels.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Flux2Vae, Flux2VaeConfigSchema, flux2PixelsPerToken, flux2VaeDecodeParamShapes } from '../../../../../main/engine/models/flux2-klein/vae.ts';
import { pack } from '../../../../../main/engine/models/packing.ts';
import { mx, values } from '../../../../support/mlx.ts';
import { FLUX2_KLEIN_FIXTURE, expectedKlein, float32Params, maxRelativeError } from './support.ts';

describe('Flux2Vae against diffusers', () => {
  const dir = join(FLUX2_KLEIN_FIXTURE, 'vae');
  const config = Flux2VaeConfigSchema.parse(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')));
  const params = float32Params(join(dir, 'diffusion_pytorch_model.safetensors'));
  const vae = new Flux2Vae(mx, config, params);
  const e = expectedKlein();

  it('reads 32 latent channels, a post-quant conv and BatchNorm eps 1e-4 from the config', () => {
    expect(config).toMatchObject({ latent_channels: 32, use_post_quant_conv: true, batch_norm_eps: 1e-4 });
    expect(flux2PixelsPerToken(config)).toBe(16);
  });

  it('unpatchifies channel c·4 + dy·2 + dx to pixel (2y + dy, 2x + dx) of channel c', () => {
    const identity = new Flux2Vae(mx, config, { ...params, 'bn.running_mean': mx.zeros([128]), 'bn.running_var': mx.array(new Array<number>(128).fill(1 - 1e-4)) });
    const tokens = mx.reshape(mx.arange(2 * 128), 1, 2, 128);
    const latents = identity.denormalize(tokens, 1, 2);
    expect(latents.shape).toEqual([1, 32, 2, 4]);
    const v = values(latents);
    // Channel 5, pixel (1, 2) is token (0, 1) (x = 1, dx = 0, dy = 1), feature 5·4 + 1·2 + 0.
    expect(v[5 * 8 + 1 * 4 + 2]).toBeCloseTo(128 + 22, 3);
  });

  it('decodes as the pipeline does (x·√(var + eps) + mean, unpatchify, post-quant conv, decoder; 1e-4 relative)', () => {
    const latents = e['decode.latents']!;
    const [, , rows, cols] = latents.shape as [number, number, number, number];
    const image = vae.decode(pack(mx, latents, 1), rows, cols);
    expect(image.shape).toEqual([1, rows * 16, cols * 16, 3]);
    expect(maxRelativeError(image, e['decode.image']!)).toBeLessThan(1e-4);
  });

  it("names the decode side's parameters as diffusers' checkpoint stores them", () => {
    for (const [name, shape] of Object.entries(flux2VaeDecodeParamShapes(config))) expect([name, params[name]?.shape]).toEqual([name, shape]);
  });

  it('refuses BatchNorm statistics that do not match the latent channels', () => {
    expect(() => new Flux2Vae(mx, { ...config, latent_channels: 16 }, params)).toThrow(/16 latent channels patchified 2×2 need \[64\]/);
  });
});
