// A backend that cannot load must say what fixes it, and the backend choice
// (native, npm, auto) must pick what was asked or say why it could not.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { missingOps } from '../../../../main/engine/mlx/backend.ts';
import {
  BackendLoadError,
  compileUnavailableReason,
  shareBlasThreadsAmongLanes,
  backendPreferenceFromEnv,
  DEFAULT_LANES,
  requestedLanes,
  singleLaneEnv,
  describeBackend,
  explainLoadFailure,
  loadBackend,
  loadNativeBackend,
  loadNpmBackend,
  parseBackendPreference,
} from '../../../../main/engine/mlx/load-backend.ts';
import { DEFAULT_ADDON_PATH, nativeStatus } from '../../../../main/engine/mlx/native-addon.ts';

describe('explainLoadFailure', () => {
  it('names the Debian packages for missing LAPACK/BLAS', () => {
    const error = explainLoadFailure(new Error('liblapack.so.3: cannot open shared object file: No such file or directory'));
    expect(error.message).toMatch(/apt-get install libopenblas0/);
    expect(error.message).toMatch(/liblapack\.so\.3/);
  });

  it('tells how to install the package when it is absent', () => {
    expect(explainLoadFailure(new Error("Cannot find module '@frost-beta/mlx'")).message).toMatch(/npm ci/);
  });
});

describe('loadNpmBackend', () => {
  it('loads @frost-beta/mlx with every op the engine needs', () => {
    const { mx, info } = loadNpmBackend();
    expect(missingOps(mx)).toEqual([]);
    expect(info).toMatchObject({ name: 'npm', package: '@frost-beta/mlx', version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
  });

  it('lists the ops a candidate lacks', () => {
    expect(missingOps({ add: () => 0, fast: {} })).toContain('fast.rmsNorm');
    expect(missingOps({ add: () => 0 })).not.toContain('add');
  });
});

describe('choosing a backend', () => {
  const nowhere = (): NodeJS.ProcessEnv => ({ TEACACHE_NATIVE_ADDON: join(tmpdir(), `no-such-addon-${process.pid}.node`) });

  it('parses --backend and TEACACHE_BACKEND values, rejecting others with the valid ones', () => {
    expect(parseBackendPreference('native')).toBe('native');
    expect(parseBackendPreference(' NPM ')).toBe('npm');
    expect(() => parseBackendPreference('metal')).toThrow(/--backend must be one of native, npm, auto; got "metal"/);
    expect(backendPreferenceFromEnv({})).toBe('auto');
    expect(backendPreferenceFromEnv({ TEACACHE_BACKEND: 'npm' })).toBe('npm');
    expect(() => backendPreferenceFromEnv({ TEACACHE_BACKEND: 'gpu' })).toThrow(/TEACACHE_BACKEND must be one of/);
  });

  it('gives npm when asked, whatever is built', () => {
    expect(loadBackend('npm', nowhere()).info.name).toBe('npm');
  });

  it('takes npm under auto when the addon is not built, with nothing to report (the usual case is no fault)', () => {
    const { info } = loadBackend('auto', nowhere());
    expect(info.name).toBe('npm');
    expect(info.fallbackReason).toBeUndefined();
    expect(describeBackend(info)).not.toMatch(/native/);
  });

  it('refuses native when the addon is not built, with the command that builds it', () => {
    expect(() => loadNativeBackend(nowhere())).toThrow(BackendLoadError);
    expect(() => loadBackend('native', nowhere())).toThrow(/native backend not built[\s\S]*npm run build:native/);
  });

  it('reports an addon file that does not load instead of crashing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bad-addon-'));
    const file = join(dir, 'teacache_mlx.node');
    writeFileSync(file, 'not a shared library');
    try {
      const status = nativeStatus({ TEACACHE_NATIVE_ADDON: file });
      expect(status.available).toBe(false);
      expect(status.available ? '' : status.reason).toMatch(/^native backend failed to load: /);
      expect(loadBackend('auto', { TEACACHE_NATIVE_ADDON: file }).info.fallbackReason).toMatch(/failed to load/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names where npm run build:native puts the addon, from the sources and from a CLI bundle in dist/ alike', async () => {
    const root = fileURLToPath(new URL('../../../../', import.meta.url));
    const expected = join(root, 'native', 'build', 'Release', 'teacache_mlx.node');
    expect(DEFAULT_ADDON_PATH).toBe(expected);
    mkdirSync(join(root, 'dist'), { recursive: true });
    const outDir = mkdtempSync(join(root, 'dist', 'addon-path-'));
    try {
      const entry = join(outDir, 'entry.mjs');
      const source = `import { DEFAULT_ADDON_PATH } from ${JSON.stringify(join(root, 'main', 'engine', 'mlx', 'native-addon.ts'))}; console.log(DEFAULT_ADDON_PATH);`;
      await build({ stdin: { contents: source, resolveDir: root, loader: 'ts' }, bundle: true, platform: 'node', format: 'esm', outfile: entry, logLevel: 'silent' });
      const run = spawnSync(process.execPath, [entry], { encoding: 'utf8' });
      expect(run.stdout.trim()).toBe(expected);
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  });

  it('picks the built addon under auto', () => {
    const status = nativeStatus({});
    const { info } = loadBackend('auto', {});
    expect(info.name).toBe(status.available ? 'native' : 'npm');
    if (status.available) expect(info).toMatchObject({ package: expect.stringContaining('native'), mlxVersion: status.addon.version });
  });
});

describe('describeBackend', () => {
  it('names the backend, the MLX release, the device and why native was not used', () => {
    expect(describeBackend({ name: 'native', package: 'teacache-mlx (native/)', version: '0.32.2', device: 'gpu', mlxVersion: '0.32.2' })).toBe(
      'native addon (MLX 0.32.2) on the gpu',
    );
    expect(
      describeBackend({ name: 'npm', package: '@frost-beta/mlx', version: '0.0.7', device: 'cpu', fallbackReason: 'native backend failed to load: bad ELF\n  - Rebuild it' }),
    ).toBe('@frost-beta/mlx 0.0.7 on the cpu (the native addon is built but was not used: native backend failed to load: bad ELF)');
    expect(describeBackend({ name: 'npm', package: '@frost-beta/mlx', version: '0.0.7', device: 'cpu', lanes: 2 })).toBe('@frost-beta/mlx 0.0.7 on the cpu (2 CPU lanes)');
  });
});

describe('compileUnavailableReason', () => {
  it('keeps CPU compile off unless TEACACHE_COMPILE=1 asks for it, since it is slower there and costs a g++ run', () => {
    expect(compileUnavailableReason('cpu', { PATH: process.env.PATH })).toMatch(/CPU compile is slower.*TEACACHE_COMPILE=1/);
    expect(compileUnavailableReason('cpu', { PATH: process.env.PATH, TEACACHE_COMPILE: '1' })).toBeUndefined();
  });

  it('refuses CPU compile without g++ on PATH even when asked, since MLX would abort the process', () => {
    expect(compileUnavailableReason('cpu', { PATH: '/nonexistent', TEACACHE_COMPILE: '1' })).toMatch(/g\+\+, which is not on PATH/);
  });

  it('allows Metal compile without a system compiler, and honours TEACACHE_COMPILE=0', () => {
    expect(compileUnavailableReason('gpu', { PATH: '/nonexistent' })).toBeUndefined();
    expect(compileUnavailableReason('gpu', { TEACACHE_COMPILE: '0' })).toBe('TEACACHE_COMPILE=0');
  });

  it('hides compile from the engine where it is not used', () => {
    const { mx } = loadBackend('npm', { PATH: process.env.PATH });
    expect(mx.compile).toBeUndefined();
    expect(typeof mx.add).toBe('function');
    expect(loadBackend('npm', { PATH: process.env.PATH, TEACACHE_COMPILE: '1' }).mx.compile).toBeTypeOf('function');
  });
});

describe('requestedLanes', () => {
  const cores = availableParallelism();
  it('takes DEFAULT_LANES where TEACACHE_LANES is unset, the count asked for otherwise, never more than the cores', () => {
    expect(requestedLanes({})).toBe(Math.min(DEFAULT_LANES, cores));
    expect(requestedLanes({ TEACACHE_LANES: '' })).toBe(Math.min(DEFAULT_LANES, cores));
    expect(requestedLanes({ TEACACHE_LANES: '1' })).toBe(1);
    expect(requestedLanes({ TEACACHE_LANES: String(cores + 5) })).toBe(cores);
    expect(requestedLanes({ TEACACHE_LANES: 'two' })).toBe(1);
  });

  it('turns lanes off for an engine that shares its process, whatever the user asked', () => {
    expect(requestedLanes(singleLaneEnv({ TEACACHE_LANES: '2', PATH: '/bin' }))).toBe(1);
    expect(singleLaneEnv({ PATH: '/bin' }).PATH).toBe('/bin');
  });
});

describe('shareBlasThreadsAmongLanes', () => {
  it("splits the cores between the lanes for BLAS, leaving a count the user set alone", () => {
    const twoCores: NodeJS.ProcessEnv = { TEACACHE_LANES: '2' };
    shareBlasThreadsAmongLanes(twoCores, 2);
    expect(twoCores.OPENBLAS_NUM_THREADS).toBe('1');
    const sixteenCores: NodeJS.ProcessEnv = { TEACACHE_LANES: '2' };
    shareBlasThreadsAmongLanes(sixteenCores, 16);
    expect(sixteenCores.OPENBLAS_NUM_THREADS).toBe('8');
    const withoutLanes: NodeJS.ProcessEnv = { TEACACHE_LANES: '1' };
    shareBlasThreadsAmongLanes(withoutLanes, 16);
    expect(withoutLanes.OPENBLAS_NUM_THREADS).toBeUndefined();
    const chosen: NodeJS.ProcessEnv = { TEACACHE_LANES: '2', OPENBLAS_NUM_THREADS: '2' };
    shareBlasThreadsAmongLanes(chosen, 2);
    expect(chosen.OPENBLAS_NUM_THREADS).toBe('2');
  });
});
