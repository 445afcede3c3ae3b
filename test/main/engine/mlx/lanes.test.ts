// Splitting a batch across CPU lanes must give exactly what the batched call gives, for any batch size.

import { describe, expect, it } from 'vitest';
import type { MxArray, MxBackend } from '../../../../main/engine/mlx/backend.ts';
import { mapAcrossLanes } from '../../../../main/engine/mlx/lanes.ts';
import { withCpuLanes } from '../../../../main/engine/mlx/load-backend.ts';
import { mx as plain, ramp, values } from '../../../support/mlx.ts';

// These tests ask for two lanes, as the engine takes by default (TEACACHE_LANES).
// withCpuLanes builds on plain (Object.create), so the test ops stay reachable.
const mx = withCpuLanes(plain, 2) as typeof plain;

/** Row-independent work with a matmul, a softmax and a broadcast, like a transformer block. */
function rowwise(a: MxArray, b: MxArray): MxArray {
  return mx.add(mx.softmax(mx.matmul(a, mx.transpose(a, 0, 2, 1)), -1), mx.expandDims(b, 1));
}

describe('mapAcrossLanes', () => {
  it('runs on this CPU with more than one lane', () => {
    expect(mx.lanes?.count).toBeGreaterThan(1);
  });

  it.each([1, 2, 3, 5])('matches the batched call bit for bit with a batch of %i', (batch) => {
    const a = ramp([batch, 6, 4], batch);
    const b = ramp([batch, 6], batch + 10);
    const split = mapAcrossLanes(mx, [a, b], rowwise);
    expect(split.shape).toEqual([batch, 6, 6]);
    expect(values(split)).toEqual(values(rowwise(a, b)));
  });

  it('calls the function once on the whole batch where the backend has no lanes', () => {
    const noLanes = Object.create(mx, { lanes: { value: undefined } }) as MxBackend;
    const shapes: number[][] = [];
    const a = ramp([2, 3, 4]);
    mapAcrossLanes(noLanes, [a], (part) => {
      shapes.push(part.shape);
      return part;
    });
    expect(shapes).toEqual([[2, 3, 4]]);
  });
});
