// The CLI's warning for settings that leave a short schedule nothing to skip,
// on Z-Image-Turbo's 9-step schedule and step-distilled klein's 4.

import { describe, expect, it } from 'vitest';
import { skipNote } from '../../../main/cli/skip-note.ts';
import { KLEIN_DEFAULTS } from '../../../main/engine/models/flux2-klein/klein-model.ts';
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

describe('skipNote on step-distilled FLUX.2 klein (4 steps, empirical mu)', () => {
  const klein = {
    info: { id: 'flux2-klein-distilled', name: 'FLUX.2 [klein] 4B', trained: true, notes: [], guidanceEmbedded: false, sizeMultiple: 16, maxSize: 2048 } satisfies ModelInfo,
    defaults: KLEIN_DEFAULTS.distilled,
  };
  const at = (cache: { threshold?: number }, side = 1024) => {
    const resolved = resolveRequest(klein, { prompt: 'x', seed: 0, width: side, height: side, cache });
    return { resolved, note: skipNote(resolved, scheduleFor(resolved, 16)) };
  };

  it('speaks before the run at the default setting: the seed rule reuses at most one of the 4 steps', () => {
    const { resolved, note } = at({});
    expect(resolved.cache).toMatchObject({ policy: 'seed', threshold: 0.1, skipEarlySteps: 0 });
    // σ 1, 0.958, 0.884, 0.717 at 1024²: only the first step's small change stays under 0.1.
    expect(predictSettings(resolved.cache, scheduleFor(resolved, 16))).toMatchObject({ reused: 1, forwards: 3 });
    expect(note).toMatch(/this 4-step run skips only 1 of its 4 steps \(3 forwards\), so TeaCache cannot speed it up much/);
    expect(at({ threshold: 0.03 }).note).toMatch(/4-step run skips nothing: every one of its 4 steps computes/);
  });
});
