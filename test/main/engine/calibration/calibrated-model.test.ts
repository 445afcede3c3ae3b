// A calibration put in force on a model: its polynomial and the default
// threshold on that polynomial's scale, never a threshold left from another.
// Pure apart from the model object, which is a stand-in.

import { describe, expect, it } from 'vitest';
import { defaultsWithCalibration, withCalibration } from '../../../../main/engine/calibration/calibrated-model.ts';
import type { ImageModel, ModelDefaults } from '../../../../main/engine/models/image-model.ts';
import { resolveRequest } from '../../../../main/core/resolve-request.ts';
import { DEFAULT_TEACACHE_POLICY_THRESHOLD } from '../../../../main/core/teacache/teacache-policy.ts';

const defaults: ModelDefaults = {
  steps: 30,
  width: 64,
  height: 64,
  guidanceScale: 4,
  shift: false,
  teacache: { threshold: 0.1, rescaleFactor: 1, coefficients: [1, 0], signalThreshold: 0.3 },
};
const info = { id: 'm', name: 'M', trained: true, notes: [], guidanceEmbedded: false, sizeMultiple: 4, maxSize: 128 };

describe('defaultsWithCalibration', () => {
  it("takes the calibration's polynomial and its threshold, leaving the timestep rules' threshold alone", () => {
    const next = defaultsWithCalibration(defaults, { coefficients: [2, 1, 0], threshold: 0.12 });
    expect(next.teacache).toEqual({ threshold: 0.1, rescaleFactor: 1, coefficients: [2, 1, 0], signalThreshold: 0.12 });
    expect(resolveRequest({ info, defaults: next }, { prompt: 'p', seed: 1, cache: { policy: 'teacache' } }).cache.threshold).toBe(0.12);
    expect(resolveRequest({ info, defaults: next }, { prompt: 'p', seed: 1, cache: { policy: 'seed' } }).cache.threshold).toBe(0.1);
  });

  it('drops a threshold chosen for the previous polynomial when the calibration has none (an older file)', () => {
    const next = defaultsWithCalibration(defaults, { coefficients: [3, 0] });
    expect(next.teacache.signalThreshold).toBeUndefined();
    expect(resolveRequest({ info, defaults: next }, { prompt: 'p', seed: 1, cache: { policy: 'teacache' } }).cache.threshold).toBe(DEFAULT_TEACACHE_POLICY_THRESHOLD);
  });
});

describe('withCalibration', () => {
  it('is the same model with new defaults, built on the model as loaded', () => {
    const loaded = { info, defaults, velocity: () => 'forward' } as unknown as ImageModel;
    const view = withCalibration(loaded, { coefficients: [5, 0], threshold: 0.2 });
    expect(view.defaults.teacache.coefficients).toEqual([5, 0]);
    expect(view.info).toBe(loaded.info);
    expect((view as unknown as { velocity(): string }).velocity()).toBe('forward');
    expect(loaded.defaults).toBe(defaults);
  });
});
