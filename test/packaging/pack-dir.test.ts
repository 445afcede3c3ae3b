// Runs electron-builder for real (`--linux dir`) on a fixture project laid out like this one, with a stand-in
// Electron so nothing is downloaded, and inspects the packaged app: what app.asar holds, what sits unpacked beside
// it, and the model among the resources. Everything happens in a temporary folder.

import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_ENTRIES } from '../../scripts/build-app.ts';
import { MLX_BINDING, MLX_METALLIB } from '../../scripts/binaries.ts';
import { elfHeader, METALLIB } from '../support/fake-binaries.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ELECTRON_VERSION = (JSON.parse(readFileSync(join(ROOT, 'node_modules/electron/package.json'), 'utf8')) as { version: string }).version;
const fromBuilder = createRequire(createRequire(import.meta.url).resolve('app-builder-lib/package.json'));
const asar = fromBuilder('@electron/asar') as {
  listPackage(archive: string, options: { isPack: boolean }): string[];
  extractFile(archive: string, file: string): Buffer;
};

let project: string;
let resources: string;
let archived: Set<string>;

function put(file: string, bytes: Buffer | string): void {
  mkdirSync(dirname(join(project, file)), { recursive: true });
  writeFileSync(join(project, file), bytes);
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

beforeAll(async () => {
  project = mkdtempSync(join(tmpdir(), 'pack-dir-'));
  for (const file of ['electron-builder.yml', 'package.json', 'build/icon.png', 'build/entitlements.mac.plist']) {
    mkdirSync(dirname(join(project, file)), { recursive: true });
    copyFileSync(join(ROOT, file), join(project, file));
  }
  // The production bundle, with the source maps the build writes beside it.
  for (const entry of BUNDLE_ENTRIES) {
    put(entry.outfile, '"use strict";\n');
    put(`${entry.outfile}.map`, '{}');
  }
  put('dist/renderer/index.html', '<!doctype html>');
  put('dist/renderer/assets/index-abc.js', 'export {};');
  put('dist/renderer/assets/index-abc.js.map', '{}');
  // Sources and a renderer-only dependency that must stay out.
  put('main/transport/electron-main/index.ts', 'export {};');
  put('node_modules/react/package.json', '{"name":"react","version":"19.3.1","main":"index.js"}');
  put('node_modules/react/index.js', 'module.exports = {};');
  // The MLX bindings as the Mac install leaves them: binding and shaders side by side.
  put('node_modules/@frost-beta/mlx/package.json', '{"name":"@frost-beta/mlx","version":"0.0.7","main":"lib/index.js"}');
  put('node_modules/@frost-beta/mlx/lib/index.js', "module.exports = require(__dirname + '/../build/Release/mlx.node');");
  put('node_modules/@frost-beta/mlx/lib/index.d.ts', 'export {};');
  put('node_modules/@frost-beta/mlx/dist/stream.js', 'exports.stream = 1;');
  put(MLX_BINDING, elfHeader(0x3e));
  put(MLX_METALLIB, METALLIB);
  put('native/build/Release/teacache_mlx.node', elfHeader(0x3e));
  put('native/build/Release/libmlx.so', elfHeader(0x3e));
  put('native/build/Release/CMakeFiles/junk.o', 'x');
  for (const name of ['model.json', 'vocab.json', 'transformer.safetensors', 'text_encoder.safetensors', 'MODEL_CARD.md']) put(`models/builtin/${name}`, name);
  put('models/builtin/training-log.txt', 'x');
  // Stand-in for Electron's Linux runtime: electron-builder copies it and renames the executable.
  put('stand-in-electron/electron', '#!/bin/sh\n');
  chmodSync(join(project, 'stand-in-electron/electron'), 0o755);

  const { build, Platform, Arch } = await import('electron-builder');
  await build({
    projectDir: project,
    targets: Platform.LINUX.createTarget('dir', Arch.x64),
    config: { electronDist: 'stand-in-electron', electronVersion: ELECTRON_VERSION, directories: { output: 'release' } },
    publish: 'never',
  });
  resources = join(project, 'release', 'linux-unpacked', 'resources');
  archived = new Set(asar.listPackage(join(resources, 'app.asar'), { isPack: false }).map((p) => p.replace(/^[/\\]/, '')));
}, 120_000);

afterAll(() => rmSync(project, { recursive: true, force: true }));

describe('the packaged app (electron-builder --linux dir)', () => {
  it('archives the bundle and the MLX bindings, and nothing else', () => {
    const files = [...archived].filter((p) => /\.[a-z]+$/.test(p.split('/').pop()!)).sort();
    expect(files).toEqual(
      [
        'dist/main/engine-worker.js',
        'dist/main/index.js',
        'dist/preload/preload.cjs',
        'dist/renderer/assets/index-abc.js',
        'dist/renderer/index.html',
        'native/build/Release/libmlx.so',
        'native/build/Release/teacache_mlx.node',
        'node_modules/@frost-beta/mlx/build/Release/mlx.metallib',
        'node_modules/@frost-beta/mlx/build/Release/mlx.node',
        'node_modules/@frost-beta/mlx/dist/stream.js',
        'node_modules/@frost-beta/mlx/lib/index.js',
        'node_modules/@frost-beta/mlx/package.json',
        'package.json',
      ].sort(),
    );
  });

  it('puts every native file in app.asar.unpacked, mlx.metallib beside mlx.node', () => {
    expect(filesUnder(join(resources, 'app.asar.unpacked'))).toEqual([
      'native/build/Release/libmlx.so',
      'native/build/Release/teacache_mlx.node',
      'node_modules/@frost-beta/mlx/build/Release/mlx.metallib',
      'node_modules/@frost-beta/mlx/build/Release/mlx.node',
    ]);
  });

  it('ships the default model beside the archive, in <resources>/models/builtin', () => {
    expect(filesUnder(join(resources, 'models'))).toEqual(
      ['builtin/MODEL_CARD.md', 'builtin/model.json', 'builtin/text_encoder.safetensors', 'builtin/transformer.safetensors', 'builtin/vocab.json'],
    );
  });

  it('names the bundled main process as the entry in the packaged package.json', () => {
    const pkg = JSON.parse(asar.extractFile(join(resources, 'app.asar'), 'package.json').toString('utf8')) as { main?: string; type?: string };
    expect(pkg.main).toBe('dist/main/index.js');
    expect(pkg.type).toBe('module');
  });
});
