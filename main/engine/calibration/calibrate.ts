// Calibrates a model's TeaCache polynomial: uncached runs over a prompt set,
// recording per step the input-side signal and the output-side change, then a
// least-squares fit. The CLI and the UI's engine worker both call this. Runs
// in the engine (Node); writes nothing itself (see calibration-file.ts).

import { EngineError } from '../../core/errors.ts';
import type { Generator } from '../generate.ts';
import type { MxArray } from '../mlx/backend.ts';
import { relativeL1, type StepEvent } from '../sampler/sampler.ts';
import { CALIBRATION_FORMAT, calibrationSamples, fitPolynomial, type Calibration, type CalibrationTrace, type PolynomialFit } from '../../core/teacache/calibration.ts';
import { thresholdForSpeedup } from '../../core/teacache/predict.ts';
import { FLUX1_COEFFICIENTS, polyval } from '../../core/teacache/teacache-policy.ts';
import { resolveRequest } from '../../core/resolve-request.ts';
import { DEFAULT_CALIBRATION_DEGREE, minCalibrationSamples } from '../../core/teacache/default-prompts.ts';

export { DEFAULT_CALIBRATION_PROMPTS } from '../../core/teacache/default-prompts.ts';

/** The speedup a calibrated polynomial's default threshold gives on its own runs: near the original's recommended FLUX.1 settings (1.8–2×). */
export const CALIBRATED_DEFAULT_SPEEDUP = 2;

export interface CalibrationOptions {
  readonly prompts: readonly string[];
  readonly seeds?: readonly number[];
  /** Omitted: the model's default. */
  readonly steps?: number;
  readonly guidanceScale?: number;
  /** Omitted: the model's default size. A smaller one calibrates a large model faster; its runs then set no default threshold. */
  readonly width?: number;
  readonly height?: number;
  /** Degree of the polynomial; 4 as in the original. */
  readonly degree?: number;
  readonly signal?: { readonly aborted: boolean };
  /** Fingerprints of the model's weights files, recorded so a calibration for other weights is ignored. */
  readonly weights?: Record<string, string>;
  /** After each run, for progress bars. */
  onRun?(done: number, total: number, prompt: string, seed: number): void;
  /** After each step of the run under way (finer progress for the app). */
  onStep?(event: StepEvent): void;
}

export interface CalibrationOutcome {
  readonly calibration: Calibration;
  readonly traces: readonly (CalibrationTrace & { readonly prompt: string; readonly seed: number })[];
  /** The same samples under FLUX.1's published polynomial, to show what the fit gains. */
  readonly flux1: Pick<PolynomialFit, 'rmse' | 'relativeError'>;
}

export async function calibrateModel(generator: Generator, options: CalibrationOptions): Promise<CalibrationOutcome> {
  const { mx, model } = generator;
  const prompts = options.prompts.map((p) => p.trim()).filter((p) => p !== '');
  if (prompts.length === 0) throw new RangeError('Calibration needs at least one prompt: pass a file with one prompt a line.');
  const seeds = options.seeds ?? [1];
  if (seeds.length === 0) throw new RangeError('Calibration needs at least one seed.');
  const total = prompts.length * seeds.length;
  const degree = options.degree ?? DEFAULT_CALIBRATION_DEGREE;
  const plannedSteps = options.steps ?? model.defaults.steps;
  const pairs = total * (plannedSteps - 1);
  if (pairs < minCalibrationSamples(degree)) {
    throw new EngineError(
      'BAD_REQUEST',
      `${total} run(s) of ${plannedSteps} steps give ${pairs} step pairs; a degree-${degree} fit needs at least ${minCalibrationSamples(degree)}, or it passes through every point and is wild between them: use more prompts, seeds or steps.`,
      { field: 'steps' },
    );
  }
  const traces: Array<CalibrationTrace & { prompt: string; seed: number }> = [];
  const ratioRuns: (number | undefined)[][] = [];
  let steps = 0;
  let guidanceScale = 0;
  let size = { width: 0, height: 0 };
  let timesteps: readonly number[] = [];
  for (const prompt of prompts) {
    for (const seed of seeds) {
      const changes: (number | undefined)[] = [];
      let previous: MxArray | undefined;
      const result = await generator.generate(
        {
          prompt,
          seed,
          ...(options.steps === undefined ? {} : { steps: options.steps }),
          ...(options.guidanceScale === undefined ? {} : { guidanceScale: options.guidanceScale }),
          ...(options.width === undefined ? {} : { width: options.width }),
          ...(options.height === undefined ? {} : { height: options.height }),
          cache: { enabled: false },
        },
        {
          measureSignal: true,
          ...(options.signal ? { signal: options.signal } : {}),
          ...(options.onStep ? { onStep: (event: StepEvent) => options.onStep!(event) } : {}),
          onVelocity: (index, velocity) => {
            changes[index] = previous ? relativeL1(mx, velocity, previous) : undefined;
            previous = velocity;
          },
        },
      );
      steps = result.request.steps;
      guidanceScale = result.request.guidanceScale;
      size = { width: result.request.width, height: result.request.height };
      timesteps = result.timesteps;
      traces.push({ prompt, seed, signals: result.events.map((e) => e.signal), changes });
      ratioRuns.push(result.events.map((e) => e.magnitudeRatio));
      options.onRun?.(traces.length, total, prompt, seed);
    }
  }
  const { xs, ys } = calibrationSamples(traces);
  const fit = fitPolynomial(xs, ys, degree);
  const meanY = ys.reduce((s, y) => s + y, 0) / ys.length;
  const flux1Errors = xs.map((x, i) => ys[i]! - polyval(FLUX1_COEFFICIENTS, x));
  const threshold = calibratedDefaultThreshold(model, fit.coefficients, { steps, guidanceScale, ...size }, timesteps, traces);
  const calibration: Calibration = {
    format: CALIBRATION_FORMAT,
    modelId: model.info.id,
    input: 'first-block-modulated-input',
    output: 'velocity',
    coefficients: fit.coefficients,
    ...(threshold === undefined ? {} : { threshold }),
    ...magnitudeRatios(ratioRuns),
    fit: { rmse: fit.rmse, relativeError: fit.relativeError, r2: fit.r2, samples: fit.samples, inputRange: [Math.min(...xs), Math.max(...xs)] },
    runs: { prompts, seeds: [...seeds], steps, guidanceScale, ...size },
    ...(options.weights ? { weights: options.weights } : {}),
    trained: model.info.trained,
    createdAt: new Date().toISOString(),
  };
  return {
    calibration,
    traces,
    flux1: {
      rmse: Math.sqrt(flux1Errors.reduce((s, e) => s + e * e, 0) / xs.length),
      relativeError: flux1Errors.reduce((s, e) => s + Math.abs(e), 0) / xs.length / Math.abs(meanY),
    },
  };
}

/** MagCache's ratios, step by step the mean over the runs (diffusers calibrates from one run; a mean is steadier). */
function magnitudeRatios(runs: readonly (readonly (number | undefined)[])[]): { magRatios?: number[] } {
  const steps = Math.min(...runs.map((r) => r.length));
  const ratios: number[] = [];
  for (let i = 0; i < steps; i++) {
    const values = runs.map((r) => r[i]).filter((v): v is number => v !== undefined && Number.isFinite(v));
    if (values.length === 0) return {};
    ratios.push(values.reduce((sum, v) => sum + v, 0) / values.length);
  }
  return ratios.length === 0 ? {} : { magRatios: ratios };
}

/**
 * The fitted polynomial has the model's own scale, so FLUX.1's default threshold means nothing
 * under it: the default becomes one at which these runs would have made half the forwards
 * (mid-way across the thresholds that do). Only runs as the model's defaults make them say that:
 * a threshold found on fewer steps, other guidance or another size (FLUX.1 dev's schedule shifts
 * with it, and the signal's size per step changes) would misjudge the default run, so then there
 * is none, and none either when the runs cannot reach the speed at all.
 */
function calibratedDefaultThreshold(
  model: Generator['model'],
  coefficients: readonly number[],
  runs: { readonly steps: number; readonly guidanceScale: number; readonly width: number; readonly height: number },
  timesteps: readonly number[],
  traces: readonly CalibrationTrace[],
): number | undefined {
  const { defaults } = model;
  const { steps, guidanceScale } = runs;
  if (steps !== defaults.steps || guidanceScale !== defaults.guidanceScale || runs.width !== defaults.width || runs.height !== defaults.height) return undefined;
  const settings = resolveRequest(model, { prompt: 'calibration', seed: 1, steps, guidanceScale, cache: { policy: 'teacache', coefficients: [...coefficients] } }).cache;
  const solution = thresholdForSpeedup(settings, timesteps, CALIBRATED_DEFAULT_SPEEDUP, traces.map((t) => t.signals));
  return solution.reachable ? solution.threshold : undefined;
}
