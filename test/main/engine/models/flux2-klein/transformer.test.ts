// The FLUX.2 transformer against diffusers' Flux2Transformer2DModel on the tiny
// random klein checkpoint that training/fixtures/make_flux2_klein_fixture.py
// builds: 1 double and 2 single blocks, 4-axis RoPE, no guidance embeds.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MxArray } from '../../../../../main/engine/mlx/backend.ts';
import { Flux2ConfigSchema, flux2ParamShapes } from '../../../../../main/engine/models/flux2-klein/config.ts';
import { Flux2Transformer } from '../../../../../main/engine/models/flux2-klein/transformer.ts';
import { mx } from '../../../../support/mlx.ts';
import { FLUX2_KLEIN_FIXTURE, expectedKlein, float32Params, maxRelativeError } from './support.ts';

describe('Flux2Transformer against diffusers', () => {
  const dir = join(FLUX2_KLEIN_FIXTURE, 'transformer');
  const config = Flux2ConfigSchema.parse(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')));
  const transformer = new Flux2Transformer(mx, config, float32Params(join(dir, 'diffusion_pytorch_model.safetensors')));
  const e = expectedKlein();
  const sigma = (JSON.parse(readFileSync(join(FLUX2_KLEIN_FIXTURE, 'expected.json'), 'utf8')) as { transformer: { sigma: number } }).transformer.sigma;

  it('reads the distilled config as diffusers does (no guidance embeds, θ 2000, four RoPE axes)', () => {
    expect(config).toMatchObject({ guidance_embeds: false, rope_theta: 2000, axes_dims_rope: [4, 4, 4, 4], num_layers: 1, num_single_layers: 2 });
  });

  it('gives the output diffusers gives for fixed latents, text and sigma (1e-4 relative, float32)', () => {
    const out: MxArray = transformer.forward(e['transformer.hidden']!, e['transformer.text']!, sigma, 6, 4);
    expect(out.shape).toEqual([1, 24, 128]);
    expect(maxRelativeError(out, e['transformer.output']!)).toBeLessThan(1e-4);
  });

  it("gives TeaCache the input diffusers' first double block hands its attention: LN(x)·(1 + scale) + shift from the shared modulation (1e-4)", () => {
    const signal = transformer.modulatedInput(transformer.embed(e['transformer.hidden']!, e['transformer.text']!, sigma, 6, 4));
    expect(signal.shape).toEqual([1, 24, 32]);
    expect(maxRelativeError(signal, e['transformer.modulated_input']!)).toBeLessThan(1e-4);
  });

  it("names every parameter of diffusers' checkpoint, in its shapes, and nothing else", () => {
    const stored = float32Params(join(dir, 'diffusion_pytorch_model.safetensors'));
    const shapes = Object.fromEntries(Object.entries(stored).map(([k, v]) => [k, v.shape]));
    expect(flux2ParamShapes(config)).toEqual(shapes);
    expect(Object.keys(flux2ParamShapes({ ...config, guidance_embeds: true }))).toContain('time_guidance_embed.guidance_embedder.linear_2.weight');
  });

  it('refuses image tokens that do not fill the grid it is told', () => {
    expect(() => transformer.forward(e['transformer.hidden']!, e['transformer.text']!, sigma, 5, 4)).toThrow(/24 image tokens do not make a 5×4 grid/);
  });

  it('refuses a config whose RoPE axes do not sum to the head dimension', () => {
    expect(() => Flux2ConfigSchema.parse({ ...config, axes_dims_rope: [4, 4, 4] })).toThrow(/axes_dims_rope must sum to attention_head_dim/);
  });
});
