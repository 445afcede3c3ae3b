// The prompt set calibration uses when none is given, and the polynomial's degree. Pure (no Node, no tensors),
// so the IPC contract and the renderer can offer the same defaults the engine runs.

/** Prompts the built-in model knows, kept apart from the benchmark's so the fit is not judged on its own data. */
export const DEFAULT_CALIBRATION_PROMPTS: readonly string[] = Object.freeze(['red apple', 'happy dog face', 'blue fish', 'pink flower', 'green tree', 'yellow sun']);

/** The polynomial's degree, as in the original TeaCache. */
export const DEFAULT_CALIBRATION_DEGREE = 4;

/**
 * Step pairs a calibration needs for a polynomial of `degree`: four per coefficient. With one per
 * coefficient the fit passes through every point, reports no error, and is wild between them
 * (measured: ±48,000 coefficients from 5 pairs).
 */
export function minCalibrationSamples(degree: number): number {
  return 4 * (degree + 1);
}
