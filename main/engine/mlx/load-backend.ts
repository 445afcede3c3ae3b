// The one loader for MLX backends. Runs in the engine (worker thread or CLI);
// no Electron imports. Failing to load gives an error that says how to fix it.

import { createRequire } from 'node:module';
import { missingOps, type LoadedBackend, type MxBackend } from './backend.ts';

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
        ? `On macOS the Metal build of MLX is fetched by ${NPM_PACKAGE}'s install script: run npm rebuild ${NPM_PACKAGE} with network access.`
        : `Reinstall the package with npm ci; its Linux x64 build ships inside the package.`,
    );
  }
  if (fixes.length === 0) {
    fixes.push(`Reinstall dependencies with npm ci, then report this message if it persists.`);
  }
  return new BackendLoadError(`Could not load MLX (${NPM_PACKAGE}): ${detail}`, fixes, { cause: error });
}

let cached: LoadedBackend | undefined;

/** Loads @frost-beta/mlx's core once per thread. */
export function loadNpmBackend(): LoadedBackend {
  if (cached) return cached;
  let core: MxBackend & { metal: { isAvailable(): boolean } };
  try {
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
  const mx: MxBackend = core;
  const version = (require(`${NPM_PACKAGE}/package.json`) as { version: string }).version;
  cached = {
    mx,
    info: { name: 'npm', package: NPM_PACKAGE, version, device: core.metal.isAvailable() ? 'gpu' : 'cpu' },
  };
  return cached;
}
