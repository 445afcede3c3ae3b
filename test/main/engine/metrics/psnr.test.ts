// PSNR of 8-bit images, and as the contract carries it where the images match exactly.

import { describe, expect, it } from 'vitest';
import { psnr, psnrOf } from '../../../../main/engine/metrics/psnr.ts';

describe('psnr', () => {
  it('is 10·log10(255² / MSE) in dB, and Infinity for identical images', () => {
    // One byte of four off by 255: MSE 255²/4, so 10·log10(4).
    expect(psnr(new Uint8Array([0, 10, 20, 30]), new Uint8Array([255, 10, 20, 30]))).toBeCloseTo(10 * Math.log10(4), 10);
    expect(psnr(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3]))).toBe(Infinity);
    expect(() => psnr(new Uint8Array(3), new Uint8Array(4))).toThrow(/differ in size \(3 vs 4 bytes\)/);
  });
});

describe('psnrOf', () => {
  it('says "identical" where psnr is infinite, which JSON cannot carry, and the dB otherwise', () => {
    expect(psnrOf(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3]))).toBe('identical');
    expect(psnrOf(new Uint8Array([0, 10, 20, 30]), new Uint8Array([255, 10, 20, 30]))).toBeCloseTo(6.0206, 4);
  });
});
