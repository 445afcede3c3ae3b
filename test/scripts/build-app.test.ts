// The production build: bundles that run under plain Node from dist/ with only the externals beside them, and the
// output check that refuses dev-server URLs, linked source maps and missing pieces. Writes only temporary folders.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { BUNDLE_ENTRIES, bundleEntry, checkBuildOutput, EXTERNAL_MODULES, missingEntries, type BundleEntry } from '../../scripts/build-app.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'build-app-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function put(root: string, file: string, text: string): void {
  mkdirSync(dirname(join(root, file)), { recursive: true });
  writeFileSync(join(root, file), text);
}

describe('bundleEntry', () => {
  it('bundles an ES module entry that runs from another folder, CommonJS dependencies and createRequire included', async () => {
    // Written inside the repository so node_modules resolves as it does for the real entries.
    const source = join(ROOT, 'tmp', `build-app-fixture-${process.pid}.ts`);
    put(ROOT, relative(ROOT, source), [
      "import { createRequire } from 'node:module';",
      "import { WebSocketServer } from 'ws';", // CommonJS inside, requires Node built-ins at load time
      "import { z } from 'zod';",
      'const require = createRequire(import.meta.url);', // as the engine's backend loader does
      "const mlx = require('@frost-beta/mlx') as { core: { array(x: number[]): unknown } };",
      "console.log(JSON.stringify({ ws: typeof WebSocketServer, zod: z.number().parse(3), mlx: typeof mlx.core.array, env: process.env.NODE_ENV }));",
    ].join('\n'));
    const entry: BundleEntry = { role: 'fixture', source: relative(ROOT, source), outfile: join(scratch, 'out', 'main.js'), format: 'esm' };
    try {
      await bundleEntry(ROOT, entry);
    } finally {
      rmSync(source, { force: true });
    }
    const text = readFileSync(entry.outfile, 'utf8');
    // ws and zod are inside the bundle; only the externals are required at run time.
    expect(text).not.toMatch(/from ["']ws["']|require\(["']ws["']\)/);
    expect(text).toMatch(/require\d*\(["']@frost-beta\/mlx["']\)/);
    expect(text).not.toMatch(/sourceMappingURL/);
    expect(existsSync(`${entry.outfile}.map`)).toBe(true);
    // Run it where node_modules holds only what is external, as in the packaged app.
    writeFileSync(join(scratch, 'out', 'package.json'), '{"type":"module"}');
    mkdirSync(join(scratch, 'node_modules', '@frost-beta'), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules', '@frost-beta', 'mlx'), join(scratch, 'node_modules', '@frost-beta', 'mlx'), 'dir');
    const out = execFileSync(process.execPath, [entry.outfile], { cwd: scratch, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ ws: 'function', zod: 3, mlx: 'function', env: 'production' });
  });

  it('compiles the dev-server variables away in production, and keeps them with --dev', async () => {
    const source = join(ROOT, 'tmp', `build-app-devurl-${process.pid}.ts`);
    put(ROOT, relative(ROOT, source), "console.log(process.env.TEACACHE_RENDERER_DEV_URL ?? process.env.VITE_DEV_SERVER_URL ?? 'app://studio/index.html');\n");
    const env = { ...process.env, TEACACHE_RENDERER_DEV_URL: 'http://localhost:5173/', VITE_DEV_SERVER_URL: 'http://localhost:5174/' };
    const run = async (name: string, dev: boolean): Promise<string> => {
      const outfile = join(scratch, 'devurl', `${name}.mjs`);
      await bundleEntry(ROOT, { role: name, source: relative(ROOT, source), outfile, format: 'esm' }, { dev });
      return execFileSync(process.execPath, [outfile], { env, encoding: 'utf8' }).trim();
    };
    try {
      expect(await run('production', false)).toBe('app://studio/index.html');
      expect(await run('development', true)).toBe('http://localhost:5173/');
    } finally {
      rmSync(source, { force: true });
    }
  });

  it('writes the preload as CommonJS, requiring electron rather than bundling it', async () => {
    const source = join(ROOT, 'tmp', `build-app-preload-${process.pid}.ts`);
    put(ROOT, relative(ROOT, source), "import { contextBridge } from 'electron';\ncontextBridge.exposeInMainWorld('x', { a: 1 });\n");
    const entry: BundleEntry = { role: 'preload fixture', source: relative(ROOT, source), outfile: join(scratch, 'preload', 'preload.cjs'), format: 'cjs' };
    try {
      await bundleEntry(ROOT, entry);
    } finally {
      rmSync(source, { force: true });
    }
    const text = readFileSync(entry.outfile, 'utf8');
    expect(text).toMatch(/require\(["']electron["']\)/);
    expect(text).not.toMatch(/^import /m);
  });
});

describe('checkBuildOutput', () => {
  function built(): string {
    const root = mkdtempSync(join(scratch, 'dist-'));
    for (const entry of BUNDLE_ENTRIES) put(root, entry.outfile, '"use strict";\n');
    put(root, 'dist/renderer/index.html', '<!doctype html><script type="module" src="./assets/index.js"></script>');
    put(root, 'dist/renderer/assets/index.js', 'export {};\n');
    return root;
  }

  it('accepts a complete build', () => {
    expect(() => checkBuildOutput(built())).not.toThrow();
  });

  it('refuses a main bundle that would load the UI from a dev server', () => {
    const root = built();
    put(root, 'dist/main/index.js', "win.loadURL('http://localhost:5173/');\n");
    expect(() => checkBuildOutput(root)).toThrow(/dist\/main\/index\.js contains the dev-server address http:\/\/localhost:5173/);
  });

  it('accepts a templated localhost address (web mode picks its port at run time)', () => {
    const root = built();
    put(root, 'dist/main/index.js', 'const url = `http://127.0.0.1:${port}/`;\n');
    expect(() => checkBuildOutput(root)).not.toThrow();
  });

  it('refuses outputs that link their source maps', () => {
    const root = built();
    put(root, 'dist/renderer/assets/index.js', 'export {};\n//# sourceMappingURL=index.js.map\n');
    expect(() => checkBuildOutput(root)).toThrow(/index\.js references a source map/);
  });

  it('names every missing piece', () => {
    const root = built();
    rmSync(join(root, 'dist/preload'), { recursive: true });
    rmSync(join(root, 'dist/renderer/index.html'));
    expect(() => checkBuildOutput(root)).toThrow(/preload\.cjs \(preload\) was not written[\s\S]*renderer\/index\.html/);
  });
});

describe('the entries', () => {
  it('are reported when their sources are missing', () => {
    expect(missingEntries(scratch).map((e) => e.source)).toEqual(BUNDLE_ENTRIES.map((e) => e.source));
  });

  it('keep electron and the MLX bindings external, and lay out main and worker side by side', () => {
    expect(EXTERNAL_MODULES).toEqual(expect.arrayContaining(['electron', '@frost-beta/mlx']));
    const [main, worker, preload] = BUNDLE_ENTRIES;
    expect(dirname(main!.outfile)).toBe(dirname(worker!.outfile));
    expect(preload!.outfile.endsWith('.cjs')).toBe(true);
  });
});
