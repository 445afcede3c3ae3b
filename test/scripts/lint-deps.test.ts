// The layering check itself: the real rules, run over a scratch tree that breaks each kind of boundary once, name
// every bad import (and pass the same tree with the bad imports gone).

import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { layeringViolations, ROOT } from '../../scripts/lint-deps.ts';

let root: string;
const put = (file: string, text: string) => {
  mkdirSync(dirname(join(root, file)), { recursive: true });
  writeFileSync(join(root, file), text);
};

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'lint-deps-'));
  cpSync(join(ROOT, '.dependency-cruiser.cjs'), join(root, '.dependency-cruiser.cjs'));
  cpSync(join(ROOT, 'tsconfig.json'), join(root, 'tsconfig.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
  put('main/core/pure.ts', "import { z } from 'zod';\nexport const schema = z.number();\n");
  put('main/engine/engine.ts', "import { schema } from '../core/pure.ts';\nexport const engine = schema;\n");
  put('main/app/service.ts', "import { engine } from '../engine/engine.ts';\nexport const service = engine;\n");
  put('main/transport/browser/client.ts', "import { schema } from '../../core/pure.ts';\nexport const client = schema;\n");
  put('renderer/app.ts', "import { client } from '../main/transport/browser/client.ts';\nexport const app = client;\n");
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('lint:deps', () => {
  it('passes a tree that keeps to its layers', async () => {
    expect(await layeringViolations(root, ['main', 'renderer'])).toEqual([]);
  });

  it('names each import that crosses a layer, by rule', async () => {
    put('renderer/bad.ts', "import { readFileSync } from 'node:fs';\nimport { engine } from '../main/engine/engine.ts';\nexport const bad = [readFileSync, engine];\n");
    put('main/core/bad.ts', "import { engine } from '../engine/engine.ts';\nexport const bad = engine;\n");
    put('main/engine/bad.ts', "import { service } from '../app/service.ts';\nimport { app } from 'electron';\nexport const bad = [service, app];\n");
    const violations = await layeringViolations(root, ['main', 'renderer']);
    rmSync(join(root, 'renderer/bad.ts'));
    rmSync(join(root, 'main/core/bad.ts'));
    rmSync(join(root, 'main/engine/bad.ts'));
    expect(violations).toEqual(
      expect.arrayContaining([
        'browser-code-has-no-node: renderer/bad.ts -> fs',
        'renderer-stays-in-the-browser: renderer/bad.ts -> main/engine/engine.ts',
        'core-is-pure: main/core/bad.ts -> main/engine/engine.ts',
        'engine-below-host: main/engine/bad.ts -> main/app/service.ts',
        'electron-only-in-the-shell: main/engine/bad.ts -> node_modules/electron/index.js',
      ]),
    );
  });
});
