// SSIM against values worked out by hand and its defining properties. Pure.

import { describe, expect, it } from 'vitest';
import { ssim } from '../../../../main/engine/metrics/ssim.ts';

const C1 = (0.01 * 255) ** 2;
const flat = (w: number, h: number, value: number) => new Uint8Array(w * h * 3).fill(value);
/** A deterministic textured image. */
const texture = (w: number, h: number, seed = 1) => Uint8Array.from({ length: w * h * 3 }, (_, i) => (Math.sin(i * 0.37 * seed) * 0.5 + 0.5) * 255);

describe('ssim', () => {
  it('is 1 for identical images', () => {
    const image = texture(24, 20);
    expect(ssim(image, image, 24, 20)).toBeCloseTo(1, 12);
  });

  it('reduces to the luminance term for flat images: (2ab + C1) / (a² + b² + C1)', () => {
    const expected = (2 * 100 * 120 + C1) / (100 ** 2 + 120 ** 2 + C1);
    expect(ssim(flat(16, 16, 100), flat(16, 16, 120), 16, 16)).toBeCloseTo(expected, 9);
  });

  it('is symmetric and falls as noise grows', () => {
    const image = texture(32, 32);
    const noisy = (amount: number) => image.map((v, i) => Math.min(255, Math.max(0, v + amount * Math.sin(i * 12.9898))));
    expect(ssim(image, noisy(20), 32, 32)).toBeCloseTo(ssim(noisy(20), image, 32, 32), 12);
    const values = [5, 20, 60].map((amount) => ssim(image, noisy(amount), 32, 32));
    expect(values[0]!).toBeLessThan(1);
    expect(values[1]!).toBeLessThan(values[0]!);
    expect(values[2]!).toBeLessThan(values[1]!);
  });

  it('shrinks the window for images smaller than it', () => {
    expect(ssim(texture(6, 6), texture(6, 6), 6, 6)).toBeCloseTo(1, 12);
  });

  it('rejects mismatched sizes', () => {
    expect(() => ssim(flat(4, 4, 0), flat(4, 5, 0), 4, 4)).toThrow(/differ in size/);
    expect(() => ssim(flat(4, 4, 0), flat(4, 4, 0), 5, 4)).toThrow(/needs 60/);
  });
});
