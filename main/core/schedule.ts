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

/** The schedule a resolved request runs on; the UI's predictions use the same one. */
export function scheduleFor(request: { readonly steps: number; readonly width: number; readonly height: number; readonly shift: boolean }, patchSize: number): number[] {
  const imageTokens = (request.width / patchSize) * (request.height / patchSize);
  return fluxSchedule(request.steps, request.shift ? { shiftForImageTokens: imageTokens } : {});
}
