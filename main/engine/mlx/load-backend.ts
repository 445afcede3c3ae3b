// The one loader for MLX backends (the npm package and our native/ addon).
// Runs in the engine (worker thread or CLI); no Electron imports. Failing to
// load gives an error that says how to fix it.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { delimiter, join } from 'node:path';
import { missingOps, type BackendInfo, type LoadedBackend, type MxBackend, type MxLanes } from './backend.ts';
import { nativeStatus } from './native-addon.ts';

const require = createRequire(import.meta.url);

const NPM_PACKAGE = '@frost-beta/mlx';

export class BackendLoadError extends Error {
  override readonly name = 'BackendLoadError';
  constructor(
    message: string,
    readonly fixes: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(`${message}\n${fixes.map((fix) => `  - ${fix}`).join('\n')}`, options);
  }
}

/** Which missing shared library maps to which system package to install. */
const SHARED_LIBRARY_FIXES: ReadonlyArray<{ pattern: RegExp; fix: string }> = [
  {
    pattern: /lib(lapack|blas|openblas)[\w.]*\.so/,
    fix: 'MLX needs BLAS and LAPACK. On Debian/Ubuntu run: sudo apt-get install libopenblas0 (or: sudo apt-get install libblas3 liblapack3)',
  },
  {
    pattern: /libgfortran[\w.]*\.so/,
    fix: 'MLX needs the Fortran runtime that LAPACK links. On Debian/Ubuntu run: sudo apt-get install libgfortran5',
  },
];

export function explainLoadFailure(error: unknown): BackendLoadError {
  const detail = error instanceof Error ? error.message : String(error);
  const fixes = SHARED_LIBRARY_FIXES.filter(({ pattern }) => pattern.test(detail)).map(({ fix }) => fix);
  if (/Cannot find module/.test(detail)) {
    fixes.push(`The ${NPM_PACKAGE} package is not installed: run npm ci in the project folder.`);
  }
  if (/mlx\.node/.test(detail) && fixes.length === 0) {
    fixes.push(
      process.platform === 'darwin'
        ? `On macOS the Metal build of MLX is fetched by ${NPM_PACKAGE}'s install script: run npm run fetch:binaries with network access (installs never download binaries by themselves).`
        : `Reinstall the package with npm ci; its Linux x64 build ships inside the package.`,
    );
  }
  if (fixes.length === 0) {
    fixes.push(`Reinstall dependencies with npm ci, then report this message if it persists.`);
  }
  return new BackendLoadError(`Could not load MLX (${NPM_PACKAGE}): ${detail}`, fixes, { cause: error });
}

let cached: LoadedBackend | undefined;

/** The variable OpenBLAS (MLX's BLAS on Linux) reads its thread count from, once, as it loads. */
export const BLAS_THREADS_VARIABLE = 'OPENBLAS_NUM_THREADS';

/** The variable that sets how many CPU lanes (at most the cores); 1 turns them off. Unset: DEFAULT_LANES. */
export const LANES_VARIABLE = 'TEACACHE_LANES';

/**
 * Lanes where TEACACHE_LANES is unset: two, the halves of a CFG batch on two cores (fewer where the machine has
 * fewer). `npm run bench:engine` on the 2-core test machine, alternated runs with and without: 128 px 464–474 ms
 * against 793–884 (×2.0–2.7 PyTorch against ×3.9–4.4), 64 px 101–111 against 127–128, 32 px 34–37 against 33–36.
 * With the machine loaded by other work they lose (the second core is not free), and a batch of one (no CFG)
 * gains nothing while BLAS gets only its lane's share of the cores (one thread on two cores); TEACACHE_LANES=1 turns them off.
 */
export const DEFAULT_LANES = 2;

/**
 * How many CPU lanes to use: TEACACHE_LANES, else DEFAULT_LANES, never more than the cores. An engine that
 * shares its process with another must run with one (see singleLaneEnv).
 */
export function requestedLanes(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[LANES_VARIABLE];
  const count = raw === undefined || raw.trim() === '' ? DEFAULT_LANES : Number(raw);
  return Number.isInteger(count) && count > 1 ? Math.min(count, availableParallelism()) : 1;
}

/**
 * `env` for an engine that starts while another engine of this process may be running: lanes off. This MLX's
 * default stream is process-wide, and lanes work by switching it, so two engines that both switch restore each
 * other's streams and stall (a two-engine calibration ran past 60 s with lanes in both, 25 s without). One
 * engine switching while the others never do is safe: their ops at worst run on its lane's thread.
 */
export function singleLaneEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...env, [LANES_VARIABLE]: '1' };
}

/**
 * With lanes on, gives each lane an equal share of the cores for BLAS unless the user chose a count: a
 * multi-threaded OpenBLAS under two lanes on two cores spins its idle threads in sched_yield against the
 * other lane (measured: a 64 px forward 92 ms with one BLAS thread, 289 ms with two), while one thread on a
 * machine with many more cores would leave most of them idle. Must run on the main thread before MLX loads:
 * a worker's process.env is a copy that never reaches the C library.
 */
export function shareBlasThreadsAmongLanes(env: NodeJS.ProcessEnv = process.env, cores = availableParallelism()): void {
  const lanes = requestedLanes(env);
  if (lanes > 1) env[BLAS_THREADS_VARIABLE] ??= String(Math.max(1, Math.floor(cores / lanes)));
}

interface NpmCore {
  metal: { isAvailable(): boolean };
  cpu: unknown;
  newStream(device: unknown): unknown;
  stream(stream: unknown): Disposable;
}

/** `mx` with `count` CPU lanes: one MLX stream each, evaluated on its own scheduler thread. */
export function withCpuLanes(mx: MxBackend, count: number): MxBackend {
  return Object.create(mx, { lanes: { value: cpuLanes(mx as MxBackend & NpmCore, count) } }) as MxBackend;
}

function cpuLanes(core: NpmCore, count: number): MxLanes {
  const streams = Array.from({ length: count }, () => core.newStream(core.cpu));
  return {
    count,
    run(lane, fn) {
      const scope = core.stream(streams[lane % count]);
      try {
        return fn();
      } finally {
        scope[Symbol.dispose]();
      }
    },
  };
}

/** Loads @frost-beta/mlx's core once per thread. */
export function loadNpmBackend(): LoadedBackend {
  if (cached) return cached;
  let core: MxBackend & NpmCore;
  try {
    shareBlasThreadsAmongLanes();
    core = (require(NPM_PACKAGE) as { core: typeof core }).core;
  } catch (error) {
    throw explainLoadFailure(error);
  }
  // The package's own typings cannot be type-checked under strict settings, so
  // conformance is checked where it matters: at load time, op by op.
  const missing = missingOps(core);
  if (missing.length > 0) {
    throw new BackendLoadError(`${NPM_PACKAGE} lacks ops the engine needs: ${missing.join(', ')}`, [
      `Install the version in package-lock.json with npm ci.`,
    ]);
  }
  const device = core.metal.isAvailable() ? 'gpu' : 'cpu';
  const lanes = requestedLanes();
  // The package has no device property of its own; the engine's MxBackend does.
  const onDevice = Object.create(core, { device: { value: device } }) as MxBackend;
  const mx = device === 'cpu' && lanes > 1 ? withCpuLanes(onDevice, lanes) : onDevice;
  const version = (require(`${NPM_PACKAGE}/package.json`) as { version: string }).version;
  cached = {
    mx,
    info: { name: 'npm', package: NPM_PACKAGE, version, device, ...(mx.lanes ? { lanes: mx.lanes.count } : {}) },
  };
  return cached;
}

/** Which backend to run on: our addon, the npm package, or the addon when it is built. */
export type BackendPreference = 'native' | 'npm' | 'auto';

export const BACKEND_PREFERENCES: readonly BackendPreference[] = ['native', 'npm', 'auto'];

/** The environment variable that picks a backend when no caller does. */
export const BACKEND_VARIABLE = 'TEACACHE_BACKEND';

/** Reads a preference from the CLI or the environment; unknown values get an error listing the valid ones. */
export function parseBackendPreference(value: string, source = '--backend'): BackendPreference {
  const normalized = value.trim().toLowerCase();
  if ((BACKEND_PREFERENCES as readonly string[]).includes(normalized)) return normalized as BackendPreference;
  throw new BackendLoadError(`${source} must be one of ${BACKEND_PREFERENCES.join(', ')}; got "${value}".`, [
    `native: our MLX addon (npm run build:native); npm: ${NPM_PACKAGE}; auto: native when built, else npm.`,
  ]);
}

/** TEACACHE_BACKEND's choice, or auto when it is unset or empty. */
export function backendPreferenceFromEnv(env: NodeJS.ProcessEnv = process.env): BackendPreference {
  const value = env[BACKEND_VARIABLE];
  return value ? parseBackendPreference(value, BACKEND_VARIABLE) : 'auto';
}

let cachedNative: LoadedBackend | undefined;

/** Loads our addon (native/) once per thread, or throws saying why it is unavailable and how to fix it. */
export function loadNativeBackend(env: NodeJS.ProcessEnv = process.env): LoadedBackend {
  const status = nativeStatus(env);
  if (!status.available) {
    throw new BackendLoadError(status.reason, status.fixes, { cause: status.cause });
  }
  if (cachedNative && cachedNative.mx === status.addon) return cachedNative;
  const missing = missingOps(status.addon);
  if (missing.length > 0) {
    throw new BackendLoadError(`${status.path} lacks ops the engine needs: ${missing.join(', ')}`, [
      'The addon is older than the engine. Rebuild it: npm run build:native',
    ]);
  }
  const { addon } = status;
  cachedNative = {
    mx: addon,
    info: { name: 'native', package: 'teacache-mlx (native/)', version: addon.version, device: addon.device, mlxVersion: addon.version },
  };
  return cachedNative;
}

/**
 * The one entry point for picking a backend. `auto` takes the native addon
 * when it is built and loads, else the npm package, noting why in
 * `info.fallbackReason`. Without an argument, TEACACHE_BACKEND decides.
 */
export function loadBackend(preference: BackendPreference = backendPreferenceFromEnv(), env: NodeJS.ProcessEnv = process.env): LoadedBackend {
  return withUsableCompile(pickBackend(preference, env), env);
}

function pickBackend(preference: BackendPreference, env: NodeJS.ProcessEnv): LoadedBackend {
  if (preference === 'native') return loadNativeBackend(env);
  if (preference === 'npm') return loadNpmBackend();
  // An addon that was never built is the usual case, not news: auto then means npm, quietly.
  // One that was built and does not load is worth a line.
  const status = nativeStatus(env);
  if (!status.available && !status.built) return loadNpmBackend();
  let reason: string;
  try {
    return loadNativeBackend(env);
  } catch (error) {
    if (!(error instanceof BackendLoadError)) throw error;
    reason = error.message;
  }
  const npm = loadNpmBackend();
  return { mx: npm.mx, info: { ...npm.info, fallbackReason: reason } };
}

/** Set to 0 to run every graph uncompiled, whatever the backend can do; 1 to compile on the CPU too. */
export const COMPILE_VARIABLE = 'TEACACHE_COMPILE';

function onPath(command: string, env: NodeJS.ProcessEnv): boolean {
  return (env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && existsSync(join(dir, command)));
}

/**
 * Why `compile` is not used on this machine, or undefined when it is. On
 * Metal it fuses kernels and needs no system compiler. On the CPU it is off
 * unless TEACACHE_COMPILE=1: MLX's fused CPU kernels are strided loops slower
 * than the plain ops (measured ×1.25 on the built-in model), and building them
 * runs g++ for 2.4–4 s on a first run; without g++ the process aborts (an
 * uncatchable C++ exception, seen here).
 */
export function compileUnavailableReason(device: BackendInfo['device'], env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env[COMPILE_VARIABLE] === '0') return `${COMPILE_VARIABLE}=0`;
  if (device === 'gpu') return undefined;
  if (env[COMPILE_VARIABLE] !== '1') return `MLX's CPU compile is slower than plain ops and costs seconds of g++ at first use (${COMPILE_VARIABLE}=1 turns it on)`;
  if (!onPath('g++', env)) return 'MLX compiles CPU kernels with g++, which is not on PATH';
  return undefined;
}

/** The backend as the engine should see it: without `compile` where using it would crash. */
function withUsableCompile(loaded: LoadedBackend, env: NodeJS.ProcessEnv): LoadedBackend {
  const reason = compileUnavailableReason(loaded.info.device, env);
  if (reason === undefined || !loaded.mx.compile) return loaded;
  const mx = Object.create(loaded.mx, { compile: { value: undefined } }) as MxBackend;
  return { mx, info: loaded.info };
}

/** One line for logs, the CLI and the UI: which backend, which MLX, which device, and any fallback. */
export function describeBackend(info: BackendInfo): string {
  const what = info.name === 'native' ? `native addon (MLX ${info.mlxVersion ?? info.version})` : `${info.package} ${info.version}`;
  return `${what} on the ${info.device}${info.lanes ? ` (${info.lanes} CPU lanes)` : ''}${info.fallbackReason ? ` (the native addon is built but was not used: ${info.fallbackReason.split('\n')[0]})` : ''}`;
}
