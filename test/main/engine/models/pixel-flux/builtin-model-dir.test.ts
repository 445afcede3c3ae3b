// Where the engine finds the built-in model: from source, from the production bundle in dist/, and inside a
// packaged app (electron-builder's extraResources). Touches only temporary folders.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { builtinModelDir, MANIFEST_FILE } from '../../../../../main/engine/models/pixel-flux/pixel-flux-model.ts';

const REPO = fileURLToPath(new URL('../../../../../', import.meta.url));
const CHECKOUT_MODEL = join(REPO, 'models', 'builtin');
const SOURCE_URL = pathToFileURL(join(REPO, 'main/engine/models/pixel-flux/pixel-flux-model.ts')).href;

let scratch: string;
beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), 'builtin-model-dir-'));
});
afterEach(() => rmSync(scratch, { recursive: true, force: true }));

/** A folder that looks like a model to the lookup (it only checks for the manifest). */
function fakeModel(dir: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, MANIFEST_FILE), '{}');
  return dir;
}

describe('builtinModelDir', () => {
  it('uses TEACACHE_MODEL_DIR when set, before anything else', () => {
    const resources = join(scratch, 'Resources');
    fakeModel(join(resources, 'models', 'builtin'));
    expect(builtinModelDir({ TEACACHE_MODEL_DIR: '/models/mine' }, resources, SOURCE_URL)).toBe('/models/mine');
  });

  it('finds the checkout model from the source file in development', () => {
    expect(builtinModelDir({}, undefined, SOURCE_URL)).toBe(CHECKOUT_MODEL);
    // The default arguments describe this process: vitest runs the sources, not Electron.
    const { TEACACHE_MODEL_DIR: _ignored, ...env } = process.env;
    expect(builtinModelDir(env)).toBe(CHECKOUT_MODEL);
  });

  it('finds the checkout model from the bundled worker in dist/main', () => {
    const bundled = pathToFileURL(join(REPO, 'dist', 'main', 'engine-worker.js')).href;
    expect(builtinModelDir({}, undefined, bundled)).toBe(CHECKOUT_MODEL);
  });

  it('uses <Resources>/models/builtin in a packaged app', () => {
    const resources = join(scratch, 'TeaCache Studio.app', 'Contents', 'Resources');
    const packaged = fakeModel(join(resources, 'models', 'builtin'));
    const inAsar = pathToFileURL(join(resources, 'app.asar', 'dist', 'main', 'engine-worker.js')).href;
    expect(builtinModelDir({}, resources, inAsar)).toBe(packaged);
  });

  it('finds <Resources>/models/builtin from the archive path alone when resourcesPath is not set (worker threads)', () => {
    const resources = join(scratch, 'opt', 'TeaCache Studio', 'resources');
    const packaged = fakeModel(join(resources, 'models', 'builtin'));
    mkdirSync(join(resources, 'app.asar', 'dist', 'main'), { recursive: true });
    const inAsar = pathToFileURL(join(resources, 'app.asar', 'dist', 'main', 'engine-worker.js')).href;
    expect(builtinModelDir({}, undefined, inAsar)).toBe(packaged);
  });

  it("skips Electron's own resources folder in development (it holds no model)", () => {
    const electronResources = join(scratch, 'node_modules', 'electron', 'dist', 'resources');
    mkdirSync(electronResources, { recursive: true });
    expect(builtinModelDir({}, electronResources, SOURCE_URL)).toBe(CHECKOUT_MODEL);
  });

  it('falls back to the path beside the sources when no model is found, so the load error names it', () => {
    // As deep below the root as the source file (main/engine/models/pixel-flux/).
    const lost = pathToFileURL(join(scratch, 'a', 'b', 'c', 'd', 'module.js')).href;
    expect(builtinModelDir({}, undefined, lost)).toBe(join(scratch, 'models', 'builtin') + '/');
  });
});
