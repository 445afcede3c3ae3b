// Calibration end to end on the built-in model's architecture (random
// weights): uncached runs, per-step signals and changes, a fit, a file the
// model then reads. Needs MLX.

import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCalibration, writeCalibration } from '../../../../main/engine/calibration/calibration-file.ts';
import { calibrateModel } from '../../../../main/engine/calibration/calibrate.ts';
import { Generator } from '../../../../main/engine/generate.ts';
import { builtinModelDir, MANIFEST_FILE, PixelFluxModel, VOCAB_FILE } from '../../../../main/engine/models/pixel-flux-model.ts';
import { polyval } from '../../../../main/engine/teacache/teacache-policy.ts';
import { mx } from '../../../support/mlx.ts';

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
    writeCalibration(dir, calibration);
    expect(readCalibration(dir)).toEqual(calibration);
    expect(PixelFluxModel.load(mx, dir).defaults.teacache.coefficients).toEqual(calibration.coefficients);
  }, 60_000);

  it('needs a prompt', async () => {
    const generator = { mx, model: {} } as unknown as Generator;
    await expect(calibrateModel(generator, { prompts: ['  '] })).rejects.toThrow(/at least one prompt/);
  });
});
