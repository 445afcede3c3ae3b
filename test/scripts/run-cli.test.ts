// A CLI bundle is reused only while it is newer than every source it was built from, so `npm run generate` never
// runs yesterday's code after an edit and never rebuilds when nothing changed.

import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isBundleFresh } from '../../scripts/run-cli.mjs';

let root: string;
const at = (root: string, file: string, seconds: number) => utimesSync(join(root, file), seconds, seconds);

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'run-cli-'));
  mkdirSync(join(root, 'dist', 'cli'), { recursive: true });
  mkdirSync(join(root, 'main'));
  writeFileSync(join(root, 'main', 'a.ts'), 'export {};\n');
  writeFileSync(join(root, 'dist', 'cli', 'tool.mjs'), '\n');
  writeFileSync(join(root, 'dist', 'cli', 'tool.mjs.inputs.json'), JSON.stringify(['main/a.ts']));
  at(root, 'main/a.ts', 1000);
  at(root, 'dist/cli/tool.mjs', 2000);
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('isBundleFresh', () => {
  it('reuses a bundle newer than its sources', () => {
    expect(isBundleFresh(root, 'tool')).toBe(true);
  });

  it('rebuilds after a source changes or disappears', () => {
    at(root, 'main/a.ts', 3000);
    expect(isBundleFresh(root, 'tool')).toBe(false);
    rmSync(join(root, 'main', 'a.ts'));
    expect(isBundleFresh(root, 'tool')).toBe(false);
  });

  it('rebuilds when the bundle or its list of sources is missing or unreadable', () => {
    expect(isBundleFresh(root, 'other')).toBe(false);
    writeFileSync(join(root, 'dist', 'cli', 'tool.mjs.inputs.json'), '{not json');
    expect(isBundleFresh(root, 'tool')).toBe(false);
    writeFileSync(join(root, 'dist', 'cli', 'tool.mjs.inputs.json'), '[]');
    expect(isBundleFresh(root, 'tool')).toBe(false);
  });
});
