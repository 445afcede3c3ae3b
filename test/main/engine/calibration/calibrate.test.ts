// Calibration end to end on the built-in model's architecture (random
// weights): uncached runs, per-step signals and changes, a fit, a file the
// model then reads. Needs MLX.

import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { calibrationPath, readCalibrationFile, writeCalibration } from '../../../../main/engine/calibration/calibration-file.ts';
import { calibrateModel } from '../../../../main/engine/calibration/calibrate.ts';
import { Generator } from '../../../../main/engine/generate.ts';
import { builtinModelDir, MANIFEST_FILE, PixelFluxModel, VOCAB_FILE } from '../../../../main/engine/models/pixel-flux/pixel-flux-model.ts';
import { calibrationInForce, calibrationPlace } from '../../../../main/engine/calibration/calibration-store.ts';
import { resolveRequest } from '../../../../main/core/resolve-request.ts';
import { scheduleFor } from '../../../../main/core/schedule.ts';
import { predictSettings } from '../../../../main/core/teacache/predict.ts';
import { polyval } from '../../../../main/core/teacache/teacache-policy.ts';
import { mx } from '../../../support/mlx.ts';

/** The built-in model's description without weights: it runs on seeded random ones. */
function bareModelDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'calibrate-'));
  for (const file of [MANIFEST_FILE, VOCAB_FILE]) copyFileSync(join(builtinModelDir(), file), join(dir, file));
  return dir;
}

/** The model as the engine stands it up: loaded, with the calibration that applies to it in force. */
const loadCalibrated = (dir: string) => calibrationInForce(PixelFluxModel.load(mx, dir), calibrationPlace(dir)).model;

describe('calibrateModel', () => {
  it('fits the recorded steps and writes a calibration the model then uses', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'calibrate-'));
    for (const file of [MANIFEST_FILE, VOCAB_FILE]) copyFileSync(join(builtinModelDir(), file), join(dir, file));
    const model = PixelFluxModel.load(mx, dir);
    const generator = new Generator(mx, { name: 'npm', package: 'test', version: '0', device: 'cpu' } as never, model);
    const progress: number[] = [];
    const outcome = await calibrateModel(generator, { prompts: ['red heart', ' ', 'blue star'], seeds: [1], steps: 5, degree: 1, onRun: (done) => progress.push(done) });
    expect(progress).toEqual([1, 2]);
    expect(outcome.traces).toHaveLength(2);
    for (const trace of outcome.traces) {
      expect(trace.signals[0]).toBeUndefined();
      expect(trace.changes[0]).toBeUndefined();
      expect(trace.signals.slice(1).every((s) => s! > 0)).toBe(true);
      expect(trace.changes.slice(1).every((c) => c! > 0)).toBe(true);
    }
    const { calibration } = outcome;
    expect(calibration).toMatchObject({ modelId: model.info.id, trained: model.info.trained, runs: { prompts: ['red heart', 'blue star'], steps: 5 } });
    expect(calibration.fit.samples).toBe(8);
    // The fit's RMSE is what its coefficients give on the recorded pairs.
    const pairs = outcome.traces.flatMap((t) => t.signals.slice(1).map((x, i) => [x!, t.changes[i + 1]!] as const));
    const rmse = Math.sqrt(pairs.reduce((s, [x, y]) => s + (y - polyval(calibration.coefficients, x)) ** 2, 0) / pairs.length);
    expect(calibration.fit.rmse).toBeCloseTo(rmse, 10);
    await writeCalibration(dir, calibration);
    expect(readCalibrationFile(calibrationPath(dir))).toEqual(calibration);
    expect(loadCalibrated(dir).defaults.teacache.coefficients).toEqual(calibration.coefficients);
  }, 60_000);

  it("sets the teacache policy's default threshold on the fitted polynomial's scale: half the forwards on its own runs", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'calibrate-'));
    for (const file of [MANIFEST_FILE, VOCAB_FILE]) copyFileSync(join(builtinModelDir(), file), join(dir, file));
    const model = PixelFluxModel.load(mx, dir);
    const generator = new Generator(mx, { name: 'npm', package: 'test', version: '0', device: 'cpu' } as never, model);
    // Runs as the model's defaults make them (30 steps, CFG), the only ones that speak for the default run.
    const { calibration, traces } = await calibrateModel(generator, { prompts: ['red heart', 'blue star'] });
    expect(calibration.threshold).toBeGreaterThan(0);
    const resolved = resolveRequest(model, { prompt: 'red heart', seed: 1, cache: { policy: 'teacache', coefficients: calibration.coefficients } });
    const timesteps = scheduleFor(resolved, model.info.sizeMultiple);
    // Two runs of 30 steps: 2× is 30 forwards between them.
    const forwardsAt = (threshold: number) => traces.reduce((sum, t) => sum + predictSettings({ ...resolved.cache, threshold }, timesteps, t.signals).forwards, 0);
    expect(forwardsAt(calibration.threshold!)).toBeLessThanOrEqual(30);
    expect(forwardsAt(calibration.threshold! / 4)).toBeGreaterThan(30);

    await writeCalibration(dir, calibration);
    const calibrated = loadCalibrated(dir);
    expect(calibrated.defaults.teacache.signalThreshold).toBe(calibration.threshold);
    expect(resolveRequest(calibrated, { prompt: 'red heart', seed: 1, cache: { policy: 'teacache' } }).cache.threshold).toBe(calibration.threshold);
  }, 60_000);

  it('sets no default threshold from runs unlike the default run, whose threshold would misjudge it', async () => {
    const model = PixelFluxModel.load(mx, bareModelDir());
    const generator = new Generator(mx, { name: 'npm', package: 'test', version: '0', device: 'cpu' } as never, model);
    const { calibration } = await calibrateModel(generator, { prompts: ['red heart', 'blue star'], steps: 11 });
    expect(calibration.coefficients.every(Number.isFinite)).toBe(true);
    expect(calibration).not.toHaveProperty('threshold');
  }, 60_000);

  it('refuses too few step pairs for the degree before running anything, saying what to add', async () => {
    const model = PixelFluxModel.load(mx, bareModelDir());
    const generator = new Generator(mx, { name: 'npm', package: 'test', version: '0', device: 'cpu' } as never, model);
    const encode = vi.spyOn(model, 'encodeText');
    // One prompt of 6 steps: 5 pairs for 5 coefficients would be fitted exactly, with no error to show.
    await expect(calibrateModel(generator, { prompts: ['red apple'], steps: 6 })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/5 step pairs.*at least 20/) });
    expect(encode).not.toHaveBeenCalled();
  });

  it('needs a prompt', async () => {
    const generator = { mx, model: {} } as unknown as Generator;
    await expect(calibrateModel(generator, { prompts: ['  '] })).rejects.toThrow(/at least one prompt/);
  });
});
