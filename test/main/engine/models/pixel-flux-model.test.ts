// The built-in model's split forward (what residual reuse and TeaCache's signal
// rely on) and how it picks up a calibration.json. Needs MLX; loads the
// built-in model's manifest (random weights when untrained).

import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applicableCalibration, weightsFingerprint, writeCalibration } from '../../../../main/engine/calibration/calibration-file.ts';
import { builtinModelDir, MANIFEST_FILE, PixelFluxModel, VOCAB_FILE } from '../../../../main/engine/models/pixel-flux-model.ts';
import { CALIBRATION_FORMAT, type Calibration } from '../../../../main/engine/teacache/calibration.ts';
import { mx, values } from '../../../support/mlx.ts';

/** A copy of the built-in model's description without weights (so it runs on seeded random ones). */
function bareModelDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pixel-flux-'));
  for (const file of [MANIFEST_FILE, VOCAB_FILE]) copyFileSync(join(builtinModelDir(), file), join(dir, file));
  return dir;
}

const calibration = (modelId: string, coefficients: number[]): Calibration => ({
  format: CALIBRATION_FORMAT,
  modelId,
  input: 'first-block-modulated-input',
  output: 'velocity',
  coefficients,
  fit: { rmse: 0.01, relativeError: 0.1, r2: 0.9, samples: 40 },
  runs: { prompts: ['red heart'], seeds: [1], steps: 20, guidanceScale: 4 },
  trained: false,
  createdAt: '2026-11-25T00:00:00.000Z',
});

describe('PixelFluxModel.split', () => {
  it('gives exactly velocity() when its parts run in order, and a residual-ready block input', () => {
    const model = PixelFluxModel.load(mx, bareModelDir());
    const { tokens, rows, cols } = model.noise(3, model.defaults.width, model.defaults.height);
    const text = model.encodeText(['red heart']);
    const whole = model.velocity(tokens, rows, cols, 0.7, text);
    const part = model.split(tokens, rows, cols, 0.7, text);
    expect(values(part.output(part.blocks()))).toEqual(values(whole));
    expect(part.blockInput.shape).toEqual([1, rows * cols, model.manifest.transformer.hiddenSize]);
    expect(part.signal.shape).toEqual(part.blockInput.shape);
    // The modulation depends on t, so the signal moves with the timestep even for the same tokens.
    expect(values(model.split(tokens, rows, cols, 0.6, text).signal)).not.toEqual(values(part.signal));
  });
});

describe('calibration.json', () => {
  it("supplies the teacache polynomial when it was fitted for this model's id", () => {
    const dir = bareModelDir();
    const plain = PixelFluxModel.load(mx, dir);
    expect(plain.defaults.teacache.coefficients).toBeUndefined();
    writeCalibration(dir, calibration(plain.info.id, [2, 1, 0.5]));
    expect(PixelFluxModel.load(mx, dir).defaults.teacache.coefficients).toEqual([2, 1, 0.5]);
  });

  it("is ignored when fitted for another model, and rejected with advice when it is not a calibration", () => {
    const dir = bareModelDir();
    writeCalibration(dir, calibration('some-other-model', [2, 1, 0.5]));
    expect(PixelFluxModel.load(mx, dir).defaults.teacache.coefficients).toBeUndefined();
    writeFileSync(join(dir, 'calibration.json'), '{"format": "nope"}');
    expect(() => PixelFluxModel.load(mx, dir)).toThrow(/run npm run calibrate again/);
  });
});

describe('calibration.json and the weights it was fitted for', () => {
  it('is ignored once the weights change', () => {
    const dir = bareModelDir();
    const weights = join(dir, 'transformer.safetensors');
    writeFileSync(weights, 'first weights');
    const fitted = { ...calibration('builtin-emoji', [2, 1, 0.5]), weights: weightsFingerprint(dir) };
    expect(applicableCalibration(dir, 'builtin-emoji')).toBeUndefined();
    writeCalibration(dir, fitted);
    expect(applicableCalibration(dir, 'builtin-emoji')?.coefficients).toEqual([2, 1, 0.5]);
    writeFileSync(weights, 'other weights');
    expect(applicableCalibration(dir, 'builtin-emoji')).toBeUndefined();
    expect(applicableCalibration(dir, 'another-model')).toBeUndefined();
  });
});
