// How the forecasting reuse modes extrapolate a reused step from the factors
// kept at the last compute (the velocity, then its divided differences):
// TaylorSeer's Taylor series, and HiCache's scaled Hermite series, which damps
// the higher orders so that a forecast over a long gap stays bounded. Pure.

import type { ReuseMode } from './policy.ts';

/**
 * HiCache's scale σ (its reference code's default for FLUX): the k-th term is
 * weighted σᵏ·Hₖ(σ·u)/k! instead of Taylor's uᵏ/k!, so each order shrinks by σᵏ
 * and the second order carries a −σ² correction that pulls an overshooting
 * curvature back.
 */
export const HICACHE_SCALE = 0.5;

/** How many divided differences a reuse mode keeps: 0 for the modes that do not forecast. */
export function forecastOrder(reuse: ReuseMode): number {
  if (reuse === 'taylor') return 1;
  if (reuse === 'taylor2' || reuse === 'hermite') return 2;
  return 0;
}

/**
 * Whether the mode forecasts in step counts rather than in t: HiCache's
 * Hermite weights are not scale-free (σ·u must be measured in steps, as its
 * scale was chosen for), while a Taylor series in t is exact for any spacing.
 */
export function forecastsInSteps(reuse: ReuseMode): boolean {
  return reuse === 'hermite';
}

/** Physicists' Hermite polynomial Hₙ(y), by Hₙ₊₁ = 2y·Hₙ − 2n·Hₙ₋₁. */
export function hermite(n: number, y: number): number {
  let previous = 1;
  if (n === 0) return previous;
  let current = 2 * y;
  for (let k = 1; k < n; k++) [previous, current] = [current, 2 * y * current - 2 * k * previous];
  return current;
}

/**
 * The weight of each factor j = 1…orders in the forecast at `offset` (in t, or
 * in steps for Hermite) from the last compute: forecast = held + Σ weight[j−1]·factor[j].
 */
export function forecastWeights(reuse: ReuseMode, offset: number, orders: number): number[] {
  const weights: number[] = [];
  let factorial = 1;
  for (let j = 1; j <= orders; j++) {
    factorial *= j;
    weights.push(reuse === 'hermite' ? (HICACHE_SCALE ** j * hermite(j, HICACHE_SCALE * offset)) / factorial : offset ** j / factorial);
  }
  return weights;
}
