// The one calibration lookup: which fitted polynomial applies to a model here (calibrationInForce), for the CLI,
// the worker and so the app; and where calibrations are kept: the model folder's calibration.json when that folder
// can be written, else (and always for the built-in model, which ships inside the app) one file per model id and
// weights under the app's data folder. Runs in Node (engine worker or CLI); no Electron imports, loads no weights.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { calibrationPath, readCalibrationFile, sameWeights, weightsFingerprint } from './calibration-file.ts';
import { withCalibration } from './calibrated-model.ts';
import type { ImageModel } from '../models/image-model.ts';
import { builtinModelDir } from '../models/pixel-flux/pixel-flux-model.ts';
import { CalibrationSchema, type Calibration } from '../../core/teacache/calibration.ts';
import { writeFileAtomic } from '../io/write-atomic.ts';
import { StudioError, type CalibrationLocation, type CalibrationSummary } from '../../core/contract.ts';

/** The calibrations' folder under the app's data folder (beside the run history). */
export const CALIBRATIONS_DIR = 'calibrations';

export function userCalibrationDir(dataDir: string): string {
  return join(dataDir, CALIBRATIONS_DIR);
}

/** Where one model's calibrations may live. */
export interface CalibrationPlace {
  readonly modelDir: string;
  /** The built-in model: its folder is part of the app (read-only once packaged), so it is never written. */
  readonly builtin: boolean;
  /** The app's calibrations folder; undefined where there is none (then only the model folder is used). */
  readonly userDir: string | undefined;
}

/** The place for the model in `modelDir` (the built-in model when undefined), with the app's calibrations folder if any. */
export function calibrationPlace(modelDir: string | undefined, userDir?: string): CalibrationPlace {
  return { modelDir: modelDir ?? builtinModelDir(), builtin: modelDir === undefined, userDir };
}

export interface StoredCalibration {
  readonly calibration: Calibration;
  readonly file: string;
  readonly location: CalibrationLocation;
}

/** Errors meaning "this folder cannot be written" (rather than a full disk or a bug): the data folder takes over. */
const READ_ONLY_CODES: ReadonlySet<string> = new Set(['EACCES', 'EROFS', 'EPERM']);

/**
 * The data-folder file for model `modelId` with these weights. Keyed by both, so a calibration for other weights
 * (the model retrained, another checkpoint under the same id) is never even read.
 */
export function userCalibrationFile(userDir: string, modelId: string, weights: Record<string, string>): string {
  const key = createHash('sha256')
    .update(JSON.stringify(Object.entries(weights).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))))
    .digest('hex')
    .slice(0, 16);
  const name = modelId.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80);
  return join(userDir, `${name}-${key}.json`);
}

export function calibrationSummary(stored: StoredCalibration): CalibrationSummary {
  const { calibration, file, location } = stored;
  return { coefficients: calibration.coefficients, fit: calibration.fit, trained: calibration.trained, createdAt: calibration.createdAt, location, file };
}

export type WriteFile = (file: string, data: string) => Promise<void>;

/**
 * Saves `calibration` (which must record its weights' fingerprint) atomically: into the model folder, or, for
 * the built-in model or a folder that refuses the write as read-only, into the data folder. Any other failure
 * (a full disk) is thrown as HISTORY_IO, and the earlier file, wherever it is, stays as it was.
 */
export async function saveCalibration(place: CalibrationPlace, calibration: Calibration, write: WriteFile = writeFileAtomic): Promise<StoredCalibration> {
  const checked = CalibrationSchema.parse(calibration);
  const text = `${JSON.stringify(checked, null, 2)}\n`;
  const attempt = async (file: string, location: CalibrationLocation): Promise<StoredCalibration> => {
    await write(file, text);
    return { calibration: checked, file, location };
  };
  const failed = (file: string, error: unknown) =>
    new StudioError(
      'HISTORY_IO',
      `Could not save the calibration to ${file}: ${(error as Error).message}. Any earlier calibration is unchanged; free some disk space or fix the folder's permissions, then calibrate again.`,
      { file, code: (error as NodeJS.ErrnoException).code },
    );
  if (!place.builtin) {
    const file = calibrationPath(place.modelDir);
    try {
      return await attempt(file, 'model-folder');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      if (!READ_ONLY_CODES.has(code) || place.userDir === undefined) throw failed(file, error);
    }
  }
  if (place.userDir === undefined) {
    throw new StudioError('HISTORY_IO', `The built-in model's calibration is kept in the app's data folder, and this engine was started without one.`, {
      modelDir: place.modelDir,
    });
  }
  if (checked.weights === undefined) throw new StudioError('INTERNAL', 'A calibration kept in the data folder must record its weights fingerprint.');
  const file = userCalibrationFile(place.userDir, checked.modelId, checked.weights);
  try {
    mkdirSync(place.userDir, { recursive: true });
    return await attempt(file, 'user-data');
  } catch (error) {
    throw failed(file, error);
  }
}

/**
 * The calibration to use for model `modelId` whose weights have fingerprint `weights`: of the model folder's and
 * the data folder's, those fitted for this model and these weights, the newest. A file that cannot be read is
 * skipped with a note (the model still loads), never fatal.
 */
export function findCalibration(place: CalibrationPlace, modelId: string, weights: Record<string, string>): { found?: StoredCalibration; notes: string[] } {
  const notes: string[] = [];
  const candidates: StoredCalibration[] = [];
  const consider = (file: string, location: CalibrationLocation) => {
    let calibration: Calibration | undefined;
    try {
      calibration = existsSync(file) ? readCalibrationFile(file) : undefined;
    } catch (error) {
      notes.push(`Ignored the calibration: ${(error as Error).message}`);
      return;
    }
    if (!calibration || calibration.modelId !== modelId) return;
    // The model folder's may predate fingerprints (then it goes with its folder); the data folder's must match.
    if (calibration.weights === undefined ? location === 'user-data' : !sameWeights(calibration.weights, weights)) return;
    candidates.push({ calibration, file, location });
  };
  consider(calibrationPath(place.modelDir), 'model-folder');
  if (place.userDir !== undefined) consider(userCalibrationFile(place.userDir, modelId, weights), 'user-data');
  candidates.sort((a, b) => (a.calibration.createdAt < b.calibration.createdAt ? 1 : a.calibration.createdAt > b.calibration.createdAt ? -1 : 0));
  return { ...(candidates[0] ? { found: candidates[0] } : {}), notes };
}

export interface CalibrationInForce {
  /** The model with the calibration's polynomial in its defaults (a view of the model as loaded), or the model itself. */
  readonly model: ImageModel;
  readonly stored: StoredCalibration | undefined;
  /** Calibration files that could not be read, for the model's notes. */
  readonly notes: string[];
  /** The fingerprint of the weights in the model folder, which a new calibration records. */
  readonly weights: Record<string, string>;
}

/**
 * THE answer to "which polynomial applies to this model here", for every model kind: the newest calibration fitted
 * for this model id and these weights, of the model folder's and the data folder's (see findCalibration), put in
 * force on `model`, which must be the model as loaded.
 */
export function calibrationInForce(model: ImageModel, place: CalibrationPlace): CalibrationInForce {
  const weights = weightsFingerprint(place.modelDir);
  const { found, notes } = findCalibration(place, model.info.id, weights);
  return { model: found ? withCalibration(model, found.calibration) : model, stored: found, notes, weights };
}
