// Image quality against a reference. Pure.

import type { Psnr } from '../../core/contract.ts';

/** Peak signal-to-noise ratio of 8-bit images in dB; Infinity when identical. */
export function psnr(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new RangeError(`Images differ in size (${a.length} vs ${b.length} bytes).`);
  let squared = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    squared += d * d;
  }
  if (squared === 0) return Infinity;
  return 10 * Math.log10((255 * 255) / (squared / a.length));
}

/** psnr as the contract carries it: "identical" where the images match exactly, since JSON has no Infinity. */
export function psnrOf(a: Uint8Array, b: Uint8Array): Psnr {
  const value = psnr(a, b);
  return Number.isFinite(value) ? value : 'identical';
}
