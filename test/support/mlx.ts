// The MLX backend for tests that need real arrays, and small conversions.

import type { MxArray } from '../../main/engine/mlx/backend.ts';
import { loadNpmBackend } from '../../main/engine/mlx/load-backend.ts';

export const { mx } = loadNpmBackend();

export function values(array: MxArray): number[] {
  const list = array.tolist();
  return Array.isArray(list) ? (list.flat(Infinity) as number[]) : [list as number];
}

/** A deterministic array of the given shape with varied values. */
export function ramp(shape: number[], seed = 1): MxArray {
  return mx.random.normal(shape, mx.float32, 0, 1, mx.random.key(seed));
}
