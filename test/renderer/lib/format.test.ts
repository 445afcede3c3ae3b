// Labels for numbers the UI shows. Pure.

import { describe, expect, it } from 'vitest';
import { formatAgainst, formatPsnr, formatThreshold } from '../../../renderer/lib/format.ts';

describe('formatThreshold', () => {
  it('shows three significant digits without trailing zeros', () => {
    expect(formatThreshold(0.09502247325308263)).toBe('0.095');
    expect(formatThreshold(0.7411640048)).toBe('0.741');
    expect(formatThreshold(0.1)).toBe('0.1');
    expect(formatThreshold(2.0658)).toBe('2.07');
    expect(formatThreshold(0)).toBe('0');
    expect(formatThreshold(Number.NaN)).toBe('—');
  });
});

describe('formatAgainst', () => {
  it('shows enough digits to see which side of the threshold a step fell (reuse below, compute on reaching it)', () => {
    expect(formatAgainst(0.09996, 0.1)).toBe('0.09996 < 0.10000');
    expect(formatAgainst(0.10004, 0.1)).toBe('0.10004 ≥ 0.10000');
    expect(formatAgainst(0.1, 0.1)).toBe('0.100 ≥ 0.100');
    expect(formatAgainst(0.05, 0.1)).toBe('0.050 < 0.100');
  });
});

describe('formatPsnr', () => {
  it('shows decibels to one decimal, and says when the images match exactly', () => {
    expect(formatPsnr(31.249)).toBe('31.2 dB');
    expect(formatPsnr('identical')).toBe('identical');
  });
});
