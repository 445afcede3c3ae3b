// Fills a request's omitted choices from a model's defaults. Pure (no Node),
// so the renderer resolves and predicts with exactly the engine's rules.

import { EngineError } from './errors.ts';
import type { ModelDefaults, ModelInfo } from './models/image-model.ts';
import type { GenerationRequest, ResolvedRequest } from './request.ts';
import { CFG_SKIP_EARLY_STEPS } from './teacache/seed-policy.ts';

/** Fills every omitted choice from the model's defaults and checks the size. */
export function resolveRequest(model: { readonly info: ModelInfo; readonly defaults: ModelDefaults }, request: GenerationRequest): ResolvedRequest {
  const { defaults, info } = model;
  const width = request.width ?? defaults.width;
  const height = request.height ?? defaults.height;
  for (const [label, value] of [['width', width], ['height', height]] as const) {
    if (value % info.sizeMultiple !== 0 || value > info.maxSize) {
      throw new EngineError(
        'BAD_REQUEST',
        `${label} ${value} does not suit ${info.name}: use a multiple of ${info.sizeMultiple} up to ${info.maxSize}.`,
        { field: label, value },
      );
    }
  }
  const guidanceScale = request.guidanceScale ?? defaults.guidanceScale;
  const guidanceMode = info.guidanceEmbedded ? 'embedded' : guidanceScale === 1 ? 'none' : 'cfg';
  const cache = request.cache ?? {};
  return {
    prompt: request.prompt,
    negativePrompt: request.negativePrompt ?? '',
    seed: request.seed,
    steps: request.steps ?? defaults.steps,
    width,
    height,
    guidanceScale,
    guidanceMode,
    shift: defaults.shift,
    cache: {
      enabled: cache.enabled ?? true,
      policy: cache.policy ?? 'seed',
      threshold: cache.threshold ?? defaults.teacache.threshold,
      rescaleFactor: cache.rescaleFactor ?? defaults.teacache.rescaleFactor,
      skipEarlySteps: cache.skipEarlySteps ?? (guidanceMode === 'cfg' ? CFG_SKIP_EARLY_STEPS : 0),
    },
  };
}
