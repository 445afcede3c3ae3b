// Structural similarity (Wang et al. 2004) of 8-bit RGB images: an 11×11
// Gaussian window (σ 1.5), K1 0.01, K2 0.03, over the window positions that
// fit inside the image, averaged over positions and channels. Pure.

const K1 = 0.01;
const K2 = 0.03;
const PEAK = 255;
const C1 = (K1 * PEAK) ** 2;
const C2 = (K2 * PEAK) ** 2;

function gaussianKernel(size: number, sigma: number): Float64Array {
  const kernel = new Float64Array(size);
  const centre = (size - 1) / 2;
  let sum = 0;
  for (let i = 0; i < size; i++) sum += kernel[i] = Math.exp(-((i - centre) ** 2) / (2 * sigma * sigma));
  for (let i = 0; i < size; i++) kernel[i]! /= sum;
  return kernel;
}

/** Separable 'valid' filtering: the output covers only positions where the whole window fits. */
function filterValid(plane: Float64Array, width: number, height: number, kernel: Float64Array): Float64Array {
  const k = kernel.length;
  const outW = width - k + 1;
  const outH = height - k + 1;
  const rows = new Float64Array(outW * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < outW; x++) {
      let sum = 0;
      for (let i = 0; i < k; i++) sum += kernel[i]! * plane[y * width + x + i]!;
      rows[y * outW + x] = sum;
    }
  }
  const out = new Float64Array(outW * outH);
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      let sum = 0;
      for (let i = 0; i < k; i++) sum += kernel[i]! * rows[(y + i) * outW + x]!;
      out[y * outW + x] = sum;
    }
  }
  return out;
}

export interface SsimOptions {
  /** Window side in pixels (odd); shrunk to fit images smaller than it. Default 11. */
  readonly window?: number;
  readonly sigma?: number;
}

/** Mean SSIM of two row-major RGB images (3 bytes a pixel); 1 when identical. */
export function ssim(a: Uint8Array, b: Uint8Array, width: number, height: number, options: SsimOptions = {}): number {
  if (a.length !== b.length) throw new RangeError(`Images differ in size (${a.length} vs ${b.length} bytes).`);
  if (a.length !== width * height * 3) throw new RangeError(`RGB data has ${a.length} bytes; ${width}×${height} needs ${width * height * 3}.`);
  let size = Math.min(options.window ?? 11, width, height);
  if (size % 2 === 0) size--;
  if (size < 1) throw new RangeError('SSIM needs an image at least 1 pixel on each side.');
  const kernel = gaussianKernel(size, options.sigma ?? 1.5);
  const pixels = width * height;
  let total = 0;
  let count = 0;
  for (let channel = 0; channel < 3; channel++) {
    const pa = new Float64Array(pixels);
    const pb = new Float64Array(pixels);
    for (let i = 0; i < pixels; i++) {
      pa[i] = a[i * 3 + channel]!;
      pb[i] = b[i * 3 + channel]!;
    }
    const product = (p: Float64Array, q: Float64Array) => p.map((v, i) => v * q[i]!);
    const muA = filterValid(pa, width, height, kernel);
    const muB = filterValid(pb, width, height, kernel);
    const aa = filterValid(product(pa, pa), width, height, kernel);
    const bb = filterValid(product(pb, pb), width, height, kernel);
    const ab = filterValid(product(pa, pb), width, height, kernel);
    for (let i = 0; i < muA.length; i++) {
      const ma = muA[i]!;
      const mb = muB[i]!;
      const varA = aa[i]! - ma * ma;
      const varB = bb[i]! - mb * mb;
      const cov = ab[i]! - ma * mb;
      total += ((2 * ma * mb + C1) * (2 * cov + C2)) / ((ma * ma + mb * mb + C1) * (varA + varB + C2));
      count++;
    }
  }
  return total / count;
}
