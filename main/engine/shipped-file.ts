// Finds a file that ships with the app wherever the code runs from: the
// sources, the bundle in dist/, or a packaged app (its resources folder, or
// inside app.asar, whose native files Electron redirects to the unpacked copy).
// Runs in Node; no Electron imports.

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The first existing `relativePath` under the packaged app's resources folder,
 * then under each folder above the running module — bundling moves code to
 * other depths, so no fixed number of levels is right everywhere.
 */
export function findShippedFile(relativePath: string, moduleUrl: string, resourcesPath?: string): string | undefined {
  const candidates = resourcesPath ? [join(resourcesPath, relativePath)] : [];
  for (let dir = dirname(fileURLToPath(moduleUrl)); ; dir = dirname(dir)) {
    candidates.push(join(dir, relativePath));
    if (dirname(dir) === dir) break;
  }
  return candidates.find((candidate) => existsSync(candidate));
}

/** Electron's resources folder when packaged; undefined under plain Node. */
export function electronResourcesPath(): string | undefined {
  return (process as { resourcesPath?: string }).resourcesPath;
}
