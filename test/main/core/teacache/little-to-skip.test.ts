// littleToSkip on the short distilled schedules it exists for (Z-Image-Turbo's 9 steps, FLUX.1 schnell's and
// distilled FLUX.2 klein's 4) and on the long ones it must leave alone.

import { describe, expect, it } from 'vitest';
import type { ModelDefaults } from '../../../../main/core/model-info.ts';
import type { CacheSettings } from '../../../../main/core/request.ts';
import { resolveRequest } from '../../../../main/core/resolve-request.ts';
import { scheduleFor } from '../../../../main/core/schedule.ts';
import { littleToSkip } from '../../../../main/core/teacache/little-to-skip.ts';
import { FLUX1_DEFAULTS } from '../../../../main/engine/models/flux1/flux1-model.ts';
import { KLEIN_DEFAULTS } from '../../../../main/engine/models/flux2-klein/klein-model.ts';
import { Z_IMAGE_DEFAULTS } from '../../../../main/engine/models/z-image/z-image-model.ts';

const info = { id: 'm', name: 'M', trained: true, notes: [], guidanceEmbedded: false, sizeMultiple: 16, maxSize: 2048 };

function at(defaults: ModelDefaults, cache: Partial<CacheSettings> = {}, steps?: number) {
  const request = resolveRequest({ info, defaults }, { prompt: 'x', seed: 0, cache, ...(steps === undefined ? {} : { steps }) });
  return littleToSkip(request.cache, scheduleFor(request, info.sizeMultiple));
}

describe('littleToSkip', () => {
  it("Z-Image-Turbo (9 steps, shift 3): quiet at ollama's 0.15 (4 reused), flags 0.05 (1 reused) and 0.03 (none)", () => {
    expect(at(Z_IMAGE_DEFAULTS.turbo)).toBeUndefined();
    expect(at(Z_IMAGE_DEFAULTS.turbo, { threshold: 0.1 })).toBeUndefined();
    expect(at(Z_IMAGE_DEFAULTS.turbo, { threshold: 0.05 })).toEqual({ steps: 9, reused: 1, forwards: 8, higherThresholdHelps: true });
    expect(at(Z_IMAGE_DEFAULTS.turbo, { threshold: 0.03 })).toEqual({ steps: 9, reused: 0, forwards: 9, higherThresholdHelps: true });
  });

  it("FLUX.1 schnell (4 unshifted steps, each 0.25 apart): its own default 0.1 reuses nothing; 0.25 reuses 2", () => {
    expect(at(FLUX1_DEFAULTS.schnell)).toEqual({ steps: 4, reused: 0, forwards: 4, higherThresholdHelps: true });
    expect(at(FLUX1_DEFAULTS.schnell, { threshold: 0.25 })).toBeUndefined();
  });

  it('distilled FLUX.2 klein (4 steps, empirical mu): flagged at its default 0.1 (1 reused), quiet at 0.25 (2 reused)', () => {
    expect(KLEIN_DEFAULTS.distilled.teacache.threshold).toBe(0.1);
    expect(at(KLEIN_DEFAULTS.distilled)).toEqual({ steps: 4, reused: 1, forwards: 3, higherThresholdHelps: true });
    expect(at(KLEIN_DEFAULTS.distilled, { threshold: 0.25 })).toBeUndefined();
  });

  it('leaves 50- and 28-step schedules alone even at a low threshold', () => {
    expect(at(Z_IMAGE_DEFAULTS.base, { threshold: 0.05 })).toBeUndefined();
    expect(at(KLEIN_DEFAULTS.base, { threshold: 0.05 })).toBeUndefined();
    expect(at(FLUX1_DEFAULTS.dev, { threshold: 0.05 })).toBeUndefined();
  });

  it('flags the same model with few steps, and not with many', () => {
    expect(at(Z_IMAGE_DEFAULTS.base, { threshold: 0.05 }, 4)).toMatchObject({ steps: 4, reused: 0 });
    expect(at(Z_IMAGE_DEFAULTS.turbo, { threshold: 0.05 }, 30)).toBeUndefined();
  });

  it('says when no threshold can help: forced steps leave nothing to reuse', () => {
    expect(at(Z_IMAGE_DEFAULTS.turbo, { threshold: 0.05, skipEarlySteps: 9 })).toEqual({ steps: 9, reused: 0, forwards: 9, higherThresholdHelps: false });
    expect(at(Z_IMAGE_DEFAULTS.turbo, { threshold: 0.05, maxConsecutiveReuses: 0 })).toMatchObject({ reused: 0, higherThresholdHelps: false });
  });

  it('is exact for magcache too, and says nothing for policies that decide from the run, or with the cache off', () => {
    expect(at(FLUX1_DEFAULTS.schnell, { policy: 'magcache', threshold: 0 })).toMatchObject({ steps: 4, reused: 1, forwards: 3 });
    expect(at(Z_IMAGE_DEFAULTS.turbo, { policy: 'teacache', threshold: 0.001 })).toBeUndefined();
    expect(at(Z_IMAGE_DEFAULTS.turbo, { policy: 'first-block', threshold: 0.001 })).toBeUndefined();
    expect(at(Z_IMAGE_DEFAULTS.turbo, { enabled: false, threshold: 0.03 })).toBeUndefined();
  });
});
