// The one table of request settings: the request schema refuses exactly past its limits, every slider stays
// inside them, and the neutral defaults are what a resolved request holds when nothing else applies.

import { describe, expect, it } from 'vitest';
import { NEUTRAL_CACHE_OPTIONS, RANGES, REQUEST_LIMITS, TEACACHE_THRESHOLD_RANGE, thresholdRange } from '../../../main/core/ranges.ts';
import { GenerationRequestSchema } from '../../../main/core/request.ts';
import { resolveRequest } from '../../../main/core/resolve-request.ts';
import { ModelDefaultsSchema, type ModelInfo } from '../../../main/core/model-info.ts';

const ok = (request: object) => GenerationRequestSchema.safeParse({ prompt: 'x', seed: 1, ...request }).success;

describe('REQUEST_LIMITS', () => {
  it('is what the request schema checks, at and just past each bound', () => {
    const fields: [string, { min: number; max: number }, (value: number) => object][] = [
      ['steps', REQUEST_LIMITS.steps, (steps) => ({ steps })],
      ['width', REQUEST_LIMITS.size, (width) => ({ width })],
      ['height', REQUEST_LIMITS.size, (height) => ({ height })],
      ['guidanceScale', REQUEST_LIMITS.guidanceScale, (guidanceScale) => ({ guidanceScale })],
      ['threshold', REQUEST_LIMITS.threshold, (threshold) => ({ cache: { threshold } })],
      ['rescaleFactor', REQUEST_LIMITS.rescaleFactor, (rescaleFactor) => ({ cache: { rescaleFactor } })],
      ['skipEarlySteps', REQUEST_LIMITS.skipEarlySteps, (skipEarlySteps) => ({ cache: { skipEarlySteps } })],
      ['startFraction', REQUEST_LIMITS.fraction, (startFraction) => ({ cache: { startFraction } })],
      ['endFraction', REQUEST_LIMITS.fraction, (endFraction) => ({ cache: { endFraction } })],
      ['maxConsecutiveReuses', REQUEST_LIMITS.maxConsecutiveReuses, (maxConsecutiveReuses) => ({ cache: { maxConsecutiveReuses } })],
    ];
    for (const [name, { min, max }, request] of fields) {
      expect(ok(request(min)), `${name} ${min}`).toBe(true);
      expect(ok(request(max)), `${name} ${max}`).toBe(true);
      expect(ok(request(min - 1)), `${name} ${min - 1}`).toBe(false);
      expect(ok(request(max + 1)), `${name} ${max + 1}`).toBe(false);
    }
    expect(ok({ prompt: 'x'.repeat(REQUEST_LIMITS.promptChars) })).toBe(true);
    expect(ok({ prompt: 'x'.repeat(REQUEST_LIMITS.promptChars + 1) })).toBe(false);
  });
});

describe('RANGES', () => {
  it('keeps every slider inside what a request may ask', () => {
    const within = (range: { min: number; max: number }, limit: { min: number; max: number }) => range.min >= limit.min && range.max <= limit.max;
    expect(within(RANGES.steps, REQUEST_LIMITS.steps)).toBe(true);
    expect(within(RANGES.guidanceScale, REQUEST_LIMITS.guidanceScale)).toBe(true);
    expect(within(RANGES.threshold, REQUEST_LIMITS.threshold)).toBe(true);
    expect(within(TEACACHE_THRESHOLD_RANGE, REQUEST_LIMITS.threshold)).toBe(true);
    expect(within(RANGES.rescaleFactor, REQUEST_LIMITS.rescaleFactor)).toBe(true);
    expect(within(RANGES.skipEarlySteps, REQUEST_LIMITS.skipEarlySteps)).toBe(true);
    expect(within(RANGES.window, REQUEST_LIMITS.fraction)).toBe(true);
    expect(within(RANGES.maxConsecutiveReuses, REQUEST_LIMITS.maxConsecutiveReuses)).toBe(true);
  });

  it('gives the timestep rules the timestep scale and the signal policies the finer one', () => {
    expect(thresholdRange('seed')).toBe(RANGES.threshold);
    expect(thresholdRange('timestep-consecutive')).toBe(RANGES.threshold);
    for (const policy of ['teacache', 'magcache', 'first-block', 'easycache'] as const) expect(thresholdRange(policy)).toBe(TEACACHE_THRESHOLD_RANGE);
  });
});

describe('NEUTRAL_CACHE_OPTIONS', () => {
  it('is what resolveRequest fills in for the seed policy when the request says nothing', () => {
    const info: ModelInfo = { id: 'm', name: 'M', trained: true, notes: [], guidanceEmbedded: false, sizeMultiple: 8, maxSize: 64 };
    const defaults = ModelDefaultsSchema.parse({ steps: 8, width: 32, height: 32, guidanceScale: 1, shift: false, teacache: { threshold: 0.3, rescaleFactor: 1 } });
    const { cache } = resolveRequest({ info, defaults }, { prompt: 'x', seed: 1 });
    expect(cache.policy).toBe('seed');
    expect({ reuse: cache.reuse, accumulate: cache.accumulate, startFraction: cache.startFraction, endFraction: cache.endFraction, maxConsecutiveReuses: cache.maxConsecutiveReuses, alwaysComputeLast: cache.alwaysComputeLast }).toEqual(NEUTRAL_CACHE_OPTIONS);
  });
});
