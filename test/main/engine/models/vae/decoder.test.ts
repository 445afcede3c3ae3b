// The autoencoder decoder: diffusers and BFL names for the same parameters,
// BFL's configuration recovered from shapes, and the latent scaling.

import { describe, expect, it } from 'vitest';
import { bflVaeName, bflVaeShape, FLUX1_VAE, groupNorm, VaeDecoder, vaeConfigFromBflShapes, vaeDecoderParamShapes } from '../../../../../main/engine/models/vae/decoder.ts';
import { TINY_VAE } from '../../../../support/flux1-fixture.ts';
import { mx, values } from '../../../../support/mlx.ts';

describe('groupNorm', () => {
  it('matches a float64 reference over a 512² group of ~10⁶ values (issue 12, item 11)', () => {
    // The last decoder level at 512²: 4 channels a group. An offset like real activations' makes one-pass float32 sums drift.
    const [h, w, c, groups] = [512, 512, 8, 2];
    const x = mx.add(mx.multiply(mx.random.normal([1, h, w, c], mx.float32, 0, 1, mx.random.key(7)), 0.5), 3);
    const weight = mx.array([1, 2, 0.5, 1.5, 1, 1, 2, 0.25]);
    const bias = mx.array([0, 0.1, -0.1, 0, 0.2, 0, 0, 0.3]);
    const got = Float32Array.from(values(groupNorm(mx, x, weight, bias, groups)));
    const input = Float64Array.from(values(x));
    const [gamma, beta] = [values(weight), values(bias)];
    const per = c / groups;
    let worst = 0;
    for (let g = 0; g < groups; g++) {
      let sum = 0;
      for (let i = 0; i < h * w; i++) for (let k = 0; k < per; k++) sum += input[i * c + g * per + k]!;
      const mean = sum / (h * w * per);
      let squares = 0;
      for (let i = 0; i < h * w; i++) for (let k = 0; k < per; k++) squares += (input[i * c + g * per + k]! - mean) ** 2;
      const sd = Math.sqrt(squares / (h * w * per) + 1e-6);
      for (let i = 0; i < h * w; i++) {
        for (let k = 0; k < per; k++) {
          const at = i * c + g * per + k;
          const expected = ((input[at]! - mean) / sd) * gamma[g * per + k]! + beta[g * per + k]!;
          worst = Math.max(worst, Math.abs(got[at]! - expected));
        }
      }
    }
    // One-pass float32 reductions were ~5e-4 off here; float32 rounding of the output itself is ~1e-6.
    expect(worst).toBeLessThan(2e-5);
  });
});

describe('BFL names', () => {
  it('map every diffusers decoder parameter to a distinct BFL name', () => {
    const names = Object.keys(vaeDecoderParamShapes(FLUX1_VAE));
    const mapped = names.map((n) => bflVaeName(n, FLUX1_VAE));
    expect(new Set(mapped).size).toBe(names.length);
    expect(mapped.filter((n) => n.includes('_block') || n.includes('resnets') || n.includes('attentions'))).toEqual([]);
    expect(bflVaeName('decoder.up_blocks.0.resnets.2.conv_shortcut.weight', FLUX1_VAE)).toBe('decoder.up.3.block.2.nin_shortcut.weight');
    expect(bflVaeName('decoder.up_blocks.2.upsamplers.0.conv.bias', FLUX1_VAE)).toBe('decoder.up.1.upsample.conv.bias');
    expect(bflVaeName('decoder.mid_block.attentions.0.to_out.0.weight', FLUX1_VAE)).toBe('decoder.mid.attn_1.proj_out.weight');
    expect(bflVaeName('decoder.conv_norm_out.weight', FLUX1_VAE)).toBe('decoder.norm_out.weight');
  });

  it('recover FLUX.1’s autoencoder configuration from ae.safetensors shapes alone', () => {
    const shapes = new Map<string, readonly number[]>();
    for (const [name, shape] of Object.entries(vaeDecoderParamShapes(FLUX1_VAE))) {
      const bfl = bflVaeName(name, FLUX1_VAE);
      shapes.set(bfl, bflVaeShape(bfl, shape));
    }
    expect(shapes.get('decoder.mid.attn_1.q.weight')).toEqual([512, 512, 1, 1]);
    expect(vaeConfigFromBflShapes((n) => shapes.get(n), shapes.keys(), 'ae.safetensors')).toEqual(FLUX1_VAE);
  });
});

describe('VaeDecoder', () => {
  it('decodes [B, 16, h, w] latents to [B, 8h, 8w, 3] after unscaling by 1/0.3611 + 0.1159', () => {
    const params: Record<string, import('../../../../../main/engine/mlx/backend.ts').MxArray> = {};
    for (const [name, shape] of Object.entries(vaeDecoderParamShapes(TINY_VAE))) {
      params[name] = mx.random.normal([...shape], mx.float32, 0, 0.2, mx.random.key(name.length));
    }
    const decoder = new VaeDecoder(mx, TINY_VAE, params);
    expect(values(decoder.unscale(mx.array([0.3611, 0])))).toEqual([expect.closeTo(1.1159, 5), expect.closeTo(0.1159, 5)]);
    const image = decoder.decode(mx.random.normal([2, 16, 3, 5], mx.float32, 0, 1, mx.random.key(1)));
    expect(image.shape).toEqual([2, 24, 40, 3]);
    expect(values(image).every(Number.isFinite)).toBe(true);
  });
});
