// The cache settings a request resolves to: today's requests mean what they
// meant (seed policy, output reuse, no options), and the new choices get
// their documented defaults. Pure.

import { describe, expect, it } from 'vitest';
import type { ModelDefaults, ModelInfo } from '../../../main/engine/models/image-model.ts';
import { GenerationRequestSchema } from '../../../main/core/request.ts';
import { describeGuidance, resolveRequest } from '../../../main/core/resolve-request.ts';
import { FLUX1_COEFFICIENTS } from '../../../main/core/teacache/teacache-policy.ts';
import { FLUX1_MAG_RATIOS } from '../../../main/core/teacache/magcache-policy.ts';
import { presetSettings } from '../../../main/core/teacache/presets.ts';
import { DEFAULT_CACHE_OPTIONS } from '../../support/cache-options.ts';

const info: ModelInfo = { id: 'm', name: 'Test model', trained: false, notes: [], guidanceEmbedded: false, sizeMultiple: 4, maxSize: 64 };
const defaults: ModelDefaults = { steps: 20, width: 32, height: 32, guidanceScale: 4, shift: false, teacache: { threshold: 0.1, rescaleFactor: 1 } };
const model = { info, defaults };

describe('guidance, as each reference pipeline means guidance_scale (issue 12, item 9)', () => {
  const schnell = { info: { ...info, name: 'FLUX.1 [schnell]' }, defaults: { ...defaults, guidanceScale: 1, guidanceRule: 'above-one-with-negative' as const } };
  const dev = { info: { ...info, guidanceEmbedded: true }, defaults: { ...defaults, guidanceRule: 'above-one-with-negative' as const } };
  const mode = (m: typeof model, guidanceScale: number, negativePrompt?: string) =>
    resolveRequest(m, { prompt: 'x', seed: 1, guidanceScale, ...(negativePrompt === undefined ? {} : { negativePrompt }) }).guidanceMode;

  it("ignores schnell's guidance as diffusers does (the model card's 0 kept the prompt), unless true CFG is asked for with a negative prompt", () => {
    expect(mode(schnell, 0)).toBe('none');
    expect(mode(schnell, 4)).toBe('none');
    expect(mode(schnell, 4, '  ')).toBe('none');
    expect(mode(schnell, 1, 'blurry')).toBe('none');
    expect(mode(schnell, 0.5, 'blurry')).toBe('none');
    expect(mode(schnell, 4, 'blurry')).toBe('cfg');
    expect(resolveRequest(schnell, { prompt: 'x', seed: 1, guidanceScale: 0 }).cache.skipEarlySteps).toBe(0);
  });

  it("embeds dev's guidance whatever the scale, and keeps the built-in model's true CFG at any scale but 1", () => {
    expect(mode(dev, 0)).toBe('embedded');
    expect(mode(dev, 4, 'blurry')).toBe('embedded');
    expect(mode(model, 0)).toBe('cfg');
    expect(mode(model, 1)).toBe('none');
  });

  it('says which applies in one line', () => {
    expect(describeGuidance(schnell, 0, '')).toMatch(/ignored by this model, as in diffusers; true CFG needs a scale above 1 and a negative prompt/);
    expect(describeGuidance(schnell, 4, 'blurry')).toMatch(/^True CFG at 4/);
    expect(describeGuidance(dev, 3.5, '')).toMatch(/^Embedded guidance 3.5/);
    expect(describeGuidance(model, 1, '')).toMatch(/Scale 1 turns guidance off/);
  });

  it('says for every rule which guidance a scale gives, and against which prompt', () => {
    const rule = (guidanceRule: NonNullable<ModelDefaults['guidanceRule']>) => ({ info, defaults: { ...defaults, guidanceRule } });
    // Z-Image (pipeline_z_image.py: guidance_scale > 0, negative prompt "" when none is given).
    expect(mode(rule('z-image'), 0)).toBe('none');
    expect(mode(rule('z-image'), 0.5)).toBe('cfg');
    expect(describeGuidance(rule('z-image'), 0, '')).toBe('Scale 0 turns guidance off; above 0 runs true CFG against the negative prompt (the empty prompt when none is given).');
    expect(describeGuidance(rule('z-image'), 4, '')).toBe('True CFG at 4: the prompt and the empty negative prompt run together.');
    expect(describeGuidance(rule('z-image'), 4, 'blurry')).toBe('True CFG at 4: the prompt and the negative prompt run together.');
    // klein Base (pipeline_flux2_klein.py: guidance_scale > 1 and not is_distilled).
    expect(mode(rule('above-one'), 1)).toBe('none');
    expect(mode(rule('above-one'), 1.5)).toBe('cfg');
    expect(describeGuidance(rule('above-one'), 1, 'blurry')).toBe('Guidance at 1 or below is off; above 1 runs true CFG against the negative prompt (the empty prompt when none is given).');
    expect(describeGuidance(rule('above-one'), 4, '')).toBe('True CFG at 4: the prompt and the empty negative prompt run together.');
    // Step-distilled klein ignores every scale.
    for (const g of [0, 1, 4, 12]) expect(mode(rule('never'), g, 'blurry')).toBe('none');
    expect(describeGuidance(rule('never'), 4, 'blurry')).toBe('This step-distilled model ignores guidance, as in diffusers: one forward per step.');
  });
});

describe('resolveRequest cache settings', () => {
  it("keeps today's requests meaning the same: the seed rule, reusing the output, no window or cap", () => {
    expect(resolveRequest(model, { prompt: 'x', seed: 1 }).cache).toEqual({
      enabled: true,
      policy: 'seed',
      threshold: 0.1,
      rescaleFactor: 1,
      skipEarlySteps: 3,
      ...DEFAULT_CACHE_OPTIONS,
      coefficients: [...FLUX1_COEFFICIENTS],
    });
  });

  it("gives the teacache policy the original's threshold and the model's calibrated polynomial", () => {
    const calibrated = { info, defaults: { ...defaults, teacache: { ...defaults.teacache, coefficients: [3, 2, 1] } } };
    expect(resolveRequest(calibrated, { prompt: 'x', seed: 1, cache: { policy: 'teacache' } }).cache).toMatchObject({ threshold: 0.4, coefficients: [3, 2, 1], alwaysComputeLast: true });
    expect(resolveRequest(calibrated, { prompt: 'x', seed: 1, cache: { policy: 'teacache', alwaysComputeLast: false } }).cache.alwaysComputeLast).toBe(false);
    expect(resolveRequest(calibrated, { prompt: 'x', seed: 1, cache: { policy: 'teacache', threshold: 0.2, coefficients: [1, 0] } }).cache).toMatchObject({
      threshold: 0.2,
      coefficients: [1, 0],
    });
  });

  it('rejects an empty window with advice', () => {
    expect(() => resolveRequest(model, { prompt: 'x', seed: 1, cache: { startFraction: 0.5, endFraction: 0.5 } })).toThrow(/must come before its end/);
  });

  it('validates the new fields at the boundary', () => {
    const parse = (cache: unknown) => GenerationRequestSchema.safeParse({ prompt: 'x', seed: 1, cache }).success;
    expect(parse({ policy: 'teacache', reuse: 'residual', maxConsecutiveReuses: null, alwaysComputeLast: true })).toBe(true);
    expect(parse({ policy: 'magic' })).toBe(false);
    expect(parse({ reuse: 'everything' })).toBe(false);
    expect(parse({ accumulate: 'since-compute' })).toBe(true);
    expect(parse({ accumulate: 'sometimes' })).toBe(false);
    expect(parse({ endFraction: 1.5 })).toBe(false);
    expect(parse({ maxConsecutiveReuses: -1 })).toBe(false);
  });
});

describe('resolveRequest for the published methods', () => {
  it("fills each method's own defaults: MagCache's threshold, K, 20% retention, residual reuse and ratios; EasyCache's window", () => {
    const magcache = resolveRequest(model, { prompt: 'p', seed: 1, cache: { policy: 'magcache' } }).cache;
    expect(magcache).toMatchObject({ threshold: 0.06, maxConsecutiveReuses: 3, skipEarlySteps: 4, reuse: 'residual', alwaysComputeLast: false });
    expect(magcache.magRatios).toEqual([...FLUX1_MAG_RATIOS]);
    const calibrated = resolveRequest({ info, defaults: { ...defaults, teacache: { ...defaults.teacache, magRatios: [1, 0.9] } } }, { prompt: 'p', seed: 1, cache: { policy: 'magcache' } });
    expect(calibrated.cache.magRatios).toEqual([1, 0.9]);
    expect(resolveRequest(model, { prompt: 'p', seed: 1, cache: { policy: 'magcache', maxConsecutiveReuses: null } }).cache.maxConsecutiveReuses).toBeNull();
    expect(resolveRequest(model, { prompt: 'p', seed: 1, cache: { policy: 'easycache' } }).cache).toMatchObject({ threshold: 0.2, startFraction: 0.15, endFraction: 0.95, maxConsecutiveReuses: null });
    expect(resolveRequest(model, { prompt: 'p', seed: 1, cache: { policy: 'first-block', reuse: 'output' } }).cache).toMatchObject({ threshold: 0.05, reuse: 'residual' });
    // Only magcache carries ratios into the record.
    expect(resolveRequest(model, { prompt: 'p', seed: 1, cache: { policy: 'seed' } }).cache).not.toHaveProperty('magRatios');
  });
});

describe('presetSettings', () => {
  const presets = {
    quality: { policy: 'teacache' as const, threshold: 0.2, measured: { speedup: 2, source: 'test' } },
    balanced: { policy: 'magcache' as const, reuse: 'residual' as const, threshold: 0.3, skipEarlySteps: 2, measured: { speedup: 3, meanPsnr: 35, source: 'test' } },
    fast: { policy: 'seed' as const, threshold: 0.5, measured: { speedup: 4, source: 'test' } },
  };

  it("gives a preset's cache settings without its record of where it was measured", () => {
    expect(presetSettings(presets, 'balanced', 'Test model')).toEqual({ enabled: true, policy: 'magcache', reuse: 'residual', threshold: 0.3, skipEarlySteps: 2 });
  });

  it('says what to do for an unknown preset or a model without presets', () => {
    expect(() => presetSettings(presets, 'turbo', 'Test model')).toThrow(/pick quality, balanced, fast/);
    expect(() => presetSettings(undefined, 'fast', 'Test model')).toThrow(/Test model has no cache presets/);
  });
});
