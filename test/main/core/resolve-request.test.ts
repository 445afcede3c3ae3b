// The cache settings a request resolves to: today's requests mean what they
// meant (seed policy, output reuse, no options), and the new choices get
// their documented defaults. Pure.

import { describe, expect, it } from 'vitest';
import type { ModelDefaults, ModelInfo } from '../../../main/engine/models/image-model.ts';
import { GenerationRequestSchema } from '../../../main/core/request.ts';
import { resolveRequest } from '../../../main/core/resolve-request.ts';
import { FLUX1_COEFFICIENTS } from '../../../main/core/teacache/teacache-policy.ts';

const info: ModelInfo = { id: 'm', name: 'Test model', trained: false, notes: [], guidanceEmbedded: false, sizeMultiple: 4, maxSize: 64 };
const defaults: ModelDefaults = { steps: 20, width: 32, height: 32, guidanceScale: 4, shift: false, teacache: { threshold: 0.1, rescaleFactor: 1 } };
const model = { info, defaults };

describe('resolveRequest cache settings', () => {
  it("keeps today's requests meaning the same: the seed rule, reusing the output, no window or cap", () => {
    expect(resolveRequest(model, { prompt: 'x', seed: 1 }).cache).toEqual({
      enabled: true,
      policy: 'seed',
      threshold: 0.1,
      rescaleFactor: 1,
      skipEarlySteps: 3,
      reuse: 'output',
      accumulate: 'consecutive',
      startFraction: 0,
      endFraction: 1,
      maxConsecutiveReuses: null,
      alwaysComputeLast: false,
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
