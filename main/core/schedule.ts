// FLUX's flow-matching schedule: t from 1 (noise) to 0 (image), optionally
// shifted toward 1 for larger images. Pure.

/** Image-token counts and shifts between which FLUX interpolates mu linearly. */
const BASE_TOKENS = 256;
const MAX_TOKENS = 4096;
const BASE_SHIFT = 0.5;
const MAX_SHIFT = 1.15;

/** FLUX's `mu` for a sequence of `imageTokens` packed tokens (extrapolated outside 256–4096). */
export function shiftMu(imageTokens: number): number {
  const slope = (MAX_SHIFT - BASE_SHIFT) / (MAX_TOKENS - BASE_TOKENS);
  return BASE_SHIFT + slope * (imageTokens - BASE_TOKENS);
}

/** `e^mu / (e^mu + (1/t − 1))`: maps 0→0 and 1→1, bending toward 1. */
export function timeShift(mu: number, t: number): number {
  if (t <= 0) return 0;
  const expMu = Math.exp(mu);
  return expMu / (expMu + (1 / t - 1));
}

export interface ScheduleOptions {
  /** Token count for the resolution-dependent shift; omit for none (schnell). */
  readonly shiftForImageTokens?: number;
}

/** The `steps + 1` time points of a run: `linspace(1, 0, steps + 1)`, shifted if asked. */
export function fluxSchedule(steps: number, options: ScheduleOptions = {}): number[] {
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`steps must be a positive integer, got ${steps}`);
  const linear = Array.from({ length: steps + 1 }, (_, i) => 1 - i / steps);
  const tokens = options.shiftForImageTokens;
  if (tokens === undefined) return linear;
  const mu = shiftMu(tokens);
  return linear.map((t) => timeShift(mu, t));
}

/**
 * Z-Image's schedule: sigmas linspace(1, 1/N, N) (its pipeline's default),
 * shifted statically, σ' = s·σ / (1 + (s − 1)·σ), then a final 0, in float32
 * as diffusers' scheduler computes them.
 */
export function staticShiftSchedule(steps: number, shift: number): number[] {
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`steps must be a positive integer, got ${steps}`);
  const f = Math.fround;
  const end = 1 / steps;
  const stepSize = steps === 1 ? 0 : f((end - 1) / (steps - 1));
  const sigmas = Array.from({ length: steps }, (_, i) => {
    // torch.linspace fills the second half from the end, so both ends are exact.
    const s = i < Math.floor(steps / 2) ? f(1 + f(stepSize * i)) : f(end - f(stepSize * (steps - 1 - i)));
    return f(f(shift * s) / f(1 + f((shift - 1) * s)));
  });
  return [...sigmas, 0];
}

/**
 * FLUX.2's `compute_empirical_mu`: the shift fitted to image sequence length
 * and step count, linear in the step count between fits at 10 and 200 steps
 * below 4300 tokens, the 200-step fit alone above.
 */
export function empiricalMu(imageTokens: number, steps: number): number {
  const [a1, b1] = [8.73809524e-5, 1.89833333];
  const [a2, b2] = [0.00016927, 0.45666666];
  const m200 = a2 * imageTokens + b2;
  if (imageTokens > 4300) return m200;
  const m10 = a1 * imageTokens + b1;
  const a = (m200 - m10) / 190;
  return a * steps + (m200 - 200 * a);
}

/**
 * FLUX.2's schedule: sigmas linspace(1, 1/N, N) (numpy, float64, then
 * float32), each exponentially time-shifted by the empirical mu in float32 as
 * diffusers' scheduler computes it, then a final 0.
 */
export function empiricalMuSchedule(steps: number, imageTokens: number): number[] {
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`steps must be a positive integer, got ${steps}`);
  const f = Math.fround;
  const end = 1 / steps;
  const step = steps === 1 ? 0 : (end - 1) / (steps - 1);
  const expMu = f(Math.exp(empiricalMu(imageTokens, steps)));
  const sigmas = Array.from({ length: steps }, (_, i) => {
    // numpy's linspace sets its last point to the end exactly.
    const s = f(i === steps - 1 ? end : 1 + i * step);
    return f(expMu / f(expMu + f(f(1 / s) - 1)));
  });
  return [...sigmas, 0];
}

/** The schedule a resolved request runs on; the UI's predictions use the same one. */
export function scheduleFor(
  request: { readonly steps: number; readonly width: number; readonly height: number; readonly shift: boolean; readonly flowShift?: number | undefined; readonly empiricalMu?: true | undefined },
  patchSize: number,
): number[] {
  if (request.flowShift !== undefined) return staticShiftSchedule(request.steps, request.flowShift);
  const imageTokens = (request.width / patchSize) * (request.height / patchSize);
  if (request.empiricalMu) return empiricalMuSchedule(request.steps, imageTokens);
  return fluxSchedule(request.steps, request.shift ? { shiftForImageTokens: imageTokens } : {});
}
