// The least-squares fit behind calibration: exact on polynomial data, honest
// about its error on noisy data, and clear about unusable input. Pure.

import { describe, expect, it } from 'vitest';
import { CALIBRATION_FORMAT, CalibrationSchema, calibrationSamples, fitPolynomial } from '../../../../main/core/teacache/calibration.ts';
import { FLUX1_COEFFICIENTS, polyval } from '../../../../main/core/teacache/teacache-policy.ts';

const xs = Array.from({ length: 40 }, (_, i) => 0.01 + i * 0.005);

describe('fitPolynomial', () => {
  it("recovers FLUX.1's degree-4 polynomial from its own values over TeaCache's small inputs", () => {
    const fit = fitPolynomial(xs, xs.map((x) => polyval(FLUX1_COEFFICIENTS, x)), 4);
    fit.coefficients.forEach((c, i) => expect(c).toBeCloseTo(FLUX1_COEFFICIENTS[i]!, 5));
    expect(fit.rmse).toBeLessThan(1e-10);
    expect(fit.r2).toBeCloseTo(1, 10);
    expect(fit.samples).toBe(40);
  });

  it('gives the least-squares line and its error on noisy data', () => {
    // y = 2x + 1 ± 0.1 alternating: the best line is still 2x + 1 (symmetric noise), RMSE 0.1.
    const data = [0, 1, 2, 3, 4, 5].flatMap((x) => [x, x]);
    const ys = data.map((x, i) => 2 * x + 1 + (i % 2 ? 0.1 : -0.1));
    const fit = fitPolynomial(data, ys, 1);
    expect(fit.coefficients[0]).toBeCloseTo(2, 10);
    expect(fit.coefficients[1]).toBeCloseTo(1, 10);
    expect(fit.rmse).toBeCloseTo(0.1, 10);
    expect(fit.relativeError).toBeCloseTo(0.1 / 6, 10);
  });

  it('says what is wrong with unusable samples', () => {
    expect(() => fitPolynomial([1, 2], [1], 1)).toThrow(/in pairs/);
    expect(() => fitPolynomial([1, 2], [1, 2], 4)).toThrow(/at least 5 samples/);
    expect(() => fitPolynomial([1, 1, 1], [1, 2, 3], 2)).toThrow(/too few distinct inputs/);
    expect(() => fitPolynomial([1, NaN], [1, 2], 0)).toThrow(/finite/);
  });
});

describe('calibrationSamples', () => {
  it('pairs each step with the previous one, skipping steps without both measurements', () => {
    expect(calibrationSamples([{ signals: [undefined, 0.1, 0.2, undefined], changes: [undefined, 0.3, undefined, 0.5] }])).toEqual({ xs: [0.1], ys: [0.3] });
  });
});

describe('CalibrationSchema', () => {
  it('accepts what calibration writes and rejects other formats', () => {
    const calibration = {
      format: CALIBRATION_FORMAT,
      modelId: 'm',
      input: 'first-block-modulated-input',
      output: 'velocity',
      coefficients: [1, 0],
      fit: { rmse: 0, relativeError: 0, r2: 1, samples: 3, inputRange: [0.1, 0.3] },
      runs: { prompts: ['x'], seeds: [1], steps: 4, guidanceScale: 4 },
      trained: true,
      createdAt: 'now',
    };
    expect(CalibrationSchema.safeParse(calibration).success).toBe(true);
    expect(CalibrationSchema.safeParse({ ...calibration, format: 'other@1' }).success).toBe(false);
  });
});
