// electron-builder.yml: valid against electron-builder's own schema, and every file the packaged app needs at run
// time lands where it is loaded from, judged by electron-builder's own file matchers. Reads only.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_ENTRIES, RENDERER_OUT } from '../scripts/build-app.ts';
import { MLX_BINDING, MLX_METALLIB } from '../scripts/binaries.ts';
import { builderSchemaPath, loadBuilderConfig, PackagePlan, validateBuilderConfig, type BuilderConfig, type PackTarget } from '../scripts/package-plan.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

let config: BuilderConfig;
const plans = {} as Record<PackTarget, PackagePlan>;
beforeAll(async () => {
  config = await loadBuilderConfig(ROOT);
  plans.mac = new PackagePlan(config, ROOT, 'mac');
  plans.linux = new PackagePlan(config, ROOT, 'linux');
});

/** A plan for a variant of the configuration, to show the checks notice when a rule is lost. */
const variant = (change: Partial<BuilderConfig>, target: PackTarget = 'mac'): PackagePlan => new PackagePlan({ ...config, ...change }, ROOT, target);

describe('electron-builder.yml against electron-builder 26', () => {
  it("passes electron-builder's own validation", async () => {
    await expect(validateBuilderConfig(config)).resolves.toBeUndefined();
  });

  it('matches scheme.json exactly, without the type coercion electron-builder applies', () => {
    const schema = JSON.parse(readFileSync(builderSchemaPath(), 'utf8')) as object;
    // The same Ajv electron-builder validates with, resolved from its package.
    type Validator = ((data: unknown) => boolean) & { errors?: unknown[] | null };
    const { Ajv } = createRequire(builderSchemaPath())('ajv') as { Ajv: new (options: object) => { compile(schema: object): Validator } };
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    const ok = validate(structuredClone(config));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('is checked for real: a misspelt option fails validation', async () => {
    await expect(validateBuilderConfig({ ...config, mac: { ...config.mac, hardendRuntime: true } })).rejects.toThrow(/configuration\.mac/);
  });
});

/** Files of the Apple silicon build that never exist on this Linux machine, at the paths the app loads them from. */
const MAC_ONLY_BINARIES = [MLX_BINDING, MLX_METALLIB, 'native/build/Release/teacache_mlx.node', 'native/build/Release/libmlx.dylib', 'native/build/Release/mlx.metallib'];
const LINUX_ONLY_BINARIES = ['native/build/Release/libmlx.so', 'native/build/Release/libmlx.so.0.32.2'];

/** Every native binary present in this checkout where the app loads them from. */
function nativeFilesPresent(): string[] {
  const found: string[] = [];
  for (const dir of [dirname(MLX_BINDING), 'native/build/Release']) {
    if (!existsSync(join(ROOT, dir))) continue;
    for (const name of readdirSync(join(ROOT, dir))) if (/\.(node|dylib|so(\.\d+)*|metallib)$/.test(name)) found.push(`${dir}/${name}`);
  }
  return found;
}

describe('the app archive', () => {
  it('holds the bundled main, worker, preload and renderer at the paths the code and package.json name', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { main?: string };
    const main = BUNDLE_ENTRIES.find((entry) => entry.role === 'Electron main process');
    expect(pkg.main).toBe(main?.outfile);
    for (const target of ['mac', 'linux'] as const) {
      for (const file of [...BUNDLE_ENTRIES.map((e) => e.outfile), `${RENDERER_OUT}/index.html`, `${RENDERER_OUT}/assets/index-abc123.js`, `${RENDERER_OUT}/assets/index-abc123.css`, 'package.json']) {
        expect(plans[target].place(file), `${target}: ${file}`).toEqual({ source: file, where: 'app', destination: file, unpacked: false });
      }
    }
  });

  it('keeps source maps, sources, tests, build resources and electron-builder output out', () => {
    for (const file of [
      'dist/main/index.js.map',
      'dist/main/engine-worker.js.map',
      'dist/preload/preload.cjs.map',
      `${RENDERER_OUT}/assets/index-abc123.js.map`,
      'main/transport/electron-main/index.ts',
      'main/engine/engine.ts',
      'renderer/api.ts',
      'native/src/ops.cc',
      'native/CMakeLists.txt',
      'test/electron-builder.test.ts',
      'build/icon.png',
      'electron-builder.yml',
      'release/teacache-studio-0.1.0-arm64.dmg',
      'training/README.md',
      'tmp/anything.png',
    ]) {
      expect(plans.mac.place(file).where, file).toBeNull();
    }
  });

  it('leaves out node_modules except the MLX bindings, which load from the archive at run time', () => {
    for (const file of ['node_modules/react/index.js', 'node_modules/recharts/lib/index.js', 'node_modules/zod/index.js', 'node_modules/electron/index.js', 'node_modules/@frost-beta/mlx/lib/index.d.ts']) {
      expect(plans.mac.place(file).where, file).toBeNull();
    }
    for (const file of ['node_modules/@frost-beta/mlx/package.json', 'node_modules/@frost-beta/mlx/lib/index.js', 'node_modules/@frost-beta/mlx/dist/stream.js', 'node_modules/@frost-beta/mlx/dist/utils.js']) {
      expect(plans.mac.place(file), file).toMatchObject({ where: 'app', destination: file, unpacked: false });
    }
  });

  it('every file @frost-beta/mlx requires at load time is packaged', () => {
    const index = readFileSync(join(ROOT, 'node_modules/@frost-beta/mlx/lib/index.js'), 'utf8');
    const required = [...index.matchAll(/require\((?:__dirname \+ )?'([^']+)'\)/g)].map((m) => m[1]!);
    expect(required.length).toBeGreaterThan(2);
    for (const spec of required) {
      const rel = join('node_modules/@frost-beta/mlx/lib', spec.replace(/^\//, ''));
      const file = rel.endsWith('.node') ? rel : `${rel}.js`;
      expect(plans.mac.place(file).where, file).toBe('app');
    }
  });
});

describe('native code outside the archive', () => {
  it('unpacks every .node, .dylib, .so and .metallib the app loads, on both platforms', () => {
    for (const [target, files] of [
      ['mac', [...MAC_ONLY_BINARIES, ...nativeFilesPresent()]],
      ['linux', [MLX_BINDING, 'native/build/Release/teacache_mlx.node', ...LINUX_ONLY_BINARIES, ...nativeFilesPresent()]],
    ] as const) {
      for (const file of files) {
        expect(plans[target].place(file), `${target}: ${file}`).toEqual({ source: file, where: 'app', destination: file, unpacked: true });
      }
    }
  });

  it("puts mlx.metallib in the same folder as the mlx.node that loads MLX, and the native addon's beside it", () => {
    const binding = plans.mac.place(MLX_BINDING);
    const metallib = plans.mac.place(MLX_METALLIB);
    expect(metallib.unpacked && binding.unpacked).toBe(true);
    expect(dirname(metallib.destination!)).toBe(dirname(binding.destination!));
    const addon = plans.mac.place('native/build/Release/teacache_mlx.node');
    const addonMetallib = plans.mac.place('native/build/Release/mlx.metallib');
    expect(dirname(addonMetallib.destination!)).toBe(dirname(addon.destination!));
  });

  it('would notice a lost rule: without asarUnpack the binaries stay packed', () => {
    const plan = variant({ asarUnpack: undefined });
    expect(plan.place(MLX_BINDING)).toMatchObject({ where: 'app', unpacked: false });
    expect(plan.place(MLX_METALLIB)).toMatchObject({ where: 'app', unpacked: false });
  });

  it('would notice a lost rule: with default `files` the whole of node_modules and the sources ship', () => {
    const plan = variant({ files: undefined });
    expect(plan.place('node_modules/react/index.js').where).toBe('app');
    expect(plan.place('main/engine/engine.ts').where).toBe('app');
  });
});

describe('the default model as an extra resource', () => {
  const MODEL_FILES = ['model.json', 'vocab.json', 'calibration.json', 'transformer.safetensors', 'text_encoder.safetensors', 'MODEL_CARD.md'];

  it('ships every model file to <Resources>/models/builtin, outside the archive', () => {
    const present = readdirSync(join(ROOT, 'models/builtin'));
    for (const target of ['mac', 'linux'] as const) {
      for (const name of new Set([...MODEL_FILES, ...present.filter((n) => /\.(json|safetensors|md)$/.test(n))])) {
        const file = `models/builtin/${name}`;
        expect(plans[target].place(file), `${target}: ${file}`).toEqual({ source: file, where: 'resources', destination: file, unpacked: false });
      }
    }
  });

  it('ships nothing else from the model folder (training leftovers stay behind)', () => {
    for (const file of ['models/builtin/checkpoint-step-1000.pt', 'models/builtin/notes.txt', 'models/README.md']) {
      expect(plans.mac.place(file).where, file).toBeNull();
    }
  });
});

describe('platform settings', () => {
  const targets = (list: PlatformTargets): string[] => (list ?? []).map((t) => (typeof t === 'string' ? t : `${t.target}:${[t.arch ?? ''].flat().join(',')}`));
  type PlatformTargets = NonNullable<BuilderConfig['mac']>['target'];

  it('mac: a dmg for arm64 with the hardened runtime and entitlements; notarization left to the environment', () => {
    const mac = config.mac!;
    expect(targets(mac.target)).toEqual(['dmg:arm64']);
    expect(mac.hardenedRuntime).toBe(true);
    expect(mac.notarize).not.toBe(false);
    for (const file of [mac.entitlements!, mac.entitlementsInherit!]) {
      const plist = readFileSync(join(ROOT, file), 'utf8');
      for (const key of ['allow-jit', 'allow-unsigned-executable-memory', 'disable-library-validation']) {
        expect(plist, `${file}: ${key}`).toMatch(new RegExp(`<key>com\\.apple\\.security\\.cs\\.${key}</key>\\s*<true/>`));
      }
      expect(plist).not.toMatch(/com\.apple\.security\.app-sandbox/);
    }
  });

  it('linux: AppImage and deb for x64; the deb pulls in the BLAS and LAPACK MLX loads', () => {
    expect(targets(config.linux!.target)).toEqual(['AppImage:x64', 'deb:x64']);
    const depends = config.deb!.depends!;
    expect(depends.some((d) => /liblapack\.so\.3/.test(d))).toBe(true);
    expect(depends.some((d) => /libblas\.so\.3/.test(d))).toBe(true);
    // Setting depends replaces electron-builder's defaults, so Electron's own needs must be listed too.
    for (const lib of ['libgtk-3-0', 'libnss3', 'libnotify4', 'libxss1', 'libxtst6']) expect(depends).toContain(lib);
  });

  it('uses the rendered 1024×1024 icon, and packages without rebuilding native modules', () => {
    for (const target of ['mac', 'linux'] as const) expect(config[target]!.icon).toBe('build/icon.png');
    const png = readFileSync(join(ROOT, 'build/icon.png'));
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([1024, 1024]);
    expect(config.npmRebuild).toBe(false);
    expect(config.asar).toBe(true);
  });
});
