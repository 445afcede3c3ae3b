// The settings form's draft: what reaches the engine and what survives from an
// older session. Pure, no DOM.

import { describe, expect, it } from 'vitest';
import { completeDraft, draftDefaults, draftFromRequest, parseSize, restoreDraft, sizeChoices, toRequest } from '../../../renderer/lib/draft.ts';
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
      width: 63.5,
      height: 0,
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
    const defaultSize = { width: base.width, height: base.height };
    expect(completeDraft({ width: maxSize + sizeMultiple, height: maxSize + sizeMultiple }, MODEL)).toMatchObject(defaultSize);
    const offMultiple = sizeMultiple * 3 + (sizeMultiple > 1 ? 1 : 0.5);
    expect(completeDraft({ width: offMultiple, height: offMultiple }, MODEL)).toMatchObject(defaultSize);
    // One side the model cannot make takes the other with it: the size is one choice.
    expect(completeDraft({ width: sizeMultiple * 8, height: maxSize + sizeMultiple }, MODEL)).toMatchObject(defaultSize);
  });

  it('keeps nothing from a value that is not a draft', () => {
    for (const value of [null, 3, 'draft', [], { prompt: 3 }]) expect(restoreDraft(value)).toBeNull();
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

  it('offers a checkpoint model trained around a megapixel its own sizes, not the built-in model’s 32-px ones', () => {
    const zImage = { ...MODEL, info: { ...MODEL.info, sizeMultiple: 16, maxSize: 2048 }, defaults: { ...MODEL.defaults, width: 1024, height: 1024 } };
    const choices = sizeChoices(zImage);
    expect(choices.slice(0, 3)).toEqual(['512×512', '768×768', '1024×1024']);
    expect(choices).toEqual(expect.arrayContaining(['1152×896', '896×1152', '1344×768', '768×1344']));
    expect(choices).not.toContain('32×32');
    // A size kept from the built-in model is one this model's menu does not offer: its default takes over.
    expect(completeDraft({ width: 32, height: 32 }, zImage)).toMatchObject({ width: 1024, height: 1024 });
    expect(completeDraft({ width: 768, height: 1344 }, zImage)).toMatchObject({ width: 768, height: 1344 });
    // A model limited to 1024 px keeps only what it can make.
    expect(sizeChoices({ ...zImage, info: { ...zImage.info, maxSize: 1024 } })).not.toContain('1344×768');
  });

  it('sends width and height apart', () => {
    expect(toRequest({ ...base, width: 64, height: 32 })).toMatchObject({ width: 64, height: 32 });
  });

  it('restores a draft kept before non-square sizes (one side, `size`) as a square', () => {
    const { width: _w, height: _h, ...rest } = base;
    const restored = restoreDraft({ ...rest, size: 48 });
    expect(restored).toMatchObject({ width: 48, height: 48 });
    expect(restored).not.toHaveProperty('size');
    // With no size kept at all the model's default comes in when the draft is completed.
    const sizeless = restoreDraft({ ...rest });
    expect(sizeless).not.toHaveProperty('width');
    expect(completeDraft(sizeless!, MODEL)).toMatchObject({ width: base.width, height: base.height });
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
