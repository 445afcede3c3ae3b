// Puts a fitted polynomial in force on a model already loaded: the same weights and methods, defaults whose
// teacache coefficients are the new ones. Runs in the engine; loads nothing and writes nothing.

import type { ImageModel, ModelDefaults } from '../models/image-model.ts';

/** `defaults` with the teacache policy's polynomial replaced (highest power first). */
export function defaultsWithCoefficients(defaults: ModelDefaults, coefficients: readonly number[]): ModelDefaults {
  return { ...defaults, teacache: { ...defaults.teacache, coefficients: [...coefficients] } };
}

/**
 * The model with other teacache coefficients, for resolveRequest to fill in from the next run on. The loaded
 * model stays the prototype, so its weights are shared rather than reloaded and its methods keep working; only
 * `defaults` is the view's own. Always pass the model as loaded, not an earlier view, so views never stack.
 */
export function withCoefficients(model: ImageModel, coefficients: readonly number[]): ImageModel {
  const defaults = defaultsWithCoefficients(model.defaults, coefficients);
  return Object.create(model, { defaults: { value: defaults, enumerable: true } }) as ImageModel;
}
