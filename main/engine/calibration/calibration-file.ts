// Reads and writes a model folder's calibration.json (the fitted TeaCache
// polynomial), beside model.json and never inside it. Runs in Node (engine
// worker or CLI).

import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EngineError } from '../errors.ts';
import { CALIBRATION_FILE, CalibrationSchema, type Calibration } from '../teacache/calibration.ts';

export function calibrationPath(modelDir: string): string {
  return join(modelDir, CALIBRATION_FILE);
}

/** The folder's calibration, or undefined when it has none. */
export function readCalibration(modelDir: string): Calibration | undefined {
  const file = calibrationPath(modelDir);
  if (!existsSync(file)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new EngineError('MODEL_INVALID', `${file} is not valid JSON (${(error as Error).message}): delete it or run npm run calibrate again.`, { file }, { cause: error });
  }
  const parsed = CalibrationSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
    throw new EngineError('MODEL_INVALID', `${file} is not a calibration this version understands (${issues}): delete it or run npm run calibrate again.`, { file });
  }
  return parsed.data;
}

/** Writes through a temporary file so a reader never sees half a calibration. */
export function writeCalibration(modelDir: string, calibration: Calibration): string {
  const file = calibrationPath(modelDir);
  const checked = CalibrationSchema.parse(calibration);
  const temporary = `${file}.tmp-${process.pid}`;
  writeFileSync(temporary, `${JSON.stringify(checked, null, 2)}\n`);
  renameSync(temporary, file);
  return file;
}
