// The remembered model folder: read and written atomically as model.json under the data folder, and the
// startup decision (the remembered folder when it still validates, else the built-in model with a note saying
// why). Runs in the main process (Node); no Electron imports, loads no weights.

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { checkModelFolder } from '../engine/models/load-model.ts';
import type { FolderCheck } from '../engine/models/model-family.ts';
import { writeFileAtomic } from '../engine/io/write-atomic.ts';
import { StudioError, type ModelFolderProblem, type ModelSource } from '../core/contract.ts';

export const MODEL_CHOICE_FILE = 'model.json';
const CHOICE_FORMAT = 1;
const ChoiceFileSchema = z.object({ format: z.literal(CHOICE_FORMAT), dir: z.string().min(1).nullable() });

/** Checks a folder without loading weights; tests pass a stand-in. */
export type FolderChecker = (dir: string) => FolderCheck;

export const BUILTIN_SOURCE: ModelSource = { kind: 'builtin', dir: null, note: null };

/** What the engine should start on, and how to tell the user about it. */
export interface StartupModel {
  /** The folder to load; undefined for the built-in model. */
  readonly modelDir?: string;
  readonly source: ModelSource;
}

/** The remembered folder: null when none is (or the built-in model was chosen); throws when the file is unreadable. */
export function readModelChoice(dataDir: string): string | null {
  const file = join(dataDir, MODEL_CHOICE_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new StudioError('HISTORY_IO', `Cannot read the remembered model choice ${file}: ${(error as Error).message}.`, { file });
  }
  let parsed: z.infer<typeof ChoiceFileSchema>;
  try {
    parsed = ChoiceFileSchema.parse(JSON.parse(text));
  } catch {
    throw new StudioError('HISTORY_IO', `The remembered model choice ${file} is not a model.json this app wrote; pick the model folder again.`, { file });
  }
  return parsed.dir;
}

/** Remembers `dir` (null: the built-in model); atomic, so a crash leaves the old choice or the new one. */
export async function saveModelChoice(dataDir: string, dir: string | null): Promise<void> {
  const file = join(dataDir, MODEL_CHOICE_FILE);
  try {
    await writeFileAtomic(file, `${JSON.stringify({ format: CHOICE_FORMAT, dir }, null, 2)}\n`);
  } catch (error) {
    throw new StudioError('HISTORY_IO', `Cannot remember the model choice in ${file}: ${(error as Error).message}. Check that the data folder is writable.`, { file });
  }
}

/** The problems of folder `dir` (made absolute), as the contract carries them; empty when it can be loaded. */
export function folderProblems(dir: string, check: FolderChecker = checkModelFolder): { dir: string; problems: ModelFolderProblem[] } {
  const absolute = resolve(dir);
  try {
    return { dir: absolute, problems: check(absolute).problems.map(({ path, message }) => ({ path, message })) };
  } catch (error) {
    // A checker that throws (unreadable folder, permissions) is a problem with the folder, not a crash.
    return { dir: absolute, problems: [{ path: absolute, message: (error as Error).message }] };
  }
}

/**
 * What to load at startup: an explicit folder (--model) as given; else the remembered folder if it still
 * validates; else the built-in model, with a note naming the folder and its problems.
 */
export function startupModel(dataDir: string, options: { explicit?: string; check?: FolderChecker } = {}): StartupModel {
  if (options.explicit) {
    const dir = resolve(options.explicit);
    return { modelDir: dir, source: { kind: 'folder', dir, note: null } };
  }
  let remembered: string | null;
  try {
    remembered = readModelChoice(dataDir);
  } catch (error) {
    return { source: { ...BUILTIN_SOURCE, note: `${(error as Error).message} Using the built-in model.` } };
  }
  if (remembered === null) return { source: BUILTIN_SOURCE };
  const { dir, problems } = folderProblems(remembered, options.check);
  if (problems.length > 0) {
    const listed = problems.map((problem) => `${problem.path}: ${problem.message}`).join('; ');
    return {
      source: { ...BUILTIN_SOURCE, note: `The remembered model folder ${dir} cannot be used (${listed}). Using the built-in model; open the folder again once it is fixed.` },
    };
  }
  return { modelDir: dir, source: { kind: 'folder', dir, note: null } };
}
