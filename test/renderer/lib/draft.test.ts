// The settings form's draft: what reaches the engine and what survives from an
// older session. Pure, no DOM.

import { describe, expect, it } from 'vitest';
import { completeDraft, draftDefaults, restoreDraft, toRequest } from '../../../renderer/lib/draft.ts';
import { MODEL } from '../fixtures.ts';

const base = draftDefaults(MODEL);

describe('toRequest', () => {
  it("sends the teacache policy's accumulation, and none for the timestep rules, which have no such choice", () => {
    expect(toRequest({ ...base, cache: { ...base.cache, policy: 'teacache', accumulate: 'since-compute' } }).cache?.accumulate).toBe('since-compute');
    expect(toRequest({ ...base, cache: { ...base.cache, policy: 'seed', accumulate: 'since-compute' } }).cache).not.toHaveProperty('accumulate');
  });
});

describe('restoreDraft', () => {
  it('completes a draft saved before the accumulation choice existed with the original rule', () => {
    const { accumulate: _new, ...olderCache } = base.cache;
    expect(completeDraft(restoreDraft({ ...base, cache: olderCache })!, MODEL).cache.accumulate).toBe('consecutive');
  });

  it('drops an unknown accumulation and keeps the rest of the cache settings', () => {
    const kept = restoreDraft({ ...base, cache: { ...base.cache, threshold: 0.3, accumulate: 'sometimes' } });
    expect(kept?.cache).not.toHaveProperty('accumulate');
    expect(kept?.cache?.threshold).toBe(0.3);
  });

  it("drops each field the contract's schema refuses (steps 1e9 froze the tab) and keeps the valid rest", () => {
    const tampered = {
      ...base,
      prompt: 'blue star',
      steps: 1e9,
      seed: -4,
      size: 63.5,
      guidanceScale: Number.NaN,
      negativePrompt: 'x'.repeat(5000),
      cache: { ...base.cache, threshold: 1e6, rescaleFactor: 2, skipEarlySteps: 1e7, startFraction: 3, endFraction: 0.5, maxConsecutiveReuses: -1, policy: 'always' },
    };
    const kept = restoreDraft(tampered);
    expect(kept).toEqual({ prompt: 'blue star', cache: { enabled: true, rescaleFactor: 2, reuse: 'output', accumulate: 'consecutive', endFraction: 0.5, alwaysComputeLast: false } });
    const draft = completeDraft(kept!, MODEL);
    expect(draft).toEqual({ ...base, prompt: 'blue star', cache: { ...base.cache, rescaleFactor: 2, endFraction: 0.5 } });
  });

  it('keeps "the model\'s choice" (null) for skip-early and no cap on reuses', () => {
    expect(restoreDraft({ cache: { skipEarlySteps: null, maxConsecutiveReuses: null } })).toEqual({ cache: { skipEarlySteps: null, maxConsecutiveReuses: null } });
  });

  it('gives way to the model\'s default size when the kept one does not suit the loaded model', () => {
    const { sizeMultiple, maxSize } = MODEL.info;
    expect(completeDraft({ size: maxSize + sizeMultiple }, MODEL).size).toBe(base.size);
    expect(completeDraft({ size: sizeMultiple * 3 + (sizeMultiple > 1 ? 1 : 0.5) }, MODEL).size).toBe(base.size);
  });

  it('keeps nothing from a value that is not a draft', () => {
    for (const value of [null, 3, 'draft', [], { prompt: 3 }]) expect(restoreDraft(value)).toBeNull();
  });
});
