// Fills a request's omitted choices from a model's defaults. Pure (no Node),
// so the renderer resolves and predicts with exactly the engine's rules.

import { EngineError } from './errors.ts';
import type { ModelDefaults, ModelInfo } from './model-info.ts';
import type { GenerationRequest, ResolvedRequest } from './request.ts';
import type { PolicyName } from './teacache/policy.ts';
import { checkPolicyOptions } from './teacache/policy-options.ts';
import { CFG_SKIP_EARLY_STEPS } from './teacache/seed-policy.ts';
import { DEFAULT_TEACACHE_POLICY_THRESHOLD, FLUX1_COEFFICIENTS } from './teacache/teacache-policy.ts';

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
  const policy = cache.policy ?? 'seed';
  const options = {
    startFraction: cache.startFraction ?? 0,
    endFraction: cache.endFraction ?? 1,
    maxConsecutiveReuses: cache.maxConsecutiveReuses ?? null,
    alwaysComputeLast: cache.alwaysComputeLast ?? defaultAlwaysComputeLast(policy),
  };
  try {
    checkPolicyOptions(options);
  } catch (error) {
    throw new EngineError('BAD_REQUEST', (error as Error).message, { field: 'cache' });
  }
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
      policy,
      threshold: cache.threshold ?? defaultThreshold(defaults, policy),
      rescaleFactor: cache.rescaleFactor ?? defaults.teacache.rescaleFactor,
      skipEarlySteps: cache.skipEarlySteps ?? (guidanceMode === 'cfg' ? CFG_SKIP_EARLY_STEPS : 0),
      reuse: cache.reuse ?? 'output',
      accumulate: cache.accumulate ?? 'consecutive',
      ...options,
      coefficients: cache.coefficients ?? defaults.teacache.coefficients ?? [...FLUX1_COEFFICIENTS],
    },
  };
}

/**
 * The threshold a policy starts from: the model's tuned one for the timestep rules; for teacache the
 * one chosen with the model's calibrated polynomial, else the original's (FLUX.1's scale).
 */
export function defaultThreshold(defaults: ModelDefaults, policy: PolicyName): number {
  if (policy !== 'teacache') return defaults.teacache.threshold;
  return defaults.teacache.signalThreshold ?? DEFAULT_TEACACHE_POLICY_THRESHOLD;
}

/** The original TeaCache always computes the last step; the timestep rules never forced it. */
export function defaultAlwaysComputeLast(policy: PolicyName): boolean {
  return policy === 'teacache';
}
