// Puts a fitted polynomial in force on a model: the same weights and methods, defaults whose teacache
// coefficients (and the default threshold on their scale) are the calibration's. Runs in the engine;
// loads nothing and writes nothing.

import type { ImageModel, ModelDefaults } from '../models/image-model.ts';
import type { Calibration } from '../../core/teacache/calibration.ts';

/** What of a calibration the model's defaults take. */
export type CalibratedDefaults = Pick<Calibration, 'coefficients' | 'threshold' | 'magRatios'>;

/**
 * `defaults` with the teacache policy's polynomial replaced (highest power first). A threshold chosen for
 * another polynomial's scale would mislead, so without the calibration's own the policy's default applies.
 */
export function defaultsWithCalibration(defaults: ModelDefaults, calibration: CalibratedDefaults): ModelDefaults {
  const { signalThreshold: _previousScale, ...teacache } = defaults.teacache;
  return {
    ...defaults,
    teacache: {
      ...teacache,
      coefficients: [...calibration.coefficients],
      ...(calibration.threshold === undefined ? {} : { signalThreshold: calibration.threshold }),
      ...(calibration.magRatios === undefined ? {} : { magRatios: [...calibration.magRatios] }),
    },
  };
}

/**
 * The model with another calibration in force, for resolveRequest to fill in from the next run on. The loaded
 * model stays the prototype, so its weights are shared rather than reloaded and its methods keep working; only
 * `defaults` is the view's own. Always pass the model as loaded, not an earlier view, so views never stack.
 */
export function withCalibration(model: ImageModel, calibration: CalibratedDefaults): ImageModel {
  const defaults = defaultsWithCalibration(model.defaults, calibration);
  return Object.create(model, { defaults: { value: defaults, enumerable: true } }) as ImageModel;
}
