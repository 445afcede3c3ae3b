// Tiled decoding: tiles placed and blended exactly (checked with a local
// decoder, where tiling must change nothing), and close to the full decode
// for the real decoder.

import { describe, expect, it } from 'vitest';
import type { MxArray } from '../../../../../main/engine/mlx/backend.ts';
import { VaeDecoder, vaeDecoderParamShapes } from '../../../../../main/engine/models/vae/decoder.ts';
import { decodeTiled, tileStarts } from '../../../../../main/engine/models/vae/tiled-decode.ts';
import { TINY_VAE } from '../../../../support/flux1-fixture.ts';
import { mx, values } from '../../../../support/mlx.ts';

/** A decoder with no spatial context: each latent pixel becomes an 8×8 block of a channel mix. */
function localDecode(latents: MxArray): MxArray {
  const [b, c, h, w] = latents.shape as [number, number, number, number];
  const mix = mx.reshape(mx.arange(0, c * 3, 1, mx.float32), c, 3);
  const rgb = mx.matmul(mx.transpose(latents, 0, 2, 3, 1), mx.divide(mix, c * 3));
  const spread = mx.broadcastTo(mx.reshape(rgb, b, h, 1, w, 1, 3), [b, h, 8, w, 8, 3]);
  return mx.reshape(spread, b, h * 8, w * 8, 3);
}

describe('tileStarts', () => {
  it('covers the axis with full tiles overlapping by at least the overlap', () => {
    expect(tileStarts(40, { tile: 64, overlap: 16 })).toEqual([0]);
    expect(tileStarts(128, { tile: 64, overlap: 16 })).toEqual([0, 32, 64]);
    for (const length of [65, 100, 129, 200]) {
      const starts = tileStarts(length, { tile: 64, overlap: 16 });
      expect(starts[0]).toBe(0);
      expect(starts[starts.length - 1]! + 64).toBe(length);
      for (let i = 1; i < starts.length; i++) expect(starts[i - 1]! + 64 - starts[i]!).toBeGreaterThanOrEqual(16);
    }
  });
});

describe('decodeTiled', () => {
  const latents = mx.random.normal([1, 16, 11, 14], mx.float32, 0, 1, mx.random.key(4));

  it('places and blends tiles exactly: a local decoder gives the same image tiled or not', () => {
    const whole = values(localDecode(latents));
    const tiled = decodeTiled(mx, latents, localDecode, { tile: 5, overlap: 2 });
    expect(tiled).toHaveLength(whole.length);
    const worst = whole.reduce((m, v, i) => Math.max(m, Math.abs(v - tiled[i]!)), 0);
    expect(worst).toBeLessThan(1e-5);
  });

  it('stays close to the full decode with the real decoder, and equals it in one tile', () => {
    const params: Record<string, MxArray> = {};
    for (const [name, shape] of Object.entries(vaeDecoderParamShapes(TINY_VAE))) {
      params[name] = mx.random.normal([...shape], mx.float32, 0, 0.2, mx.random.key(name.length));
    }
    const decoder = new VaeDecoder(mx, TINY_VAE, params);
    const decode = (z: MxArray) => decoder.decode(z);
    const whole = values(decode(latents));
    const single = decodeTiled(mx, latents, decode, { tile: 64, overlap: 16 });
    expect(whole.reduce((m, v, i) => Math.max(m, Math.abs(v - single[i]!)), 0)).toBeLessThan(1e-5);
    const tiled = decodeTiled(mx, latents, decode, { tile: 8, overlap: 4 });
    const spread = Math.sqrt(whole.reduce((s, v) => s + v * v, 0) / whole.length);
    const meanError = whole.reduce((s, v, i) => s + Math.abs(v - tiled[i]!), 0) / whole.length;
    expect(meanError).toBeGreaterThan(0);
    // Measured 3% of the spread with 8-pixel tiles overlapping by 4.
    expect(meanError).toBeLessThan(0.1 * spread);
  });
});
