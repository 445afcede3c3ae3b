// MLX-quantized linear layers beside the float ones: same results within the
// quantization error, picked by `linear` from the stored names.

import { describe, expect, it } from 'vitest';
import { canQuantize, linear, quantizedBits, quantizeLinearInto } from '../../../../main/engine/models/layers.ts';
import { mx, ramp, values } from '../../../support/mlx.ts';

function relativeError(a: number[], b: number[]): number {
  let num = 0;
  let den = 0;
  a.forEach((v, i) => {
    num += (v - b[i]!) ** 2;
    den += b[i]! ** 2;
  });
  return Math.sqrt(num / den);
}

describe('quantized linear', () => {
  const weight = ramp([96, 256], 3);
  const bias = ramp([96], 4);
  const x = ramp([5, 256], 5);
  const exact = values(linear(mx, { 'l.weight': weight, 'l.bias': bias }, 'l').apply(x));

  for (const [bits, tolerance] of [[8, 0.01], [4, 0.15]] as const) {
    it(`${bits}-bit: stores MLX's weight/scales/biases and matches the float layer within ${tolerance}`, () => {
      const params: Record<string, import('../../../../main/engine/mlx/backend.ts').MxArray> = { 'l.bias': bias };
      expect(quantizeLinearInto(mx, params, 'l', weight, bits)).toBe(true);
      expect(params['l.weight']!.shape).toEqual([96, (256 * bits) / 32]);
      expect(params['l.scales']!.shape).toEqual([96, 4]);
      expect(quantizedBits(params['l.weight']!, params['l.scales']!)).toBe(bits);
      const error = relativeError(values(linear(mx, params, 'l').apply(x)), exact);
      expect(error).toBeGreaterThan(0);
      expect(error).toBeLessThan(tolerance);
    });
  }

  it('leaves widths MLX cannot quantize as float', () => {
    expect(canQuantize(64, 4)).toBe(false);
    expect(canQuantize(128, 8)).toBe(true);
    expect(canQuantize(3072, 4)).toBe(true);
    expect(canQuantize(100, 8)).toBe(false);
    const params = {};
    expect(quantizeLinearInto(mx, params, 'l', ramp([8, 64]), 4)).toBe(false);
    expect(params).toEqual({});
  });
});
