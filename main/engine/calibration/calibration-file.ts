// Reads and writes a model folder's calibration.json (the fitted TeaCache
// polynomial), beside model.json and never inside it. Runs in Node (engine
// worker or CLI).

import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { EngineError } from '../../core/errors.ts';
import { CALIBRATION_FILE, CalibrationSchema, type Calibration } from '../../core/teacache/calibration.ts';
import { writeFileAtomic } from '../io/write-atomic.ts';

export function calibrationPath(modelDir: string): string {
  return join(modelDir, CALIBRATION_FILE);
}

/** One calibration file wherever it is kept (a model folder, or the app's data folder); throws MODEL_INVALID when unreadable. */
export function readCalibrationFile(file: string): Calibration {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new EngineError('MODEL_INVALID', `${file} is not valid JSON (${(error as Error).message}): delete it or run npm run calibrate again (or Calibrate in the app).`, { file }, { cause: error });
  }
  const parsed = CalibrationSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
    throw new EngineError('MODEL_INVALID', `${file} is not a calibration this version understands (${issues}): delete it or run npm run calibrate again (or Calibrate in the app).`, { file });
  }
  return parsed.data;
}

/** Writes through a temporary file so a reader never sees half a calibration. */
export async function writeCalibration(modelDir: string, calibration: Calibration): Promise<string> {
  const file = calibrationPath(modelDir);
  const checked = CalibrationSchema.parse(calibration);
  await writeFileAtomic(file, `${JSON.stringify(checked, null, 2)}\n`);
  return file;
}

const SAMPLE_BYTES = 1 << 20;

/** How far below the model folder weights may sit: diffusers layouts keep them one folder down. */
const WEIGHTS_DEPTH = 2;

/** The folder's `.safetensors` files, as paths relative to it with `/`, sorted. */
function weightsFiles(modelDir: string, prefix = '', depth = 0): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(join(modelDir, prefix), { withFileTypes: true })) {
    const name = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isFile() && entry.name.endsWith('.safetensors')) files.push(name);
    else if (entry.isDirectory() && !entry.name.startsWith('.') && depth + 1 < WEIGHTS_DEPTH) files.push(...weightsFiles(modelDir, name, depth + 1));
  }
  return files.sort();
}

/**
 * A cheap fingerprint of each weights file (size, first and last MiB), so a
 * calibration fitted for other weights is noticed without hashing gigabytes.
 * Files in subfolders count too: a diffusers checkpoint has none at the top.
 */
export function weightsFingerprint(modelDir: string): Record<string, string> {
  if (!existsSync(modelDir)) return {};
  return Object.fromEntries(
    weightsFiles(modelDir).map((name) => {
      const file = join(modelDir, name);
      const size = statSync(file).size;
      const hash = createHash('sha256').update(String(size));
      const fd = openSync(file, 'r');
      try {
        for (const start of size > 2 * SAMPLE_BYTES ? [0, size - SAMPLE_BYTES] : [0]) {
          const buffer = Buffer.alloc(Math.min(size, size > 2 * SAMPLE_BYTES ? SAMPLE_BYTES : size));
          readSync(fd, buffer, 0, buffer.length, start);
          hash.update(buffer);
        }
      } finally {
        closeSync(fd);
      }
      return [name, hash.digest('hex').slice(0, 16)];
    }),
  );
}

/** Whether two weights fingerprints name the same files with the same contents. */
export function sameWeights(recorded: Record<string, string>, current: Record<string, string>): boolean {
  return Object.keys(current).length === Object.keys(recorded).length && Object.entries(current).every(([name, print]) => recorded[name] === print);
}
