// The one way files the app keeps are replaced (history, model choice, calibrations): a temporary file beside the
// target, flushed to disk, then renamed over it, so a crash at any moment leaves the old file or the new one.
// Runs in Node (main process, engine worker, CLI).

import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';

/** A name beside `file` no other writer (process or call) picks. */
function temporaryFor(file: string): string {
  return `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
}

/**
 * Writes `data` to `file` so that a crash at any moment leaves either the old file or the new one (rename within
 * a folder is atomic).
 */
export async function writeFileAtomic(file: string, data: Uint8Array | string): Promise<void> {
  const temporary = temporaryFor(file);
  const handle = await open(temporary, 'w');
  try {
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, file);
  } catch (error) {
    // A full disk fails the write itself: leave no half-written temporary behind either.
    await rm(temporary, { force: true });
    throw error;
  }
}
