// The CLI's warning for settings that leave a short schedule nothing to skip,
// on Z-Image-Turbo's 9-step schedule.

import { describe, expect, it } from 'vitest';
import { skipNote } from '../../../main/cli/skip-note.ts';
import type { ModelInfo } from '../../../main/engine/models/image-model.ts';
import { Z_IMAGE_DEFAULTS } from '../../../main/engine/models/z-image/z-image-model.ts';
import { resolveRequest } from '../../../main/core/resolve-request.ts';
import { scheduleFor } from '../../../main/core/schedule.ts';
import { predictSettings } from '../../../main/core/teacache/predict.ts';

const turbo = {
  info: { id: 'z-image-turbo', name: 'Z-Image-Turbo', trained: true, notes: [], guidanceEmbedded: false, sizeMultiple: 16, maxSize: 2048 } satisfies ModelInfo,
  defaults: Z_IMAGE_DEFAULTS.turbo,
};

function noteAt(cache: { threshold?: number; policy?: 'seed' | 'teacache'; enabled?: boolean; skipEarlySteps?: number }) {
  const resolved = resolveRequest(turbo, { prompt: 'x', seed: 0, cache });
  return skipNote(resolved, scheduleFor(resolved, 16));
}

describe('skipNote on Z-Image-Turbo (9 steps, shift 3)', () => {
  it("stays quiet at ollama's default, which reuses 4 of the 9 steps", () => {
    const resolved = resolveRequest(turbo, { prompt: 'x', seed: 0 });
    expect(resolved.cache).toMatchObject({ policy: 'seed', threshold: 0.15, rescaleFactor: 1, skipEarlySteps: 0 });
    expect(predictSettings(resolved.cache, scheduleFor(resolved, 16)).forwards).toBe(5);
    expect(noteAt({})).toBeUndefined();
  });

  it('says when a setting skips nothing, or only one step', () => {
    expect(noteAt({ threshold: 0.03 })).toMatch(/9-step run skips nothing: every one of its 9 steps computes/);
    expect(noteAt({ threshold: 0.05 })).toMatch(/skips only 1 of its 9 steps \(8 forwards\)/);
    expect(noteAt({ threshold: 0.05 })).toMatch(/raise --threshold to reuse more/);
  });

  it('points at --steps, not --threshold, when the forced steps leave nothing to reuse', () => {
    const note = noteAt({ threshold: 0.05, skipEarlySteps: 9 });
    expect(note).toMatch(/skips nothing/);
    expect(note).toMatch(/no --threshold reuses more: .*--skip-early.* give more --steps/);
  });

  it('says nothing for the teacache policy (its decisions depend on the run) or with the cache off', () => {
    expect(noteAt({ policy: 'teacache', threshold: 0.001 })).toBeUndefined();
    expect(noteAt({ enabled: false })).toBeUndefined();
  });
});
