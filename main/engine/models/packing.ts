// FLUX's 2×2 (or p×p) packing of channel-first images into tokens:
// b c (h ph) (w pw) → b (h w) (c ph pw). Runs in the engine.

import type { MxArray, MxBackend } from '../mlx/backend.ts';

export function pack(mx: MxBackend, image: MxArray, patch: number): MxArray {
  const [batch, channels, height, width] = image.shape as [number, number, number, number];
  const rows = height / patch;
  const cols = width / patch;
  const split = mx.reshape(image, batch, channels, rows, patch, cols, patch);
  return mx.reshape(mx.transpose(split, 0, 2, 4, 1, 3, 5), batch, rows * cols, channels * patch * patch);
}

export function unpack(mx: MxBackend, tokens: MxArray, patch: number, height: number, width: number): MxArray {
  const batch = tokens.shape[0]!;
  const rows = height / patch;
  const cols = width / patch;
  const channels = tokens.shape[2]! / (patch * patch);
  const split = mx.reshape(tokens, batch, rows, cols, channels, patch, patch);
  return mx.reshape(mx.transpose(split, 0, 3, 1, 4, 2, 5), batch, channels, height, width);
}
