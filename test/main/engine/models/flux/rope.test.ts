// RoPE must rotate each interleaved pair by pos·θ^(−2i/d), axis by axis, as BFL's `rope` does.

import { describe, expect, it } from 'vitest';
import { applyRotary, imagePositionIds, rotaryTables } from '../../../../../main/engine/models/flux/rope.ts';
import { mx, ramp, values } from '../../../../support/mlx.ts';

describe('rotary embedding', () => {
  it('lists image positions as [0, row, col] in row-major order', () => {
    expect(imagePositionIds(2, 3)).toEqual([[0, 0, 0], [0, 0, 1], [0, 0, 2], [0, 1, 0], [0, 1, 1], [0, 1, 2]]);
  });

  it('rotates interleaved pairs by per-axis angles', () => {
    const axesDim = [2, 4];
    const ids = [[0, 0], [3, 5]];
    const theta = 10000;
    const x = ramp([1, 1, 2, 6]);
    const rotated = values(applyRotary(mx, x, rotaryTables(mx, ids, axesDim, theta)));
    const input = values(x);
    const expected: number[] = [];
    ids.forEach((id, token) => {
      const angles = [id[0]! * 1, id[1]! * 1, id[1]! * Math.pow(theta, -2 / 4)];
      angles.forEach((angle, pair) => {
        const a = input[token * 6 + 2 * pair]!;
        const b = input[token * 6 + 2 * pair + 1]!;
        expected.push(a * Math.cos(angle) - b * Math.sin(angle), a * Math.sin(angle) + b * Math.cos(angle));
      });
    });
    rotated.forEach((value, i) => expect(value).toBeCloseTo(expected[i]!, 5));
  });

  it('leaves position 0 unchanged', () => {
    const x = ramp([1, 2, 1, 8]);
    const out = applyRotary(mx, x, rotaryTables(mx, [[0, 0, 0]], [2, 2, 4], 10000));
    expect(values(out)).toEqual(values(x));
  });
});
