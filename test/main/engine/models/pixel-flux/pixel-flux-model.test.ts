// The built-in model's split forward (what residual reuse and TeaCache's signal
// rely on) and how the engine's calibration lookup picks up its calibration.json.
// Needs MLX; loads the built-in model's manifest (random weights when untrained).

import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { WordEncoder } from '../../../../../main/engine/models/text/word-encoder.ts';
import { weightsFingerprint, writeCalibration } from '../../../../../main/engine/calibration/calibration-file.ts';
import { calibrationPlace, findCalibration } from '../../../../../main/engine/calibration/calibration-store.ts';
import { openGenerator } from '../../../../../main/engine/engine.ts';
import { pack } from '../../../../../main/engine/models/packing.ts';
import { builtinModelDir, MANIFEST_FILE, PixelFluxModel, VOCAB_FILE } from '../../../../../main/engine/models/pixel-flux/pixel-flux-model.ts';
import { CALIBRATION_FORMAT, type Calibration } from '../../../../../main/core/teacache/calibration.ts';
import { mx, values } from '../../../../support/mlx.ts';

/** A copy of the built-in model's description without weights (so it runs on seeded random ones). */
function bareModelDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pixel-flux-'));
  for (const file of [MANIFEST_FILE, VOCAB_FILE]) copyFileSync(join(builtinModelDir(), file), join(dir, file));
  return dir;
}

/** The model as the engine stands it up: loaded, with the calibration that applies to it in force. */
const loadCalibrated = async (dir?: string) => (await openGenerator(dir === undefined ? {} : { modelDir: dir })).model;

/** The model folder's calibration when it was fitted for this model id and these weights. */
const applicableCalibration = (dir: string, modelId: string) => findCalibration(calibrationPlace(dir), modelId, weightsFingerprint(dir)).found?.calibration;

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

describe('PixelFluxModel.encodeText', () => {
  it('encodes each prompt once while it is recent, and gives the same rows as a first encoding', () => {
    const model = PixelFluxModel.load(mx, bareModelDir());
    const encode = vi.spyOn(WordEncoder.prototype, 'encode');
    const first = model.encodeText(['red zzyzx heart', '']);
    const again = model.encodeText(['red zzyzx heart', '']);
    expect(encode).toHaveBeenCalledTimes(1);
    expect(values(again.context)).toEqual(values(first.context));
    expect(again.unknownWords).toEqual(['zzyzx']);
    // Only the new prompt is encoded; the batch keeps the order asked for.
    const swapped = model.encodeText(['', 'blue star']);
    expect(encode).toHaveBeenCalledTimes(2);
    expect(encode).toHaveBeenLastCalledWith(['blue star']);
    expect(values(mx.split(swapped.context, 2, 0)[0]!)).toEqual(values(mx.split(first.context, 2, 0)[1]!));
    expect(swapped.unknownWords).toEqual([]);
    encode.mockRestore();
  });

  it('serves the 8th distinct prompt with CFG: the shared empty negative prompt is never evicted', () => {
    // Issue 12, item 1: red heart … thumbs up, then grinning face failed with 'No encoding is held for the prompt ""'.
    const model = PixelFluxModel.load(mx, bareModelDir());
    for (const prompt of ['red heart', 'fire', 'rocket', 'dog face', 'rainbow', 'christmas tree', 'thumbs up', 'grinning face', 'star']) {
      expect(model.encodeText([prompt, '']).context.shape[0]).toBe(2);
    }
  });
});

describe('PixelFluxModel.toRgb', () => {
  it('maps packed tokens in −1…1 to row-major RGB bytes, rounded and clipped', () => {
    const model = PixelFluxModel.load(mx, bareModelDir());
    const { patchSize } = model.manifest.image;
    const [width, height] = [2 * patchSize, patchSize];
    // Every channel, row and column gets its own value, so any transposed axis shows.
    const pixel = (c: number, y: number, x: number) => -1.2 + c * 1.2 + y * 0.03 + x * 0.011;
    const flat = [0, 1, 2].flatMap((c) => Array.from({ length: height * width }, (_, i) => pixel(c, Math.floor(i / width), i % width)));
    const tokens = pack(mx, mx.reshape(mx.array(flat), 1, 3, height, width), patchSize);
    const expected: number[] = [];
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) expected.push(Math.round(Math.min(255, Math.max(0, (Math.fround(pixel(c, y, x)) + 1) * 127.5))));
    }
    const rgb = model.toRgb(tokens, width, height);
    expect(rgb).toBeInstanceOf(Uint8Array);
    // float32 arithmetic in MLX may land a rounding boundary one step away.
    expect([...rgb].every((v, i) => Math.abs(v - expected[i]!) <= 1)).toBe(true);
    expect(rgb[0]).toBe(0);
    expect(rgb.at(-1)).toBe(255);
  });
});

describe('calibration.json', () => {
  it("supplies the teacache polynomial when it was fitted for this model's id", async () => {
    const dir = bareModelDir();
    const plain = await loadCalibrated(dir);
    expect(plain.defaults.teacache.coefficients).toBeUndefined();
    await writeCalibration(dir, calibration(plain.info.id, [2, 1, 0.5]));
    expect((await loadCalibrated(dir)).defaults.teacache.coefficients).toEqual([2, 1, 0.5]);
  });

  it("is ignored when fitted for another model, and when it is not a calibration, with a note saying what to do", async () => {
    const dir = bareModelDir();
    await writeCalibration(dir, calibration('some-other-model', [2, 1, 0.5]));
    expect((await loadCalibrated(dir)).defaults.teacache.coefficients).toBeUndefined();
    writeFileSync(join(dir, 'calibration.json'), '{"format": "nope"}');
    // A damaged calibration must not stop the model from loading.
    const model = await loadCalibrated(dir);
    expect(model.defaults.teacache.coefficients).toBeUndefined();
    expect(model.info.notes.some((note) => /Ignored the calibration: .*run npm run calibrate again/.test(note))).toBe(true);
  });
});

describe("the built-in model's own calibration", () => {
  it('is fitted for the shipped weights and in force on load, with its default threshold', async () => {
    const shipped = applicableCalibration(builtinModelDir(), 'builtin-emoji');
    expect(shipped).toBeDefined();
    const model = await loadCalibrated();
    expect(model.defaults.teacache.coefficients).toEqual(shipped!.coefficients);
    expect(model.defaults.teacache.signalThreshold).toBe(shipped!.threshold);
    expect(shipped!.threshold).toBeGreaterThan(0);
  });
});

describe('calibration.json and the weights it was fitted for', () => {
  it('is ignored once the weights change', async () => {
    const dir = bareModelDir();
    const weights = join(dir, 'transformer.safetensors');
    writeFileSync(weights, 'first weights');
    const fitted = { ...calibration('builtin-emoji', [2, 1, 0.5]), weights: weightsFingerprint(dir) };
    expect(applicableCalibration(dir, 'builtin-emoji')).toBeUndefined();
    await writeCalibration(dir, fitted);
    expect(applicableCalibration(dir, 'builtin-emoji')?.coefficients).toEqual([2, 1, 0.5]);
    writeFileSync(weights, 'other weights');
    expect(applicableCalibration(dir, 'builtin-emoji')).toBeUndefined();
    expect(applicableCalibration(dir, 'another-model')).toBeUndefined();
  });
});
