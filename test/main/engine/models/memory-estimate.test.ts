// The shared parts of every family's memory estimate, checked on their own; flux1/, z-image/ and flux2-klein/
// memory tests check them put together.

import { describe, expect, it } from 'vitest';
import { linearBytes } from '../../../../main/engine/models/memory-estimate.ts';

describe('linearBytes', () => {
  it('is 4 bytes a weight unquantized, bits/8 plus two float32 per 64-group quantized', () => {
    expect(linearBytes(3072, 3072, 'none')).toBe(3072 * 3072 * 4);
    expect(linearBytes(3072, 3072, 4)).toBe(3072 * 3072 * 0.5 + 3072 * 48 * 8);
    expect(linearBytes(3072, 3072, 8)).toBe(3072 * 3072 + 3072 * 48 * 8);
    // MLX cannot quantize 64 inputs at 4 bits (FLUX's img_in): it stays float32.
    expect(linearBytes(3072, 64, 4)).toBe(3072 * 64 * 4);
  });
});
