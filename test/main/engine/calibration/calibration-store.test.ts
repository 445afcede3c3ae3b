// Where calibrations are kept and found: a writable model folder gets calibration.json, the built-in model and a
// folder refusing the write as read-only (EACCES, EROFS, EPERM) fall back to the data folder, a full disk fails
// leaving the earlier file intact, and loading picks the newest calibration fitted for this model and weights.

import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { calibrationPath } from '../../../../main/engine/calibration/calibration-file.ts';
import { CALIBRATION_FORMAT, type Calibration } from '../../../../main/core/teacache/calibration.ts';
import { writeFileAtomic } from '../../../../main/engine/io/write-atomic.ts';
import {
  calibrationSummary,
  findCalibration,
  saveCalibration,
  userCalibrationDir,
  userCalibrationFile,
  type CalibrationPlace,
  type WriteFile,
} from '../../../../main/engine/calibration/calibration-store.ts';
import { StudioError } from '../../../../main/core/contract.ts';

const WEIGHTS = { 'transformer.safetensors': 'aaaa', 'text_encoder.safetensors': 'bbbb' };

function calibration(overrides: Partial<Calibration> = {}): Calibration {
  return {
    format: CALIBRATION_FORMAT,
    modelId: 'builtin-emoji',
    input: 'first-block-modulated-input',
    output: 'velocity',
    coefficients: [1, -2, 3, -4, 5],
    fit: { rmse: 0.01, relativeError: 0.05, r2: 0.97, samples: 20 },
    runs: { prompts: ['red apple'], seeds: [1], steps: 6, guidanceScale: 4 },
    weights: WEIGHTS,
    trained: true,
    createdAt: '2026-11-25T12:00:00.000Z',
    ...overrides,
  };
}

/** A writer that refuses the model folder with `code` and writes everywhere else. */
function refusingModelFolder(modelDir: string, code: string): WriteFile {
  return async (file, data) => {
    if (file.startsWith(modelDir)) throw Object.assign(new Error(`${code}: refused, open '${file}'`), { code });
    await writeFileAtomic(file, data);
  };
}

let root: string;
let modelDir: string;
let userDir: string;
let folder: CalibrationPlace;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'teacache-calibration-store-'));
  modelDir = join(root, 'model');
  mkdirSync(modelDir);
  userDir = userCalibrationDir(join(root, 'data'));
  folder = { modelDir, builtin: false, userDir };
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('saveCalibration', () => {
  it('writes a writable model folder’s calibration.json and nothing in the data folder', async () => {
    const stored = await saveCalibration(folder, calibration());
    expect(stored).toMatchObject({ file: calibrationPath(modelDir), location: 'model-folder' });
    expect(JSON.parse(readFileSync(calibrationPath(modelDir), 'utf8'))).toEqual(calibration());
    expect(existsSync(userDir)).toBe(false);
  });

  it('never writes the built-in model’s folder: its calibration goes to the data folder, keyed by id and weights', async () => {
    const stored = await saveCalibration({ ...folder, builtin: true }, calibration());
    expect(stored.location).toBe('user-data');
    expect(stored.file).toBe(userCalibrationFile(userDir, 'builtin-emoji', WEIGHTS));
    expect(existsSync(calibrationPath(modelDir))).toBe(false);
    expect(JSON.parse(readFileSync(stored.file, 'utf8')).coefficients).toEqual([1, -2, 3, -4, 5]);
  });

  it.each(['EACCES', 'EROFS', 'EPERM'])('falls back to the data folder when the model folder refuses the write with %s', async (code) => {
    const stored = await saveCalibration(folder, calibration(), refusingModelFolder(modelDir, code));
    expect(stored.location).toBe('user-data');
    expect(stored.file.startsWith(userDir)).toBe(true);
    expect(existsSync(stored.file)).toBe(true);
  });

  it('fails on a full disk with HISTORY_IO, leaving the earlier calibration and no temporary file behind', async () => {
    await saveCalibration(folder, calibration());
    const before = readFileSync(calibrationPath(modelDir), 'utf8');
    // The real helper, writing its temporary, then the disk filling up mid-write.
    const fullDisk: WriteFile = (file, data) =>
      writeFileAtomic(file, {
        [Symbol.iterator]: function* () {
          yield data.slice(0, 10);
          throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        },
      } as unknown as string);
    const error = await saveCalibration(folder, calibration({ coefficients: [9, 9, 9, 9, 9] }), fullDisk).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StudioError);
    expect((error as StudioError).code).toBe('HISTORY_IO');
    expect((error as StudioError).message).toMatch(/no space left.*Any earlier calibration is unchanged/);
    expect(readFileSync(calibrationPath(modelDir), 'utf8')).toBe(before);
    expect(readdirSync(modelDir)).toEqual(['calibration.json']);
    expect(existsSync(userDir)).toBe(false);
  });

  it('says so when the built-in model has no data folder to save into', async () => {
    const error = await saveCalibration({ modelDir, builtin: true, userDir: undefined }, calibration()).catch((caught: unknown) => caught);
    expect((error as StudioError).code).toBe('HISTORY_IO');
    expect((error as StudioError).message).toMatch(/data folder/);
  });
});

describe('findCalibration', () => {
  it('finds nothing where nothing was saved', () => {
    expect(findCalibration(folder, 'builtin-emoji', WEIGHTS)).toEqual({ notes: [] });
  });

  it('loads a data-folder calibration only for the same model id and weights', async () => {
    const stored = await saveCalibration({ ...folder, builtin: true }, calibration());
    expect(findCalibration(folder, 'builtin-emoji', WEIGHTS).found).toEqual(stored);
    expect(findCalibration(folder, 'builtin-emoji', { ...WEIGHTS, 'transformer.safetensors': 'retrained' }).found).toBeUndefined();
    expect(findCalibration(folder, 'another-model', WEIGHTS).found).toBeUndefined();
    expect(findCalibration({ ...folder, userDir: undefined }, 'builtin-emoji', WEIGHTS).found).toBeUndefined();
  });

  it('ignores a calibration copied under the right name but fitted for other weights', async () => {
    mkdirSync(userDir, { recursive: true });
    writeFileSync(userCalibrationFile(userDir, 'builtin-emoji', WEIGHTS), JSON.stringify(calibration({ weights: { 'transformer.safetensors': 'other' } })));
    expect(findCalibration(folder, 'builtin-emoji', WEIGHTS).found).toBeUndefined();
  });

  it('prefers the newest of the model folder’s and the data folder’s', async () => {
    const older = await saveCalibration(folder, calibration({ coefficients: [1, 1], createdAt: '2026-11-25T10:00:00.000Z' }));
    const newer = await saveCalibration({ ...folder, builtin: true }, calibration({ coefficients: [2, 2], createdAt: '2026-11-25T11:00:00.000Z' }));
    expect(findCalibration(folder, 'builtin-emoji', WEIGHTS).found).toEqual(newer);
    await saveCalibration(folder, calibration({ coefficients: [3, 3], createdAt: '2026-11-25T12:00:00.000Z' }));
    const found = findCalibration(folder, 'builtin-emoji', WEIGHTS).found!;
    expect(found.location).toBe('model-folder');
    expect(found.calibration.coefficients).toEqual([3, 3]);
    expect(older.file).toBe(found.file);
  });

  it('skips an unreadable file with a note instead of failing the model', () => {
    mkdirSync(userDir, { recursive: true });
    const file = userCalibrationFile(userDir, 'builtin-emoji', WEIGHTS);
    writeFileSync(file, '{ not json');
    const { found, notes } = findCalibration(folder, 'builtin-emoji', WEIGHTS);
    expect(found).toBeUndefined();
    expect(notes).toHaveLength(1);
    expect(notes[0]).toContain(file);
  });

  it('summarises what the contract carries', async () => {
    const stored = await saveCalibration(folder, calibration());
    expect(calibrationSummary(stored)).toEqual({
      coefficients: [1, -2, 3, -4, 5],
      fit: calibration().fit,
      trained: true,
      createdAt: '2026-11-25T12:00:00.000Z',
      location: 'model-folder',
      file: calibrationPath(modelDir),
    });
  });
});
