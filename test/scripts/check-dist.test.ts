// The dist gate on fixture projects: ready for each platform, and the precise complaint for each missing or wrong
// binary. Copies electron-builder.yml and package.json into temporary folders; never packages anything.

import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { LINUX_X64, MAC_ARM64, MLX_BINDING, MLX_METALLIB } from '../../scripts/binaries.ts';
import { checkDist, MODEL_DIR, MODEL_FILES, platformFromArgs } from '../../scripts/check-dist.ts';
import { elfHeader, MACH_ARM64, MACH_X64, machOHeader, machOLinking, METALLIB } from '../support/fake-binaries.ts';

/** How `npm run build:native` links the addon against Homebrew's MLX (native/CMakeLists.txt): build folder first, then its own. */
const ADDON_MLX = '@rpath/libmlx.dylib';
const ADDON_RPATHS = ['/opt/homebrew/lib', '@loader_path'];

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

function put(root: string, file: string, bytes: Buffer | string): void {
  mkdirSync(dirname(join(root, file)), { recursive: true });
  writeFileSync(join(root, file), bytes);
}

/** A project that is ready to package for `platform`: built bundle, the platform's MLX, a trained model. */
function readyProject(platform: 'mac' | 'linux'): string {
  const root = mkdtempSync(join(tmpdir(), 'check-dist-'));
  roots.push(root);
  for (const file of ['electron-builder.yml', 'package.json']) copyFileSync(join(ROOT, file), join(root, file));
  for (const file of ['dist/main/index.js', 'dist/main/engine-worker.js', 'dist/preload/preload.cjs']) put(root, file, '"use strict";\n');
  put(root, 'dist/renderer/index.html', '<!doctype html><script type="module" src="./assets/index.js"></script>');
  put(root, 'dist/renderer/assets/index.js', 'export {};\n');
  put(root, 'node_modules/@frost-beta/mlx/package.json', JSON.stringify({ name: '@frost-beta/mlx', version: '0.0.7' }));
  if (platform === 'mac') {
    put(root, MLX_BINDING, machOHeader(MACH_ARM64));
    put(root, MLX_METALLIB, METALLIB);
  } else {
    put(root, MLX_BINDING, elfHeader(0x3e));
  }
  for (const name of MODEL_FILES) put(root, `${MODEL_DIR}/${name}`, name.endsWith('.json') ? '{}' : Buffer.alloc(256, 7));
  return root;
}

describe('checkDist', () => {
  it('passes a project ready for the Mac, on a Mac', async () => {
    const report = await checkDist(readyProject('mac'), MAC_ARM64, 'darwin');
    expect(report.problems).toEqual([]);
    expect(report.notes.join('\n')).toMatch(/No native addon/);
  });

  it('passes a project ready for Linux', async () => {
    expect((await checkDist(readyProject('linux'), LINUX_X64, 'linux')).problems).toEqual([]);
  });

  it('refuses the Linux build of MLX for the Mac and says how to fetch the Metal build', async () => {
    const root = readyProject('linux');
    const { problems } = await checkDist(root, MAC_ARM64, 'darwin');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/mlx\.node is a Linux \(ELF\) x64 binary/);
    expect(problems[0]).toMatch(/npm run fetch:binaries/);
    expect(problems[0]).toMatch(/mlx-mac-arm64\.node\.gz/);
  });

  it('refuses an Intel Mach-O and a missing or corrupt mlx.metallib', async () => {
    const intel = readyProject('mac');
    put(intel, MLX_BINDING, machOHeader(MACH_X64));
    expect((await checkDist(intel, MAC_ARM64, 'darwin')).problems.join('\n')).toMatch(/Mach-O\) binary for x64/);

    const noShaders = readyProject('mac');
    rmSync(join(noShaders, MLX_METALLIB));
    const missing = (await checkDist(noShaders, MAC_ARM64, 'darwin')).problems;
    expect(missing).toHaveLength(1);
    expect(missing[0]).toMatch(/mlx\.metallib is missing.*beside mlx\.node/s);

    const corrupt = readyProject('mac');
    put(corrupt, MLX_METALLIB, Buffer.from([0x1f, 0x8b, 8, 0]));
    expect((await checkDist(corrupt, MAC_ARM64, 'darwin')).problems.join('\n')).toMatch(/not a Metal library/);
  });

  it('says a .dmg needs macOS when asked for one elsewhere', async () => {
    const { problems } = await checkDist(readyProject('mac'), MAC_ARM64, 'linux');
    expect(problems).toEqual([expect.stringMatching(/\.dmg can only be built on macOS.*dist:linux/)]);
  });

  it('refuses to ship without the trained weights, or with LFS pointers instead', async () => {
    const root = readyProject('linux');
    rmSync(join(root, MODEL_DIR, 'transformer.safetensors'));
    put(root, `${MODEL_DIR}/text_encoder.safetensors`, 'version https://git-lfs.github.com/spec/v1\noid sha256:00\nsize 1\n');
    const { problems } = await checkDist(root, LINUX_X64, 'linux');
    expect(problems).toEqual([
      expect.stringMatching(/transformer\.safetensors is missing: the packaged app would generate with random weights/),
      expect.stringMatching(/text_encoder\.safetensors is a Git LFS pointer/),
    ]);
  });

  it('wants the production bundle built first, and names what is missing', async () => {
    const root = readyProject('linux');
    rmSync(join(root, 'dist'), { recursive: true });
    const { problems } = await checkDist(root, LINUX_X64, 'linux');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/dist\/main\/index\.js \(Electron main process\) was not written/);
    expect(problems[0]).toMatch(/npm run build/);
  });

  it('checks a native addon that is present: wrong CPU is refused, the right one must be unpacked', async () => {
    const root = readyProject('mac');
    put(root, 'native/build/Release/teacache_mlx.node', elfHeader(0x3e));
    expect((await checkDist(root, MAC_ARM64, 'darwin')).problems.join('\n')).toMatch(/teacache_mlx\.node is a Linux \(ELF\) x64 binary/);
    put(root, 'native/build/Release/teacache_mlx.node', machOLinking(MACH_ARM64, [ADDON_MLX], ADDON_RPATHS));
    put(root, 'native/build/Release/libmlx.dylib', machOHeader(MACH_ARM64));
    put(root, 'native/build/Release/mlx.metallib', METALLIB);
    const report = await checkDist(root, MAC_ARM64, 'darwin');
    expect(report.problems).toEqual([]);
    const linux = readyProject('linux');
    put(linux, 'native/build/Release/teacache_mlx.node', elfHeader(0x3e));
    expect((await checkDist(linux, LINUX_X64, 'linux')).notes.join('\n')).toMatch(/links the MLX library where it was built/);
  });

  describe('on the Mac, the addon finds libmlx and mlx.metallib inside the app through its own rpaths', () => {
    const addon = 'native/build/Release/teacache_mlx.node';
    /** A Mac-ready project with the addon as `npm run build:native` links it; `beside` lists what was copied next to it. */
    function withAddon(binary: Buffer, beside: readonly ('libmlx.dylib' | 'mlx.metallib')[]): string {
      const root = readyProject('mac');
      put(root, addon, binary);
      if (beside.includes('libmlx.dylib')) put(root, 'native/build/Release/libmlx.dylib', machOHeader(MACH_ARM64));
      if (beside.includes('mlx.metallib')) put(root, 'native/build/Release/mlx.metallib', METALLIB);
      return root;
    }

    it('passes libmlx and its kernels beside the addon, noting an rpath outside the app that dyld tries first', async () => {
      for (const universal of [false, true]) {
        const root = withAddon(machOLinking(MACH_ARM64, ['/usr/lib/libc++.1.dylib', ADDON_MLX], ADDON_RPATHS, universal), ['libmlx.dylib', 'mlx.metallib']);
        const report = await checkDist(root, MAC_ARM64, 'darwin');
        expect(report.problems).toEqual([]);
        expect(report.notes.join('\n')).toMatch(/looks for libmlx at \/opt\/homebrew\/lib\/libmlx\.dylib before its own copy/);
      }
    });

    it('refuses an addon whose rpaths reach no libmlx inside the app, saying what to copy', async () => {
      const { problems } = await checkDist(withAddon(machOLinking(MACH_ARM64, [ADDON_MLX], ADDON_RPATHS), ['mlx.metallib']), MAC_ARM64, 'darwin');
      expect(problems).toEqual([
        expect.stringMatching(/teacache_mlx\.node would not find libmlx in the packaged app: it loads @rpath\/libmlx\.dylib through its rpaths \(\/opt\/homebrew\/lib, @loader_path\).*cp "\$\(brew --prefix mlx\)\/lib\/libmlx\.dylib"/),
      ]);
      const absolute = withAddon(machOLinking(MACH_ARM64, ['/opt/homebrew/lib/libmlx.dylib'], []), ['libmlx.dylib', 'mlx.metallib']);
      expect((await checkDist(absolute, MAC_ARM64, 'darwin')).problems).toEqual([
        expect.stringMatching(/loads \/opt\/homebrew\/lib\/libmlx\.dylib, a path outside the app\. Rebuild it with npm run build:native/),
      ]);
    });

    it('wants mlx.metallib beside libmlx, or beside the addon when MLX is linked into it', async () => {
      const { problems } = await checkDist(withAddon(machOLinking(MACH_ARM64, [ADDON_MLX], ADDON_RPATHS), ['libmlx.dylib']), MAC_ARM64, 'darwin');
      expect(problems).toEqual([expect.stringMatching(/native\/build\/Release\/mlx\.metallib is missing: MLX loads its GPU kernels from beside libmlx\.dylib/)]);
      const staticMlx = await checkDist(withAddon(machOLinking(MACH_ARM64, ['/usr/lib/libc++.1.dylib'], ['@loader_path']), []), MAC_ARM64, 'darwin');
      expect(staticMlx.problems).toEqual([expect.stringMatching(/mlx\.metallib is missing: MLX loads its GPU kernels from beside teacache_mlx\.node/)]);
    });
  });

  it('catches a configuration that would pack the binaries inside app.asar', async () => {
    const root = readyProject('mac');
    const yml = readFileSync(join(root, 'electron-builder.yml'), 'utf8');
    writeFileSync(join(root, 'electron-builder.yml'), yml.replace(/\nasarUnpack:\n(?: {2}- .*\n)+/, '\n'));
    const { problems } = await checkDist(root, MAC_ARM64, 'darwin');
    expect(problems).toEqual([
      expect.stringMatching(/mlx\.node would be packed inside app\.asar/),
      expect.stringMatching(/mlx\.metallib would be packed inside app\.asar/),
    ]);
  });
});

describe('platformFromArgs', () => {
  it('defaults to this machine and honours --mac / --linux', () => {
    expect(platformFromArgs({}, 'darwin')).toBe(MAC_ARM64);
    expect(platformFromArgs({}, 'linux')).toBe(LINUX_X64);
    expect(platformFromArgs({ mac: true }, 'linux')).toBe(MAC_ARM64);
    expect(() => platformFromArgs({ mac: true, linux: true })).toThrow(/not both/);
    expect(() => platformFromArgs({}, 'win32')).toThrow(/win32 is neither/);
  });
});
