// Production build of the Electron app into dist/: main, preload and engine worker with esbuild, the renderer with
// Vite. What electron-builder packages is exactly this output. It must not download anything, start a dev server or
// touch files outside dist/.
//
//   npx tsx scripts/build-app.ts            (npm run build)
//   npx tsx scripts/build-app.ts --dev      keeps the dev-server variables, for running unpackaged against Vite
//   npx tsx scripts/build-app.ts --cli generate   only dist/cli/generate.mjs (scripts/run-cli.mjs does this when stale)
//
// Layout (electron-builder.yml's `files` and package.json's `main` rely on it):
//   dist/main/index.js            Electron main process (ESM)
//   dist/main/engine-worker.js    engine worker thread, beside main so `new URL('./engine-worker.js', import.meta.url)`
//                                 resolves in the bundle (ESM)
//   dist/preload/preload.cjs      preload; CommonJS because sandboxed preloads cannot be ES modules
//   dist/renderer/                the UI, loaded from a file or custom protocol, never a dev server
// Source maps are written beside each bundle (`*.map`, no sourceMappingURL comment) and kept out of the package.

import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

export type BundleFormat = 'esm' | 'cjs';

export interface BundleEntry {
  /** What the bundle is, for messages. */
  readonly role: string;
  /** Source entry, relative to the repository root. */
  readonly source: string;
  /** Output file, relative to the repository root. */
  readonly outfile: string;
  readonly format: BundleFormat;
}

export const BUNDLE_ENTRIES: readonly BundleEntry[] = [
  { role: 'Electron main process', source: 'main/transport/electron-main/index.ts', outfile: 'dist/main/index.js', format: 'esm' },
  { role: 'engine worker', source: 'main/host/engine-worker.ts', outfile: 'dist/main/engine-worker.js', format: 'esm' },
  { role: 'preload', source: 'main/transport/preload/preload.ts', outfile: 'dist/preload/preload.cjs', format: 'cjs' },
];

export const RENDERER_CONFIG = 'renderer/vite.config.ts';
export const RENDERER_OUT = 'dist/renderer';

/**
 * Loaded from node_modules at run time instead of bundled: Electron itself, and the MLX bindings whose loader finds
 * mlx.node (and mlx.metallib) relative to its own files. ws's optional native speed-ups are absent on purpose.
 */
export const EXTERNAL_MODULES = ['electron', '@frost-beta/mlx', 'bufferutil', 'utf-8-validate'] as const;

/** Electron 41 embeds Node 24; the bundle may use anything that has. */
const NODE_TARGET = 'node22';

/**
 * An ES module bundle has no `require`; CommonJS code inside it (and createRequire users) needs one for Node
 * built-ins and the externals. Named so it cannot collide with a module's own top-level `require`.
 */
const ESM_REQUIRE_BANNER = [
  "import { createRequire as __teacacheCreateRequire } from 'node:module';",
  'const require = __teacacheCreateRequire(import.meta.url);',
].join('\n');

/**
 * Environment variables through which development builds point Electron at a renderer dev server
 * (main/transport/electron-main/index.ts reads TEACACHE_RENDERER_DEV_URL; the others are the common tools' names). Compiled to undefined.
 */
export const DEV_SERVER_VARIABLES = ['TEACACHE_RENDERER_DEV_URL', 'VITE_DEV_SERVER_URL', 'ELECTRON_RENDERER_URL'] as const;

/** A literal dev-server address in a production bundle means the packaged app could load its UI from the network. */
const DEV_SERVER_URL = /\bhttps?:\/\/(?:localhost|127\.0\.0\.1|\[::1\]):\d+/;

export class BuildError extends Error {
  override readonly name = 'BuildError';
}

/** Entries whose source is missing: the build cannot be complete without them. */
export function missingEntries(root: string, entries: readonly BundleEntry[] = BUNDLE_ENTRIES): BundleEntry[] {
  return entries.filter((entry) => !existsSync(join(root, entry.source)));
}

/** Files under `dir` (recursively), relative to `dir`, with forward slashes. */
export function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (current: string): void => {
    for (const name of readdirSync(current)) {
      const full = join(current, name);
      if (statSync(full).isDirectory()) walk(full);
      else out.push(relative(dir, full).split('\\').join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

/**
 * Checks a finished build: every bundle and the renderer's index.html exist, no JavaScript output names a
 * dev-server address, and no output points at a source map (maps ship separately, if at all).
 */
export function checkBuildOutput(root: string, entries: readonly BundleEntry[] = BUNDLE_ENTRIES): void {
  const problems: string[] = [];
  for (const entry of entries) {
    if (!existsSync(join(root, entry.outfile))) problems.push(`${entry.outfile} (${entry.role}) was not written.`);
  }
  const rendererIndex = join(root, RENDERER_OUT, 'index.html');
  if (!existsSync(rendererIndex)) problems.push(`${RENDERER_OUT}/index.html (the renderer) was not written.`);
  const outputs = [
    ...entries.map((entry) => entry.outfile),
    ...listFiles(join(root, RENDERER_OUT)).map((file) => `${RENDERER_OUT}/${file}`),
  ].filter((file) => /\.(c|m)?js$|\.html$/.test(file) && existsSync(join(root, file)));
  for (const file of outputs) {
    const text = readFileSync(join(root, file), 'utf8');
    const url = DEV_SERVER_URL.exec(text);
    if (url) {
      problems.push(
        `${file} contains the dev-server address ${url[0]}. The packaged app must load its UI from dist/renderer ` +
          `(file:// or a custom protocol); guard development-only URLs behind an environment variable that the ` +
          `production build defines away.`,
      );
    }
    if (/\/[/*][#@] sourceMappingURL=/.test(text)) {
      problems.push(`${file} references a source map; production bundles keep their maps separate.`);
    }
  }
  if (problems.length > 0) throw new BuildError(`The production build is incomplete:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
}

export interface BuildOptions {
  /** Keep the dev-server variables and NODE_ENV of the environment (never for packaging). */
  readonly dev?: boolean;
}

/** Bundles one entry; returns the source files it was built from, relative to `root`. */
export async function bundleEntry(root: string, entry: BundleEntry, options: BuildOptions = {}): Promise<string[]> {
  const { build } = await import('esbuild');
  const result = await build({
    absWorkingDir: root,
    entryPoints: [entry.source],
    outfile: entry.outfile,
    bundle: true,
    platform: 'node',
    target: NODE_TARGET,
    format: entry.format,
    external: [...EXTERNAL_MODULES],
    // Dead-code elimination of development-only branches; names stay readable for crash reports.
    minifySyntax: true,
    sourcemap: 'external',
    sourcesContent: true,
    legalComments: 'linked',
    logLevel: 'warning',
    ...(entry.format === 'esm' ? { banner: { js: ESM_REQUIRE_BANNER } } : {}),
    // A production bundle can never load the UI from a dev server, whatever the environment says.
    define: options.dev
      ? {}
      : Object.fromEntries([['process.env.NODE_ENV', '"production"'], ...DEV_SERVER_VARIABLES.map((name) => [`process.env.${name}`, 'undefined'])]),
    metafile: true,
  });
  return Object.keys(result.metafile.inputs).filter((input) => !input.includes(':'));
}

/** The command-line tools `npm run generate` and friends start from a bundle, not through tsx (scripts/run-cli.mjs). */
export const CLI_NAMES = ['generate', 'bench', 'calibrate', 'bench-policies', 'bench-engine'] as const;

export type CliName = (typeof CLI_NAMES)[number];

export function cliEntry(name: CliName): BundleEntry {
  return { role: `${name} command`, source: `main/cli/${name}.ts`, outfile: `dist/cli/${name}.mjs`, format: 'esm' };
}

/** Beside each CLI bundle: the sources it was built from, which run-cli.mjs checks to rebuild a stale bundle. */
export function cliInputsFile(entry: BundleEntry): string {
  return `${entry.outfile}.inputs.json`;
}

export async function buildCli(root: string, name: CliName): Promise<void> {
  const entry = cliEntry(name);
  const inputs = await bundleEntry(root, entry);
  writeFileSync(join(root, cliInputsFile(entry)), `${JSON.stringify([...inputs, 'package-lock.json'])}\n`);
}

async function buildRenderer(root: string): Promise<void> {
  const { build } = await import('vite');
  await build({
    configFile: join(root, RENDERER_CONFIG),
    root: join(root, 'renderer'),
    mode: 'production',
    logLevel: 'warn',
    // 'hidden': maps are written for symbolication but index.html and the chunks do not point at them.
    build: { sourcemap: 'hidden', outDir: join(root, RENDERER_OUT), emptyOutDir: true },
  });
}

export async function buildApp(root: string = ROOT, entries: readonly BundleEntry[] = BUNDLE_ENTRIES, options: BuildOptions = {}): Promise<void> {
  const missing = missingEntries(root, entries);
  if (missing.length > 0) {
    throw new BuildError(
      `Cannot build the app: these entry points do not exist:\n${missing.map((e) => `  - ${e.source} (${e.role})`).join('\n')}\n` +
        `If an entry moved, update BUNDLE_ENTRIES in scripts/build-app.ts (and package.json "main" for the main process).`,
    );
  }
  for (const entry of entries) rmSync(join(root, entry.outfile), { force: true });
  for (const entry of entries) {
    await bundleEntry(root, entry, options);
    console.log(`bundled ${entry.role}: ${entry.source} -> ${entry.outfile}`);
  }
  await buildRenderer(root);
  console.log(`built renderer: ${RENDERER_CONFIG} -> ${RENDERER_OUT}/`);
  if (options.dev) console.log('development build: dev-server variables kept; do not package this output.');
  else checkBuildOutput(root, entries);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const cli = process.argv.indexOf('--cli');
  const name = cli >= 0 ? process.argv[cli + 1] : undefined;
  if (cli >= 0 && !(CLI_NAMES as readonly string[]).includes(name ?? '')) {
    console.error(`--cli expects one of ${CLI_NAMES.join(', ')}; got "${name ?? ''}".`);
    process.exit(1);
  }
  const building = name ? buildCli(ROOT, name as CliName) : buildApp(ROOT, BUNDLE_ENTRIES, { dev: process.argv.includes('--dev') });
  building.catch((error: unknown) => {
    console.error(error instanceof BuildError ? error.message : error);
    process.exit(1);
  });
}
