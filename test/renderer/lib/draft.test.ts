// The settings form's draft: what reaches the engine and what survives from an
// older session. Pure, no DOM.

import { describe, expect, it } from 'vitest';
import { draftDefaults, restoreDraft, toRequest } from '../../../renderer/lib/draft.ts';
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
    expect(restoreDraft({ ...base, cache: olderCache })?.cache.accumulate).toBe('consecutive');
  });

  it('refuses a draft whose accumulation is unknown', () => {
    expect(restoreDraft({ ...base, cache: { ...base.cache, accumulate: 'sometimes' } })).toBeNull();
  });
});
