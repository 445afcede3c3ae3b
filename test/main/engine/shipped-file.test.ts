// Files that ship with the app are found from any depth and from a packaged app's resources.

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findShippedFile } from '../../../main/engine/shipped-file.ts';

const root = mkdtempSync(join(tmpdir(), 'shipped-'));
mkdirSync(join(root, 'app', 'dist', 'main'), { recursive: true });
mkdirSync(join(root, 'app', 'native'), { recursive: true });
writeFileSync(join(root, 'app', 'native', 'addon.node'), '');
mkdirSync(join(root, 'resources', 'native'), { recursive: true });
writeFileSync(join(root, 'resources', 'native', 'addon.node'), '');
const bundledModule = pathToFileURL(join(root, 'app', 'dist', 'main', 'index.js')).href;

describe('findShippedFile', () => {
  it('walks up from the running module, whatever its depth', () => {
    expect(findShippedFile(join('native', 'addon.node'), bundledModule)).toBe(join(root, 'app', 'native', 'addon.node'));
  });

  it('prefers the packaged app resources folder', () => {
    expect(findShippedFile(join('native', 'addon.node'), bundledModule, join(root, 'resources'))).toBe(join(root, 'resources', 'native', 'addon.node'));
  });

  it('returns undefined when the file is nowhere', () => {
    expect(findShippedFile(join('native', 'missing.node'), bundledModule)).toBeUndefined();
  });
});
