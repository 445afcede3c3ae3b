// The one explicit step that downloads platform binaries (`npm run fetch:binaries`): Electron's runtime for this
// machine and, on Apple silicon, MLX's Metal build with mlx.metallib. Dependency installs never run these downloads
// (.npmrc sets ignore-scripts), so nothing fetches binaries silently. Checks what it fetched; offline, it says what
// to download by hand and where to put it.
//
//   npx tsx scripts/fetch-binaries.ts [--skip-electron] [--skip-mlx]

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ROOT } from './build-app.ts';
import { binaryKind, describeKind, isMetallib, LINUX_X64, MAC_ARM64, MLX_BINDING, MLX_METALLIB, MLX_PACKAGE_DIR, mlxDownloadUrls, runsOn, type PackPlatform } from './binaries.ts';

export class FetchError extends Error {
  override readonly name = 'FetchError';
}

/** The platform whose binaries this machine runs, or null where the project ships none. */
export function hostPlatform(platform: NodeJS.Platform = process.platform, arch: string = process.arch): PackPlatform | null {
  if (platform === 'darwin' && arch === 'arm64') return MAC_ARM64;
  if (platform === 'linux' && arch === 'x64') return LINUX_X64;
  return null;
}

function packageVersion(root: string, dir: string): string {
  return (JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as { version: string }).version;
}

/** Where Electron's install script leaves the executable for this machine. */
export function electronExecutable(root: string): string | null {
  const pathFile = join(root, 'node_modules/electron/path.txt');
  if (!existsSync(pathFile)) return null;
  const executable = join(root, 'node_modules/electron/dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(executable) ? executable : null;
}

/** What Electron's install script writes to path.txt for this machine. */
function electronPathTxt(platform: NodeJS.Platform = process.platform): string {
  return platform === 'darwin' ? 'Electron.app/Contents/MacOS/Electron' : platform === 'win32' ? 'electron.exe' : 'electron';
}

function run(root: string, script: string): number {
  const result = spawnSync(process.execPath, [script], { cwd: root, stdio: 'inherit', env: process.env });
  return result.status ?? 1;
}

export function fetchElectron(root: string): string {
  const version = packageVersion(root, 'node_modules/electron');
  const before = electronExecutable(root);
  if (before) return `Electron ${version} is already installed: ${before}`;
  console.log(`Downloading Electron ${version} for ${process.platform}-${process.arch} (about 100 MB)…`);
  const status = run(root, 'node_modules/electron/install.js');
  const after = electronExecutable(root);
  if (status !== 0 || !after) {
    throw new FetchError(
      `Electron ${version} could not be downloaded (exit ${status}). It comes from github.com/electron/electron ` +
        `releases; offline or behind a proxy:\n` +
        `  - use a mirror: ELECTRON_MIRROR=https://your.mirror/electron/ npm run fetch:binaries\n` +
        `  - or, with electron-v${version}-${process.platform}-${process.arch}.zip fetched elsewhere: unzip it into ` +
        `node_modules/electron/dist and write ${electronPathTxt()} into node_modules/electron/path.txt\n` +
        `Packaging (npm run dist) downloads its own copy; see docs/packaging.md, "Offline".`,
    );
  }
  return `Electron ${version} installed: ${after}`;
}

export function fetchMlx(root: string, host: PackPlatform | null): string {
  const version = packageVersion(root, MLX_PACKAGE_DIR);
  if (host === null) {
    throw new FetchError(`@frost-beta/mlx has builds for macOS arm64 and Linux x64 only; this machine is ${process.platform}-${process.arch}.`);
  }
  const binding = join(root, MLX_BINDING);
  if (host === LINUX_X64) {
    const kind = binaryKind(binding);
    if (!runsOn(kind, host)) {
      throw new FetchError(`${MLX_BINDING} is ${describeKind(kind)}; the Linux x64 build ships inside the npm package: run npm ci.`);
    }
    return `MLX: the Linux x64 CPU build shipped in @frost-beta/mlx ${version} is in place (nothing to fetch).`;
  }
  const ready = (): boolean => runsOn(binaryKind(binding), host) && isMetallib(join(root, MLX_METALLIB));
  if (ready()) return `MLX: the Metal build of @frost-beta/mlx ${version} and mlx.metallib are already in place.`;
  console.log(`Downloading MLX's Metal build and mlx.metallib for @frost-beta/mlx ${version}…`);
  // The package's own installer: it knows its release URLs and replaces the Linux build npm ships.
  const status = run(root, join(MLX_PACKAGE_DIR, 'install.js'));
  if (status !== 0 || !ready()) {
    const urls = mlxDownloadUrls(version);
    throw new FetchError(
      `MLX's Metal build could not be fetched (exit ${status}; ${MLX_BINDING} is ${describeKind(binaryKind(binding))}). ` +
        `Offline, download these two files elsewhere and put them in place:\n` +
        `  curl -L ${urls.binding} | gunzip > ${MLX_BINDING}\n` +
        `  curl -L ${urls.metallib} | gunzip > ${MLX_METALLIB}\n` +
        `mlx.metallib must stay next to mlx.node: MLX looks for it there.`,
    );
  }
  return `MLX: fetched the Metal build and mlx.metallib into ${MLX_PACKAGE_DIR}/build/Release.`;
}

function main(): void {
  const { values } = parseArgs({ options: { 'skip-electron': { type: 'boolean' }, 'skip-mlx': { type: 'boolean' } } });
  const failures: string[] = [];
  for (const [skip, step] of [
    [values['skip-electron'], () => fetchElectron(ROOT)],
    [values['skip-mlx'], () => fetchMlx(ROOT, hostPlatform())],
  ] as const) {
    if (skip) continue;
    try {
      console.log(step());
    } catch (error) {
      if (!(error instanceof FetchError)) throw error;
      failures.push(error.message);
    }
  }
  if (failures.length > 0) {
    console.error(`\n${failures.join('\n\n')}`);
    process.exit(1);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
