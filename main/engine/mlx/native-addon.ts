// Finds and loads our own MLX addon (native/, built by `npm run build:native`)
// and says plainly why it is unavailable when it is. Runs in the engine
// (worker thread or CLI); no Electron imports. Knows nothing of the npm backend.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { electronResourcesPath, findShippedFile } from '../shipped-file.ts';
import type { MxArray, MxBackend } from './backend.ts';

const require = createRequire(import.meta.url);

/** Where `npm run build:native` (cmake-js) leaves the addon, relative to the app's root. */
const ADDON_RELATIVE_PATH = join('native', 'build', 'Release', 'teacache_mlx.node');

/**
 * The built addon, found from the sources, the bundle or a packaged app alike; where it is not built, the place
 * `npm run build:native` would put it (beside the native/ sources above this module, the same from main/ and dist/).
 */
export const DEFAULT_ADDON_PATH =
  findShippedFile(ADDON_RELATIVE_PATH, import.meta.url, electronResourcesPath()) ??
  join(dirname(dirname(findShippedFile(join('native', 'CMakeLists.txt'), import.meta.url) ?? fileURLToPath(new URL('../../../native/CMakeLists.txt', import.meta.url)))), ADDON_RELATIVE_PATH);

/** Set to load the addon from elsewhere (a packaged app, a debug build). */
export const ADDON_PATH_VARIABLE = 'TEACACHE_NATIVE_ADDON';

/**
 * The addon's exports, written by hand from native/src/ops.cc: the engine's
 * surface plus what only this backend has.
 */
export interface NativeAddon extends MxBackend {
  /** MLX's own version string, e.g. "0.32.2". */
  readonly version: string;
  /** The Node-API version the addon was built for. */
  readonly napiVersion: number;
  compile<Args extends MxArray[]>(fn: (...args: Args) => MxArray): (...args: Args) => MxArray;
  readonly metal: {
    getActiveMemory(): number;
    /** Hands MLX's cached buffers back (tests measure memory from a clean start). */
    clearCache(): void;
  };
}

export type NativeStatus =
  | { readonly available: true; readonly path: string; readonly addon: NativeAddon }
  | {
      readonly available: false;
      readonly path: string;
      /** False when there is simply no addon file: the usual case, not a fault. */
      readonly built: boolean;
      readonly reason: string;
      readonly fixes: readonly string[];
      readonly cause?: unknown;
    };

export function nativeAddonPath(env: NodeJS.ProcessEnv = process.env): string {
  return env[ADDON_PATH_VARIABLE] || DEFAULT_ADDON_PATH;
}

const BUILD_FIX = 'Build it with npm run build:native (it needs MLX\'s C++ library: see native/README.md).';

/** Why loading a built addon failed, as fixes a user can act on. */
function fixesFor(detail: string): string[] {
  if (/libmlx\.(so|dylib)|mlx\.dll/.test(detail)) {
    return [
      'The addon cannot find the MLX library it was built against (moved or uninstalled since the build).',
      'Reinstall MLX, or rebuild against the MLX you have: npm run build:native (set MLX_DIR to its share/cmake/MLX folder if it is not found).',
    ];
  }
  if (/lib(openblas|lapack|blas|gfortran)[\w.]*\.so/.test(detail)) {
    return ['MLX needs BLAS and LAPACK at run time. On Debian/Ubuntu: sudo apt-get install libopenblas0 liblapacke'];
  }
  if (/NODE_MODULE_VERSION|napi|invalid ELF|wrong ELF class|mach-o|not a valid Win32/i.test(detail)) {
    return ['The addon was built for another Node, Electron or CPU. Rebuild it: npm run build:native'];
  }
  return [BUILD_FIX];
}

/**
 * On Linux, MLX's KeySequence::default_() statics are GNU unique symbols: the
 * dynamic linker binds every MLX copy in the process to the first one loaded,
 * even across RTLD_LOCAL addons. The npm backend's copy (older, statically
 * linked) then crashes in key-less random calls if our libmlx came first. Our
 * addon never touches its own copy (it keeps its own keys), so loading the
 * npm binary first (about 15 ms) keeps both usable in one process.
 */
function loadNpmBinaryFirst(): void {
  if (process.platform !== 'linux') return;
  try {
    require(join(dirname(require.resolve('@frost-beta/mlx/package.json')), 'build', 'Release', 'mlx.node'));
  } catch {
    // Absent or unloadable: then nothing can clash with our MLX.
  }
}

let cached: NativeStatus | undefined;

/**
 * Loads the addon once per thread, or says why it is unavailable. Never
 * throws: the caller decides whether the native backend was required.
 */
export function nativeStatus(env: NodeJS.ProcessEnv = process.env): NativeStatus {
  const path = nativeAddonPath(env);
  if (cached && cached.path === path) return cached;
  if (!existsSync(path)) {
    cached = {
      available: false,
      path,
      built: false,
      reason: `native backend not built: ${path} does not exist`,
      fixes: [BUILD_FIX],
    };
    return cached;
  }
  try {
    loadNpmBinaryFirst();
    const addon = require(path) as NativeAddon;
    cached = { available: true, path, addon };
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    cached = { available: false, path, built: true, reason: `native backend failed to load: ${detail}`, fixes: fixesFor(detail), cause: error };
  }
  return cached;
}
