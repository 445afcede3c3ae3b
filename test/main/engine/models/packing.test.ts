// Packing must match FLUX's b c (h ph) (w pw) → b (h w) (c ph pw), and invert exactly.

import { describe, expect, it } from 'vitest';
import { pack, unpack } from '../../../../main/engine/models/packing.ts';
import { mx, ramp, values } from '../../../support/mlx.ts';

describe('packing', () => {
  it('orders a token channel-first, then patch row, then patch column', () => {
    // 2 channels, 2×4 image: value = 100·c + 10·y + x.
    const data = [0, 1].map((c) => [0, 1].map((y) => [0, 1, 2, 3].map((x) => 100 * c + 10 * y + x)));
    const tokens = pack(mx, mx.array([data] as unknown as number[][]), 2);
    expect(tokens.shape).toEqual([1, 2, 8]);
    // Second token covers columns 2–3.
    expect(values(tokens).slice(8)).toEqual([2, 3, 12, 13, 102, 103, 112, 113]);
  });

  it('unpacks to the original image', () => {
    const image = ramp([2, 3, 8, 12]);
    expect(values(unpack(mx, pack(mx, image, 4), 4, 8, 12))).toEqual(values(image));
  });
});
