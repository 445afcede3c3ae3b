// Decodes large latents in overlapping tiles blended with linear ramps, so the
// decoder's peak memory is that of one tile rather than of the whole image
// (on CPU it grows by about 10 KB per output pixel). Only for when memory
// forces it: diffusers' AutoencoderKL decodes whole unless tiling is switched
// on, and like its tiled decoding, each tile's mid-block attention sees only
// its tile, so a tiled image differs from the reference. Runs in the engine;
// no Node or Electron imports.

import type { MxArray, MxBackend } from '../../mlx/backend.ts';

export interface TileLayout {
  /** Tile side in latent pixels. */
  readonly tile: number;
  /** Minimum overlap between neighbouring tiles, in latent pixels. */
  readonly overlap: number;
}

/** Latent tiles of 64 (512 output pixels) overlapping by 16: what the memory estimate assumes. */
export const DEFAULT_TILES: TileLayout = { tile: 64, overlap: 16 };

/** One tile of any size: the whole image in one decode, as the reference pipelines do. */
export const WHOLE: TileLayout = { tile: Number.POSITIVE_INFINITY, overlap: 0 };

/** Tile starts along one axis of `length`: evenly spread, each tile full size, neighbours overlapping by at least `overlap`. */
export function tileStarts(length: number, layout: TileLayout): number[] {
  const { tile, overlap } = layout;
  if (length <= tile) return [0];
  const count = Math.ceil((length - tile) / (tile - overlap)) + 1;
  return Array.from({ length: count }, (_, i) => Math.round((i * (length - tile)) / (count - 1)));
}

/** Blend weight of output pixel `i` in a tile `[start, start + size)`: ramps up across overlaps with its neighbours. */
function rampWeight(i: number, size: number, rampBefore: number, rampAfter: number): number {
  let weight = 1;
  if (rampBefore > 0 && i < rampBefore) weight = Math.min(weight, (i + 0.5) / rampBefore);
  if (rampAfter > 0 && i >= size - rampAfter) weight = Math.min(weight, (size - i - 0.5) / rampAfter);
  return weight;
}

/**
 * `decode` maps latents [1, C, h, w] to an image [1, 8h, 8w, 3]. Returns the
 * image as row-major float RGB (H·W·3), decoding tile by tile when the latents
 * exceed one tile.
 */
export function decodeTiled(mx: MxBackend, latents: MxArray, decode: (latents: MxArray) => MxArray, layout: TileLayout = DEFAULT_TILES): Float32Array {
  const [, , h, w] = latents.shape as [number, number, number, number];
  const scale = 8;
  const height = h * scale;
  const width = w * scale;
  const rows = tileStarts(h, layout);
  const cols = tileStarts(w, layout);
  const sum = new Float32Array(height * width * 3);
  const weights = new Float32Array(height * width);
  const tileH = Math.min(layout.tile, h);
  const tileW = Math.min(layout.tile, w);
  rows.forEach((top, r) => {
    cols.forEach((left, c) => {
      const [, crop] = mx.split(latents, [top, top + tileH], 2);
      const [, tile] = mx.split(crop!, [left, left + tileW], 3);
      const image = decode(tile!);
      const pixels = (image.astype(mx.float32).tolist() as number[][][][])[0]!;
      // Ramps span the overlap actually present on each side.
      const rampTop = r > 0 ? (rows[r - 1]! + tileH - top) * scale : 0;
      const rampBottom = r < rows.length - 1 ? (top + tileH - rows[r + 1]!) * scale : 0;
      const rampLeft = c > 0 ? (cols[c - 1]! + tileW - left) * scale : 0;
      const rampRight = c < cols.length - 1 ? (left + tileW - cols[c + 1]!) * scale : 0;
      const outH = tileH * scale;
      const outW = tileW * scale;
      for (let y = 0; y < outH; y++) {
        const wy = rampWeight(y, outH, rampTop, rampBottom);
        const row = pixels[y]!;
        const base = (top * scale + y) * width + left * scale;
        for (let x = 0; x < outW; x++) {
          const weight = wy * rampWeight(x, outW, rampLeft, rampRight);
          const at = base + x;
          const rgb = row[x]!;
          for (let k = 0; k < 3; k++) sum[at * 3 + k] = sum[at * 3 + k]! + weight * rgb[k]!;
          weights[at] = weights[at]! + weight;
        }
      }
    });
  });
  for (let i = 0; i < weights.length; i++) {
    const weight = weights[i]!;
    for (let k = 0; k < 3; k++) sum[i * 3 + k] = sum[i * 3 + k]! / weight;
  }
  return sum;
}
