// Attention fed in query chunks on the CPU must give what MLX's fused call gives on the whole, with or without a mask.

import { describe, expect, it } from 'vitest';
import type { MxArray, MxBackend } from '../../../../main/engine/mlx/backend.ts';
import { CPU_SCORE_BUDGET_BYTES, queryChunkBounds, scaledDotProductAttention } from '../../../../main/engine/models/attention.ts';
import { mx, ramp, values } from '../../../support/mlx.ts';

/** The same backend seen as a GPU one: scaledDotProductAttention then calls the fused kernel on the whole. */
const whole = Object.create(mx, { device: { value: 'gpu' } }) as MxBackend;

function maxAbsDiff(a: MxArray, b: MxArray): number {
  const expected = values(b);
  return values(a).reduce((worst, value, i) => Math.max(worst, Math.abs(value - expected[i]!)), 0);
}

describe('scaledDotProductAttention', () => {
  // 700 queries against 900 keys over 2 heads: 7 200 bytes of scores a row, so two chunks, the last one ragged.
  const q = ramp([1, 2, 700, 8], 1);
  const k = ramp([1, 2, 900, 8], 2);
  const v = ramp([1, 2, 900, 8], 3);
  const rowsPerChunk = Math.floor(CPU_SCORE_BUDGET_BYTES / (2 * 900 * 4));

  it('splits these queries into chunks within the score budget, the last one shorter', () => {
    expect(mx.device).toBe('cpu');
    const bounds = queryChunkBounds(q, k);
    expect(bounds).toEqual([rowsPerChunk]);
    expect(700 - rowsPerChunk).toBeLessThan(rowsPerChunk);
  });

  it('keeps whole queries whose scores fit, and a floor of rows per chunk where one row alone is over budget', () => {
    expect(queryChunkBounds(ramp([2, 4, 272, 32]), ramp([2, 4, 272, 32]))).toEqual([]);
    const wide = queryChunkBounds(ramp([1, 1, 40, 2]), ramp([1, 1, 40, 2]), 4);
    expect(wide).toEqual([16, 32]);
  });

  it('holds FLUX.1 at 1024² to chunks of 16 queries, where the budget alone would give 9', () => {
    // Only the shapes are read: 24 heads over 4 096 image and 512 text tokens.
    const tokens = { shape: [1, 24, 4608, 128] } as unknown as MxArray;
    expect(Math.floor(CPU_SCORE_BUDGET_BYTES / (24 * 4608 * 4))).toBe(9);
    const bounds = queryChunkBounds(tokens, tokens);
    expect(bounds.length).toBe(4608 / 16 - 1);
    expect(bounds.slice(0, 2)).toEqual([16, 32]);
  });

  const masks: ReadonlyArray<[string, MxArray | undefined]> = [
    ['no mask', undefined],
    ['a [queries, keys] mask', mx.multiply(ramp([700, 900], 4), 3)],
    ['a full [batch, heads, queries, keys] mask', mx.multiply(ramp([1, 2, 700, 900], 5), 3)],
    ['a padding mask broadcast over the queries', mx.concatenate([mx.zeros([1, 1, 1, 800]), mx.multiply(mx.ones([1, 1, 1, 100]), -1e9)], 3)],
  ];

  it.each(masks)('matches the fused call on the whole with %s', (_, mask) => {
    const chunked = scaledDotProductAttention(mx, q, k, v, 0.3, mask);
    expect(chunked.shape).toEqual([1, 2, 700, 8]);
    expect(maxAbsDiff(chunked, whole.fast.scaledDotProductAttention(q, k, v, 0.3, mask))).toBeLessThan(1e-5);
  });

  it.each([
    ['cpu', [[1, 2, rowsPerChunk, 8], [1, 2, 700 - rowsPerChunk, 8]]],
    ['gpu', [[1, 2, 700, 8]]],
  ] as const)('on the %s, calls the fused kernel with these query shapes', (device, shapes) => {
    const seen: number[][] = [];
    const fused = (...args: Parameters<MxBackend['fast']['scaledDotProductAttention']>) => {
      seen.push(args[0].shape);
      return mx.fast.scaledDotProductAttention(...args);
    };
    const fast = { ...mx.fast, scaledDotProductAttention: fused };
    const counted = Object.create(mx, { device: { value: device }, fast: { value: fast } }) as MxBackend;
    scaledDotProductAttention(counted, q, k, v, 0.3);
    expect(seen).toEqual(shapes);
  });
});
