// Splits batched work across the backend's CPU lanes (MLX streams evaluated on
// their own threads), so the two halves of a CFG batch run on two cores. Runs
// in the engine; no Node or Electron imports.

import type { MxArray, MxBackend } from './backend.ts';

/**
 * `fn(...batched)` computed per slice of the batch (axis 0), each slice on its
 * own lane, and joined back in order. Every array in `batched` must share the
 * batch size; `fn` must treat batch rows independently (a transformer's blocks
 * do), so the result equals `fn(...batched)`. Without lanes, or with a batch of
 * one, it is exactly `fn(...batched)`.
 */
export function mapAcrossLanes(mx: MxBackend, batched: readonly MxArray[], fn: (...parts: MxArray[]) => MxArray): MxArray {
  const batch = batched[0]?.shape[0] ?? 1;
  const lanes = mx.lanes;
  const count = lanes ? Math.min(lanes.count, batch) : 1;
  if (!lanes || count < 2) return fn(...batched);
  const bounds = Array.from({ length: count - 1 }, (_, i) => Math.round(((i + 1) * batch) / count));
  const slices = batched.map((array) => mx.split(array, bounds, 0));
  const outputs = Array.from({ length: count }, (_, lane) => lanes.run(lane, () => fn(...slices.map((parts) => parts[lane]!))));
  return mx.concatenate(outputs, 0);
}
