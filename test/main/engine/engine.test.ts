// The engine's one calibration lookup, for every model kind: a calibration.json that npm run calibrate wrote into a
// FLUX.1 folder is in force when that folder is opened (issue 12, item 12: the CLI used to ignore it), as it is
// for the built-in model; one fitted for other weights is not; the app's data folder is searched too.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { weightsFingerprint, writeCalibration } from '../../../main/engine/calibration/calibration-file.ts';
import { saveCalibration, calibrationPlace } from '../../../main/engine/calibration/calibration-store.ts';
import { loadEngine, openGenerator } from '../../../main/engine/engine.ts';
import { resolveRequest } from '../../../main/core/resolve-request.ts';
import { CALIBRATION_FORMAT, type Calibration } from '../../../main/core/teacache/calibration.ts';
import { tinyWeights, writeTinyFlux1 } from '../../support/flux1-fixture.ts';

let dir: string;
let dataDir: string;
beforeAll(() => {
  dir = writeTinyFlux1(tinyWeights('schnell'), { transformer: 'diffusers', vae: 'diffusers' });
  dataDir = mkdtempSync(join(tmpdir(), 'engine-calibrations-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
});

const fitted = (modelId: string, coefficients: number[], weights: Record<string, string>, createdAt: string): Calibration => ({
  format: CALIBRATION_FORMAT,
  modelId,
  input: 'first-block-modulated-input',
  output: 'velocity',
  coefficients,
  threshold: 0.25,
  weights,
  fit: { rmse: 0.01, relativeError: 0.1, r2: 0.9, samples: 40 },
  runs: { prompts: ['red heart'], seeds: [1], steps: 20, guidanceScale: 4 },
  createdAt,
  trained: false,
});

describe('openGenerator on a FLUX.1 folder', () => {
  it("puts the folder's calibration.json in force, and a teacache run uses its polynomial", async () => {
    const before = await openGenerator({ modelDir: dir, backend: 'npm' });
    const id = before.model.info.id;
    expect(before.model.defaults.teacache.coefficients).toBeUndefined();
    await writeCalibration(dir, fitted(id, [3, 2, 1, 0.5], weightsFingerprint(dir), '2026-01-01T00:00:00.000Z'));
    const after = await openGenerator({ modelDir: dir, backend: 'npm' });
    expect(after.model.defaults.teacache.coefficients).toEqual([3, 2, 1, 0.5]);
    expect(after.model.defaults.teacache.signalThreshold).toBe(0.25);
    const request = resolveRequest(after.model, { prompt: 'the cat', seed: 1, width: 32, height: 32, cache: { policy: 'teacache' } });
    expect(request.cache.coefficients).toEqual([3, 2, 1, 0.5]);
  });

  it('ignores a calibration fitted for other weights', async () => {
    const id = (await openGenerator({ modelDir: dir, backend: 'npm' })).model.info.id;
    await writeCalibration(dir, fitted(id, [3, 2, 1, 0.5], { 'transformer/other.safetensors': '0000' }, '2026-01-01T00:00:00.000Z'));
    expect((await openGenerator({ modelDir: dir, backend: 'npm' })).model.defaults.teacache.coefficients).toBeUndefined();
  });

  it("takes the newer of the folder's and the data folder's, and says which it found", async () => {
    const { loaded } = await loadEngine({ modelDir: dir, backend: 'npm' });
    const id = loaded.model.info.id;
    const weights = weightsFingerprint(dir);
    await writeCalibration(dir, fitted(id, [3, 2, 1, 0.5], weights, '2026-01-01T00:00:00.000Z'));
    const saved = await saveCalibration({ ...calibrationPlace(dir, dataDir), builtin: true }, fitted(id, [4, 3, 2], weights, '2026-02-01T00:00:00.000Z'));
    const { calibration } = await loadEngine({ modelDir: dir, backend: 'npm', calibrationDir: dataDir });
    expect(calibration.stored).toMatchObject({ file: saved.file, location: 'user-data' });
    expect(calibration.model.defaults.teacache.coefficients).toEqual([4, 3, 2]);
    // The model as loaded is left as it was, for the next calibration to be put in force on.
    expect(loaded.model.defaults.teacache.coefficients).toBeUndefined();
  });
});
