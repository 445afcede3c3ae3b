// The run history on disk: one PNG (with its parameters chunk) and one JSON record per run, each written
// atomically, loaded at start with anything unreadable set aside rather than fatal. Runs in the main process
// (Node); no Electron imports.

import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { pngProblem } from '../engine/io/png.ts';
import { HistoryEntrySchema, IdSchema, StudioError, type HistoryEntry } from '../core/contract.ts';
import { writeFileAtomic } from '../engine/io/write-atomic.ts';

export const HISTORY_FORMAT = 1;

/** What each run's JSON file holds. */
const RecordFileSchema = z.object({ format: z.literal(HISTORY_FORMAT), entry: HistoryEntrySchema });

/** The environment variable that moves the data folder (web mode, CLI, tests). */
export const DATA_DIR_ENV = 'TEACACHE_STUDIO_DATA';

/** Web mode's and the CLI's data folder: an explicit choice, else $TEACACHE_STUDIO_DATA, else ~/.teacache-studio. */
export function defaultDataDir(explicit?: string): string {
  return resolve(explicit ?? process.env[DATA_DIR_ENV] ?? join(homedir(), '.teacache-studio'));
}

export interface HistoryProblem {
  readonly file: string;
  readonly message: string;
  /** Where the file was moved, so nothing a user made is deleted; null when it was left in place. */
  readonly movedTo: string | null;
}

export class HistoryStore {
  private readonly entries = new Map<string, HistoryEntry>();
  /** Files found unreadable at load and set aside. */
  readonly problems: HistoryProblem[] = [];
  readonly runsDir: string;
  readonly asideDir: string;

  private constructor(readonly dir: string) {
    this.runsDir = join(dir, 'runs');
    this.asideDir = join(dir, 'set-aside');
  }

  /** Opens (creating if needed) the history under `dataDir`. Never throws for a bad record: see `problems`. */
  static open(dataDir: string): HistoryStore {
    const store = new HistoryStore(resolve(dataDir));
    try {
      mkdirSync(store.runsDir, { recursive: true });
    } catch (error) {
      throw new StudioError('HISTORY_IO', `Cannot create the history folder ${store.runsDir}: ${(error as Error).message}. Pick a writable data folder.`, { dir: store.runsDir });
    }
    store.load();
    return store;
  }

  private load(): void {
    const names = readdirSync(this.runsDir);
    for (const name of names) {
      const file = join(this.runsDir, name);
      // Left by a crash mid-write: the rename never happened, so the old file (if any) is intact.
      if (name.endsWith('.tmp')) {
        rmSync(file, { force: true });
        continue;
      }
      if (!name.endsWith('.json')) continue;
      const id = name.slice(0, -'.json'.length);
      let value: unknown;
      try {
        value = JSON.parse(readFileSync(file, 'utf8'));
      } catch (error) {
        this.setAside(id, file, `it is not valid JSON: ${(error as Error).message}`);
        continue;
      }
      const format = (value as { format?: unknown } | null)?.format;
      if (typeof format === 'number' && format > HISTORY_FORMAT) {
        // Not broken, just newer: leave it for the version that wrote it.
        const problem = { file, message: `History record ${file} was saved by a newer TeaCache Studio (format ${format}); left it in place.`, movedTo: null };
        this.problems.push(problem);
        console.warn(problem.message);
        continue;
      }
      const parsed = RecordFileSchema.safeParse(value);
      const problem = !parsed.success
        ? `it does not fit the history format: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ')}`
        : parsed.data.entry.id !== id
          ? `it names run ${parsed.data.entry.id}, not ${id}`
          : !existsSync(join(this.runsDir, `${id}.png`))
            ? 'its image is missing'
            : this.imageProblem(id, parsed.data.entry);
      if (problem !== undefined || !parsed.success) this.setAside(id, file, problem ?? 'it does not fit the history format');
      else this.entries.set(id, parsed.data.entry);
    }
    // An image without a record is a run that crashed before its record was written: not a run yet.
    for (const name of names) {
      if (name.endsWith('.png') && !this.entries.has(name.slice(0, -'.png'.length)) && existsSync(join(this.runsDir, name))) {
        this.setAside(name.slice(0, -'.png'.length), join(this.runsDir, name), 'it has no record (the app stopped while saving it)');
      }
    }
  }

  /** Why a record's image cannot be shown or compared (broken thumbnails, a compare that fails), if it cannot. */
  private imageProblem(id: string, entry: HistoryEntry): string | undefined {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(join(this.runsDir, `${id}.png`));
    } catch (error) {
      return `its image cannot be read: ${(error as Error).message}`;
    }
    const problem = pngProblem(bytes, entry.width, entry.height);
    return problem === undefined ? undefined : `its image is damaged: ${problem}`;
  }

  private setAside(id: string, file: string, reason: string): void {
    mkdirSync(this.asideDir, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    let movedTo = '';
    // Raw names here: a file set aside may have a name no run id could have.
    for (const path of [file, join(this.runsDir, `${id}.png`)]) {
      if (!existsSync(path)) continue;
      const target = join(this.asideDir, `${stamp}-${path.slice(this.runsDir.length + 1)}`);
      renameSync(path, target);
      if (path === file) movedTo = target;
    }
    const problem = { file, message: `History record ${file} could not be read (${reason}); moved it to ${movedTo}.`, movedTo };
    this.problems.push(problem);
    console.warn(problem.message);
  }

  private recordFile(id: string): string {
    return join(this.runsDir, `${IdSchema.parse(id)}.json`);
  }

  private imageFile(id: string): string {
    return join(this.runsDir, `${IdSchema.parse(id)}.png`);
  }

  /** Newest first. */
  list(): HistoryEntry[] {
    return [...this.entries.values()].sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? 1 : -1));
  }

  get(id: string): HistoryEntry | undefined {
    return this.entries.get(id);
  }

  /** The entry, or NOT_FOUND saying so. */
  require(id: string): HistoryEntry {
    const entry = this.entries.get(id);
    if (!entry) throw new StudioError('NOT_FOUND', `There is no run ${id} in the history (it may have been deleted).`, { id });
    return entry;
  }

  async image(id: string): Promise<Uint8Array> {
    this.require(id);
    try {
      return new Uint8Array(await readFile(this.imageFile(id)));
    } catch (error) {
      throw new StudioError('HISTORY_IO', `Cannot read the image of run ${id}: ${(error as Error).message}`, { id });
    }
  }

  /** Saves a new run: the image first, then the record that makes it count. */
  async add(entry: HistoryEntry, png: Uint8Array): Promise<void> {
    const checked = HistoryEntrySchema.parse(entry);
    try {
      await writeFileAtomic(this.imageFile(checked.id), png);
      await this.writeRecord(checked);
    } catch (error) {
      throw new StudioError('HISTORY_IO', `Cannot save run ${checked.id} to ${this.runsDir}: ${(error as Error).message}`, { id: checked.id });
    }
    this.entries.set(checked.id, checked);
  }

  /** Replaces an entry's record (its image stays). */
  async update(entry: HistoryEntry): Promise<void> {
    this.require(entry.id);
    const checked = HistoryEntrySchema.parse(entry);
    try {
      await this.writeRecord(checked);
    } catch (error) {
      throw new StudioError('HISTORY_IO', `Cannot update run ${checked.id}: ${(error as Error).message}`, { id: checked.id });
    }
    this.entries.set(checked.id, checked);
  }

  /** Removes a run: the record first, so a crash leaves an orphan image (set aside at load), never a broken run. */
  async delete(id: string): Promise<boolean> {
    if (!this.entries.has(id)) return false;
    try {
      await rm(this.recordFile(id), { force: true });
      this.entries.delete(id);
      await rm(this.imageFile(id), { force: true });
    } catch (error) {
      throw new StudioError('HISTORY_IO', `Cannot delete run ${id}: ${(error as Error).message}`, { id });
    }
    return true;
  }

  private writeRecord(entry: HistoryEntry): Promise<void> {
    return writeFileAtomic(this.recordFile(entry.id), `${JSON.stringify({ format: HISTORY_FORMAT, entry }, null, 1)}\n`);
  }
}
