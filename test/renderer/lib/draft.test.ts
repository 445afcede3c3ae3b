// The settings form's draft: what reaches the engine and what survives from an
// older session. Pure, no DOM.

import { describe, expect, it } from 'vitest';
import { draftDefaults, draftFromRequest, parseSize, restoreDraft, sizeChoices, toRequest } from '../../../renderer/lib/draft.ts';
import { entry, MODEL } from '../fixtures.ts';

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

describe('sizes', () => {
  it('offers the squares and the wide and tall shapes the model accepts, named width × height', () => {
    // The fixture model takes multiples of 4 up to its maxSize.
    const choices = sizeChoices(MODEL);
    expect(choices.slice(0, 3)).toEqual(['32×32', '48×48', '64×64']);
    expect(choices).toContain('64×32');
    expect(choices).toContain('32×64');
    expect(sizeChoices({ ...MODEL, info: { ...MODEL.info, maxSize: 48 } })).toEqual(['32×32', '48×48']);
    expect(parseSize('64×32')).toEqual({ width: 64, height: 32 });
    expect(parseSize('64x32')).toBeNull();
  });

  it('sends width and height apart', () => {
    expect(toRequest({ ...base, width: 64, height: 32 })).toMatchObject({ width: 64, height: 32 });
  });

  it('restores a draft kept before non-square sizes (one side, `size`) as a square', () => {
    const { width: _w, height: _h, ...rest } = base;
    const restored = restoreDraft({ ...rest, size: 48 });
    expect(restored).toMatchObject({ width: 48, height: 48 });
    expect(restored).not.toHaveProperty('size');
    expect(restoreDraft({ ...rest })).toBeNull();
  });
});

describe('draftFromRequest', () => {
  it('repeats a recorded run: the request it makes is the one that ran, cache settings included', () => {
    const run = entry('run-1');
    const request = { ...run.request, width: 64, height: 32, seed: 77, cache: { ...run.request.cache, threshold: 0.123, skipEarlySteps: 2 } };
    const { coefficients: _c, ...cache } = request.cache;
    expect(toRequest(draftFromRequest(request))).toEqual({
      prompt: request.prompt,
      negativePrompt: request.negativePrompt,
      seed: 77,
      steps: request.steps,
      width: 64,
      height: 32,
      guidanceScale: request.guidanceScale,
      cache: request.cache.policy === 'teacache' ? cache : (({ accumulate: _a, ...rest }) => rest)(cache),
    });
  });
});
