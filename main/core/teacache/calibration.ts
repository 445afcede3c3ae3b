// Fitting a model's TeaCache rescale polynomial: least squares from the
// input-side signal (relative L1 of the first block's modulated input) to the
// output-side change (relative L1 of the step's velocity) over uncached runs,
// and the calibration.json that records it. Pure (zod only), so the UI can
// fit and show the same thing.

import { z } from 'zod';
import { polyval } from './teacache-policy.ts';

export const CALIBRATION_FORMAT = 'teacache-studio/calibration@1';
export const CALIBRATION_FILE = 'calibration.json';

export interface PolynomialFit {
  /** Highest power first, as numpy.poly1d and the teacache policy take them. */
  readonly coefficients: number[];
  /** Root-mean-square error of the fit over its samples. */
  readonly rmse: number;
  /** Mean absolute error relative to the mean target: the fit's error as a fraction. */
  readonly relativeError: number;
  /** Share of the targets' variance the fit explains (1 is perfect). */
  readonly r2: number;
  readonly samples: number;
}

/**
 * Least squares by Householder QR on the column-scaled Vandermonde matrix:
 * the normal equations square a condition number that x⁴ columns of values
 * near 0.01 already make large.
 */
export function fitPolynomial(xs: readonly number[], ys: readonly number[], degree: number): PolynomialFit {
  if (xs.length !== ys.length) throw new RangeError(`Got ${xs.length} inputs but ${ys.length} targets: record them in pairs.`);
  if (!Number.isInteger(degree) || degree < 0 || degree > 8) throw new RangeError(`The polynomial degree must be a whole number from 0 to 8, got ${degree}.`);
  const n = xs.length;
  const m = degree + 1;
  if (n < m) throw new RangeError(`A degree-${degree} fit needs at least ${m} samples, got ${n}: calibrate over more prompts or steps.`);
  if (![...xs, ...ys].every(Number.isFinite)) throw new RangeError('Calibration samples must be finite numbers.');
  const a = Array.from({ length: n }, (_, i) => Array.from({ length: m }, (_, j) => xs[i]! ** (degree - j)));
  const norms = Array.from({ length: m }, (_, j) => Math.hypot(...a.map((row) => row[j]!)) || 1);
  for (const row of a) for (let j = 0; j < m; j++) row[j]! /= norms[j]!;
  const b = [...ys];
  for (let k = 0; k < m; k++) {
    const column = a.slice(k).map((row) => row[k]!);
    const alpha = -Math.sign(column[0]! || 1) * Math.hypot(...column);
    const v = column.map((value, i) => (i === 0 ? value - alpha : value));
    const vv = v.reduce((s, value) => s + value * value, 0);
    if (vv === 0) continue;
    for (let j = k; j < m; j++) {
      const dot = v.reduce((s, value, i) => s + value * a[k + i]![j]!, 0);
      for (let i = 0; i < v.length; i++) a[k + i]![j]! -= (2 * dot * v[i]!) / vv;
    }
    const dot = v.reduce((s, value, i) => s + value * b[k + i]!, 0);
    for (let i = 0; i < v.length; i++) b[k + i]! -= (2 * dot * v[i]!) / vv;
  }
  const scaled = new Array<number>(m).fill(0);
  for (let k = m - 1; k >= 0; k--) {
    const diagonal = a[k]![k]!;
    if (Math.abs(diagonal) < 1e-12) throw new RangeError('The calibration samples cannot fix this polynomial (too few distinct inputs): lower the degree or add prompts.');
    let sum = b[k]!;
    for (let j = k + 1; j < m; j++) sum -= a[k]![j]! * scaled[j]!;
    scaled[k] = sum / diagonal;
  }
  const coefficients = scaled.map((c, j) => c / norms[j]!);
  const predicted = xs.map((x) => polyval(coefficients, x));
  const meanY = ys.reduce((s, y) => s + y, 0) / n;
  const squared = ys.reduce((s, y, i) => s + (y - predicted[i]!) ** 2, 0);
  const variance = ys.reduce((s, y) => s + (y - meanY) ** 2, 0);
  const absolute = ys.reduce((s, y, i) => s + Math.abs(y - predicted[i]!), 0) / n;
  return {
    coefficients,
    rmse: Math.sqrt(squared / n),
    relativeError: meanY === 0 ? 0 : absolute / Math.abs(meanY),
    r2: variance === 0 ? 1 : 1 - squared / variance,
    samples: n,
  };
}

export const CalibrationSchema = z.object({
  format: z.literal(CALIBRATION_FORMAT),
  /** The model the polynomial was fitted for (its model.json id). */
  modelId: z.string().min(1),
  /** What was measured: x is the input-side signal, y the output-side change, both relative L1 between consecutive steps. */
  input: z.literal('first-block-modulated-input'),
  output: z.literal('velocity'),
  coefficients: z.array(z.number().finite()).min(1).max(9),
  /** The teacache policy's default threshold under this polynomial (see CALIBRATED_DEFAULT_SPEEDUP); older files lack it. */
  threshold: z.number().finite().nonnegative().optional(),
  /**
   * MagCache's per-step magnitude ratios of the blocks' residual (mean over the runs; the first is 1),
   * measured in the same uncached runs; older files lack them.
   */
  magRatios: z.array(z.number().finite().nonnegative()).min(1).max(1000).optional(),
  fit: z.object({
    rmse: z.number().nonnegative(),
    relativeError: z.number().nonnegative(),
    r2: z.number(),
    samples: z.number().int().positive(),
    /** Smallest and largest input fitted: outside it the polynomial is extrapolating. */
    inputRange: z.tuple([z.number(), z.number()]).optional(),
  }),
  runs: z.object({
    prompts: z.array(z.string()),
    seeds: z.array(z.number().int()),
    steps: z.number().int().positive(),
    guidanceScale: z.number(),
    /** The image size the runs were made at; older files ran at the model's default and lack it. */
    width: z.number().int().positive().optional(),
    height: z.number().int().positive().optional(),
  }),
  /** Fingerprints of the weights files fitted (calibration-file.ts): a calibration for other weights is ignored. */
  weights: z.record(z.string(), z.string()).optional(),
  /** Whether the weights were trained when calibrated: random weights give a meaningless fit. */
  trained: z.boolean(),
  createdAt: z.string(),
});

export type Calibration = z.infer<typeof CalibrationSchema>;

/** One uncached run's per-step measurements: signals[i] and changes[i] compare step i with step i−1 (index 0 unused). */
export interface CalibrationTrace {
  readonly signals: readonly (number | undefined)[];
  readonly changes: readonly (number | undefined)[];
}

/** The (x, y) pairs of traces, skipping steps without both measurements. */
export function calibrationSamples(traces: readonly CalibrationTrace[]): { xs: number[]; ys: number[] } {
  const xs: number[] = [];
  const ys: number[] = [];
  for (const trace of traces) {
    for (let i = 1; i < trace.signals.length; i++) {
      const x = trace.signals[i];
      const y = trace.changes[i];
      if (x === undefined || y === undefined || !Number.isFinite(x) || !Number.isFinite(y)) continue;
      xs.push(x);
      ys.push(y);
    }
  }
  return { xs, ys };
}
