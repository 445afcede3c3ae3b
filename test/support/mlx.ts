// The MLX backend for tests that need real arrays, and small conversions.

import type { MxArray, MxBackend } from '../../main/engine/mlx/backend.ts';
import { loadNpmBackend } from '../../main/engine/mlx/load-backend.ts';

/**
 * Ops tests use to write fixtures and to state references that the engine itself never calls, so MxBackend
 * (exactly the engine's ops) leaves them out; the npm package has them all.
 */
export interface MxTestOps {
  saveSafetensors(path: string, arrays: Record<string, MxArray>, metadata?: Record<string, string>): void;
  sin(a: MxArray): MxArray;
  softmax(a: MxArray, axis?: number | number[]): MxArray;
  stack(arrays: MxArray[], axis?: number): MxArray;
  arrayEqual(a: MxArray, b: MxArray): MxArray;
}

export const mx = loadNpmBackend().mx as MxBackend & MxTestOps;

export function values(array: MxArray): number[] {
  const list = array.tolist();
  return Array.isArray(list) ? (list.flat(Infinity) as number[]) : [list as number];
}

/** A deterministic array of the given shape with varied values. */
export function ramp(shape: number[], seed = 1): MxArray {
  return mx.random.normal(shape, mx.float32, 0, 1, mx.random.key(seed));
}
