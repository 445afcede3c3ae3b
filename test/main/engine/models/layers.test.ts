// Shared building blocks: the QK norm taken before the head transpose equals the one taken after it.

import { describe, expect, it } from 'vitest';
import { rmsNormedHeads, splitHeads } from '../../../../main/engine/models/layers.ts';
import { mx, ramp, values } from '../../../support/mlx.ts';

describe('rmsNormedHeads', () => {
  it('gives the per-head RMS norm of the split heads, value for value', () => {
    const x = mx.split(ramp([2, 7, 3 * 24], 1), 3, -1)[1]!;
    const weight = ramp([8], 2);
    const normed = rmsNormedHeads(mx, x, 3, weight, 1e-6);
    expect(normed.shape).toEqual([2, 3, 7, 8]);
    expect(values(normed)).toEqual(values(mx.fast.rmsNorm(splitHeads(mx, x, 3), weight, 1e-6)));
  });
});
