// Fills a request's omitted choices from a model's defaults. Pure (no Node),
// so the renderer resolves and predicts with exactly the engine's rules.

import { EngineError } from './errors.ts';
import type { ModelDefaults, ModelInfo } from './model-info.ts';
import type { GenerationRequest, ResolvedRequest } from './request.ts';

/** What decides the guidance mode: the transformer's embedded guidance, else the reference pipeline's rule. */
type GuidanceRules = { readonly info: Pick<ModelInfo, 'guidanceEmbedded'>; readonly defaults: Pick<ModelDefaults, 'guidanceRule'> };
import { DEFAULT_POLICY, NEUTRAL_CACHE_OPTIONS as NEUTRAL } from './ranges.ts';
import type { PolicyName } from './teacache/policy.ts';
import { checkPolicyOptions } from './teacache/policy-options.ts';
import { CFG_SKIP_EARLY_STEPS } from './teacache/seed-policy.ts';
import { DEFAULT_TEACACHE_POLICY_THRESHOLD, FLUX1_COEFFICIENTS } from './teacache/teacache-policy.ts';
import { EASYCACHE_DEFAULTS } from './teacache/easycache-policy.ts';
import { FIRST_BLOCK_DEFAULT_THRESHOLD } from './teacache/first-block-policy.ts';
import { FLUX1_MAG_RATIOS, MAGCACHE_DEFAULTS, retentionSteps } from './teacache/magcache-policy.ts';

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
  const negativePrompt = request.negativePrompt ?? '';
  const guidanceMode = guidanceModeFor(model, guidanceScale, negativePrompt);
  const cache = request.cache ?? {};
  const policy = cache.policy ?? DEFAULT_POLICY;
  const steps = request.steps ?? defaults.steps;
  // Each published method's own defaults: EasyCache's window, MagCache's K.
  const options = {
    startFraction: cache.startFraction ?? (policy === 'easycache' ? EASYCACHE_DEFAULTS.startFraction : NEUTRAL.startFraction),
    endFraction: cache.endFraction ?? (policy === 'easycache' ? EASYCACHE_DEFAULTS.endFraction : NEUTRAL.endFraction),
    // null asks for no cap, so only an omitted cap takes MagCache's K.
    maxConsecutiveReuses: cache.maxConsecutiveReuses === undefined ? (policy === 'magcache' ? MAGCACHE_DEFAULTS.maxSkipSteps : NEUTRAL.maxConsecutiveReuses) : cache.maxConsecutiveReuses,
    alwaysComputeLast: cache.alwaysComputeLast ?? defaultAlwaysComputeLast(policy),
  };
  try {
    checkPolicyOptions(options);
  } catch (error) {
    throw new EngineError('BAD_REQUEST', (error as Error).message, { field: 'cache' });
  }
  return {
    prompt: request.prompt,
    negativePrompt,
    seed: request.seed,
    steps,
    width,
    height,
    guidanceScale,
    guidanceMode,
    shift: defaults.shift,
    ...(defaults.flowShift === undefined ? {} : { flowShift: defaults.flowShift }),
    ...(defaults.empiricalMu ? { empiricalMu: true as const } : {}),
    cache: {
      enabled: cache.enabled ?? true,
      policy,
      threshold: cache.threshold ?? defaultThreshold(defaults, policy),
      rescaleFactor: cache.rescaleFactor ?? defaults.teacache.rescaleFactor,
      // MagCache retains its first 20% of steps (its paper's and diffusers' retention ratio).
      skipEarlySteps: cache.skipEarlySteps ?? (policy === 'magcache' ? retentionSteps(MAGCACHE_DEFAULTS.retentionRatio, steps) : guidanceMode === 'cfg' ? CFG_SKIP_EARLY_STEPS : 0),
      // First-Block Cache can only stand in the remaining blocks' residual; MagCache reuses the residual as published.
      reuse: policy === 'first-block' ? 'residual' : (cache.reuse ?? (policy === 'magcache' ? 'residual' : NEUTRAL.reuse)),
      accumulate: cache.accumulate ?? NEUTRAL.accumulate,
      ...options,
      coefficients: cache.coefficients ?? defaults.teacache.coefficients ?? [...FLUX1_COEFFICIENTS],
      ...(policy === 'magcache' ? { magRatios: cache.magRatios ?? defaults.teacache.magRatios ?? [...FLUX1_MAG_RATIOS] } : {}),
    },
  };
}

/** What the guidance scale does for this model: what its reference pipeline's guidance_scale means (see GuidanceRule). */
export function guidanceModeFor(model: GuidanceRules, guidanceScale: number, negativePrompt: string): ResolvedRequest['guidanceMode'] {
  if (model.info.guidanceEmbedded) return 'embedded';
  if (model.defaults.guidanceRule === 'above-one-with-negative') return guidanceScale > 1 && negativePrompt.trim() !== '' ? 'cfg' : 'none';
  return cfgOff(model.defaults, guidanceScale) ? 'none' : 'cfg';
}

/** One line saying which guidance applies, for the CLI and the UI. */
export function describeGuidance(model: GuidanceRules, guidanceScale: number, negativePrompt: string): string {
  switch (guidanceModeFor(model, guidanceScale, negativePrompt)) {
    case 'embedded':
      return `Embedded guidance ${guidanceScale}: one forward per step.`;
    case 'cfg':
      // Z-Image's and klein Base's pipelines guide against "" when no negative prompt is given.
      return `True CFG at ${guidanceScale}: the prompt and ${negativePrompt.trim() === '' ? 'the empty negative prompt' : 'the negative prompt'} run together.`;
    case 'none':
      switch (model.defaults.guidanceRule) {
        case 'above-one-with-negative':
          return 'Guidance is ignored by this model, as in diffusers; true CFG needs a scale above 1 and a negative prompt.';
        case 'never':
          return 'This step-distilled model ignores guidance, as in diffusers: one forward per step.';
        case 'z-image':
          return 'Scale 0 turns guidance off; above 0 runs true CFG against the negative prompt (the empty prompt when none is given).';
        case 'above-one':
          return 'Guidance at 1 or below is off; above 1 runs true CFG against the negative prompt (the empty prompt when none is given).';
        default:
          return 'Scale 1 turns guidance off.';
      }
  }
}

/** Whether no guidance value has any effect (step-distilled klein, whose pipeline ignores guidance_scale): the app disables its slider. */
export function ignoresGuidance(model: GuidanceRules): boolean {
  return !model.info.guidanceEmbedded && model.defaults.guidanceRule === 'never';
}

/**
 * Whether a guidance value turns true CFG off: 0 under Z-Image's rule (its pipeline's `guidance_scale > 0`), up to 1 under
 * klein Base's (`guidance_scale > 1`), every value for step-distilled klein, 1 under FLUX's.
 */
export function cfgOff(defaults: Pick<ModelDefaults, 'guidanceRule'>, guidanceScale: number): boolean {
  switch (defaults.guidanceRule) {
    case 'z-image':
      return guidanceScale <= 0;
    case 'above-one':
    case 'above-one-with-negative':
      return guidanceScale <= 1;
    case 'never':
      return true;
    default:
      return guidanceScale === 1;
  }
}

/** The weight of (pos − neg) added to neg: Z-Image's pos + g·(pos − neg) is neg + (1 + g)·(pos − neg). */
export function cfgWeight(defaults: ModelDefaults, guidanceScale: number): number {
  return defaults.guidanceRule === 'z-image' ? 1 + guidanceScale : guidanceScale;
}

/**
 * The threshold a policy starts from: the model's tuned one for the timestep rules; for teacache the
 * one chosen with the model's calibrated polynomial, else the original's (FLUX.1's scale).
 */
export function defaultThreshold(defaults: ModelDefaults, policy: PolicyName): number {
  if (policy === 'magcache') return MAGCACHE_DEFAULTS.threshold;
  if (policy === 'easycache') return EASYCACHE_DEFAULTS.threshold;
  if (policy === 'first-block') return FIRST_BLOCK_DEFAULT_THRESHOLD;
  if (policy !== 'teacache') return defaults.teacache.threshold;
  return defaults.teacache.signalThreshold ?? DEFAULT_TEACACHE_POLICY_THRESHOLD;
}

/** The original TeaCache always computes the last step; the timestep rules and the other published methods never force it. */
export function defaultAlwaysComputeLast(policy: PolicyName): boolean {
  return policy === 'teacache';
}
