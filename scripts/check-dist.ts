// The gate `npm run dist` passes before electron-builder runs: the production bundle is built, the native binaries
// are the target platform's (not the Linux build npm ships, on a Mac), mlx.metallib sits beside mlx.node, the
// default model has its weights, electron-builder.yml will put each of them where the app loads it, and on the Mac
// our native addon (when built) finds libmlx and mlx.metallib inside the app through its own rpaths.
// Reads files only; it never downloads or fixes anything, it says what to run.
//
//   npx tsx scripts/check-dist.ts [--mac | --linux]      (default: this machine's platform)

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BuildError, checkBuildOutput, ROOT } from './build-app.ts';
import {
  binaryKind,
  describeKind,
  isLfsPointer,
  isMetallib,
  LINUX_X64,
  MAC_ARM64,
  MLX_BINDING,
  MLX_METALLIB,
  MLX_PACKAGE_DIR,
  machOLinks,
  mlxDownloadUrls,
  NATIVE_BUILD_DIR,
  runsOn,
  type PackPlatform,
} from './binaries.ts';
import { loadPackagePlan, validateBuilderConfig, type PackagePlan } from './package-plan.ts';

/** The model files the packaged app needs: without the weights it would run on random ones. */
export const MODEL_DIR = 'models/builtin';
export const MODEL_FILES = ['model.json', 'vocab.json', 'transformer.safetensors', 'text_encoder.safetensors'] as const;

export interface DistReport {
  /** Each one stops the build: what is wrong and what to run. */
  readonly problems: string[];
  /** Worth knowing, not fatal. */
  readonly notes: string[];
}

const FETCH = 'npm run fetch:binaries';

function mlxVersion(root: string): string {
  const file = join(root, MLX_PACKAGE_DIR, 'package.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version : '(not installed)';
}

/** Where the packaged app would need `source`, checked against the plan: inside the app and outside the archive. */
function checkUnpacked(plan: PackagePlan, source: string, problems: string[]): string | null {
  const placed = plan.place(source);
  if (placed.where !== 'app' || placed.destination === null) {
    problems.push(`${source} would not be packaged: electron-builder.yml's \`files\` does not match it.`);
    return null;
  }
  if (!placed.unpacked) {
    problems.push(`${source} would be packed inside app.asar, where native code cannot load: add it to \`asarUnpack\`.`);
  }
  return placed.destination;
}

function checkMlx(root: string, platform: PackPlatform, plan: PackagePlan, report: DistReport): void {
  const { problems } = report;
  const version = mlxVersion(root);
  const binding = binaryKind(join(root, MLX_BINDING));
  if (binding.format === 'missing') {
    problems.push(`${MLX_BINDING} is missing: install dependencies with npm ci (then ${FETCH} on a Mac).`);
    return;
  }
  if (!runsOn(binding, platform)) {
    const fix =
      platform.target === 'mac'
        ? `The Metal build of MLX has not been fetched (npm ships only the Linux build in @frost-beta/mlx). On this Mac, ` +
          `with network access, run: ${FETCH}. Offline, download ${mlxDownloadUrls(version).binding} and ` +
          `${mlxDownloadUrls(version).metallib}, gunzip them to ${MLX_BINDING} and ${MLX_METALLIB}.`
        : `Reinstall dependencies with npm ci --ignore-scripts: the Linux x64 build ships inside @frost-beta/mlx ${version}.`;
    problems.push(`${MLX_BINDING} is ${describeKind(binding)}, but ${platform.label} needs its own build. ${fix}`);
    return;
  }
  const bindingAt = checkUnpacked(plan, MLX_BINDING, problems);
  if (platform.target !== 'mac') return;
  const metallib = join(root, MLX_METALLIB);
  if (!existsSync(metallib)) {
    problems.push(
      `${MLX_METALLIB} is missing: MLX's GPU kernels, which it loads from beside mlx.node; without them every ` +
        `operation fails on Apple silicon. Run ${FETCH} (network), or download ${mlxDownloadUrls(version).metallib} ` +
        `and gunzip it to ${MLX_METALLIB}.`,
    );
    return;
  }
  if (!isMetallib(metallib)) problems.push(`${MLX_METALLIB} is not a Metal library (no MTLB header): fetch it again with ${FETCH}.`);
  const metallibAt = checkUnpacked(plan, MLX_METALLIB, problems);
  if (bindingAt && metallibAt && dirname(bindingAt) !== dirname(metallibAt)) {
    problems.push(`mlx.metallib would land in ${dirname(metallibAt)}, not beside mlx.node in ${dirname(bindingAt)}, where MLX looks for it.`);
  }
}

function checkNativeAddon(root: string, platform: PackPlatform, plan: PackagePlan, report: DistReport): void {
  const dir = join(root, NATIVE_BUILD_DIR);
  const files = existsSync(dir) ? readdirSync(dir).filter((name) => /\.(node|dylib|so(\.\d+)*|metallib)$/.test(name)) : [];
  if (!files.some((name) => name.endsWith('.node'))) {
    report.notes.push(`No native addon in ${NATIVE_BUILD_DIR}: the app will run on @frost-beta/mlx (build one with npm run build:native).`);
    return;
  }
  for (const name of files) {
    const source = `${NATIVE_BUILD_DIR}/${name}`;
    if (!name.endsWith('.metallib')) {
      const kind = binaryKind(join(root, source));
      if (!runsOn(kind, platform)) {
        report.problems.push(
          `${source} is ${describeKind(kind)} and cannot load on ${platform.label}. Rebuild it on the target with ` +
            `npm run build:native, or delete ${NATIVE_BUILD_DIR} to ship without the native backend.`,
        );
        continue;
      }
    }
    checkUnpacked(plan, source, report.problems);
  }
  if (platform.target === 'mac') {
    for (const name of files.filter((file) => file.endsWith('.node'))) checkAddonFindsMlx(root, `${NATIVE_BUILD_DIR}/${name}`, plan, report);
    return;
  }
  if (!files.some((name) => /^libmlx\.(dylib|so)/.test(name))) {
    report.notes.push(
      `The native addon links the MLX library where it was built, not a copy beside it: the packaged app uses the ` +
        `native backend only on machines with MLX at that path and falls back to @frost-beta/mlx elsewhere.`,
    );
  }
}

const LOADER_PATH = '@loader_path';

/**
 * On the Mac the packaged addon must find libmlx inside the app through its own load commands, the way dyld
 * will: @rpath names tried rpath by rpath, @loader_path being the addon's folder; and MLX loads mlx.metallib
 * from beside the binary that holds it (libmlx.dylib, or the addon itself when MLX is linked in statically).
 */
function checkAddonFindsMlx(root: string, addon: string, plan: PackagePlan, report: DistReport): void {
  const links = machOLinks(join(root, addon), MAC_ARM64.arch);
  if (!links) return; // Not an arm64 Mach-O: refused above already.
  const name = links.libraries.find((library) => /(^|\/)libmlx[^/]*\.dylib$/.test(library));
  let holder = addon;
  if (name !== undefined) {
    const candidates = name.startsWith('@rpath/') ? links.rpaths.map((rpath) => `${rpath}/${name.slice('@rpath/'.length)}`) : [name];
    const inside = candidates.findIndex((candidate) => candidate.startsWith(LOADER_PATH) && existsSync(join(root, inApp(addon, candidate))));
    if (inside < 0) {
      const fix = links.rpaths.some((rpath) => rpath.startsWith(LOADER_PATH))
        ? `Copy the MLX library it was built against beside it (e.g. cp "$(brew --prefix mlx)/lib/libmlx.dylib" ${NATIVE_BUILD_DIR}/)`
        : `Rebuild it with npm run build:native (which adds an ${LOADER_PATH} rpath) and copy libmlx.dylib beside it`;
      report.problems.push(
        `${addon} would not find libmlx in the packaged app: it loads ${name}` +
          (name.startsWith('@rpath/') ? ` through its rpaths (${links.rpaths.join(', ') || 'none'}), and none of them reaches a copy inside the app. ` : `, a path outside the app. `) +
          `${fix}, or delete ${NATIVE_BUILD_DIR} to ship on @frost-beta/mlx alone.`,
      );
      return;
    }
    const outside = candidates.slice(0, inside).filter((candidate) => !candidate.startsWith(LOADER_PATH));
    if (outside.length > 0) {
      report.notes.push(`${addon} looks for libmlx at ${outside.join(', ')} before its own copy: on a Mac with MLX there, that one loads instead.`);
    }
    holder = inApp(addon, candidates[inside]!);
    if (!holder.startsWith(`${NATIVE_BUILD_DIR}/`)) checkUnpacked(plan, holder, report.problems);
  }
  const metallib = posix.join(posix.dirname(holder), 'mlx.metallib');
  if (!existsSync(join(root, metallib))) {
    report.problems.push(
      `${metallib} is missing: MLX loads its GPU kernels from beside ${posix.basename(holder)}, so the native backend would fail on ` +
        `every operation. Copy mlx.metallib from the MLX the addon was built against (e.g. "$(brew --prefix mlx)/lib/mlx.metallib") there.`,
    );
  } else if (!isMetallib(join(root, metallib))) {
    report.problems.push(`${metallib} is not a Metal library (no MTLB header): copy it again from the MLX the addon was built against.`);
  } else if (!metallib.startsWith(`${NATIVE_BUILD_DIR}/`)) {
    checkUnpacked(plan, metallib, report.problems);
  }
}

/** An @loader_path candidate of `addon` as a project path, which the packaged app mirrors. */
function inApp(addon: string, candidate: string): string {
  return posix.normalize(posix.join(posix.dirname(addon), candidate.slice(LOADER_PATH.length)));
}

function checkModel(root: string, plan: PackagePlan, report: DistReport): void {
  for (const name of MODEL_FILES) {
    const source = `${MODEL_DIR}/${name}`;
    const file = join(root, source);
    if (!existsSync(file)) {
      report.problems.push(
        `${source} is missing: the packaged app would ${name.endsWith('.safetensors') ? 'generate with random weights' : 'not find its default model'}. ` +
          `Put the trained default model in ${MODEL_DIR} (see training/).`,
      );
      continue;
    }
    if (isLfsPointer(file)) {
      report.problems.push(`${source} is a Git LFS pointer, not the weights: run git lfs pull.`);
      continue;
    }
    const placed = plan.place(source);
    if (placed.where !== 'resources' || placed.destination !== source) {
      report.problems.push(`${source} would not be shipped as the extra resource ${source}: check \`extraResources\` in electron-builder.yml.`);
    }
  }
}

function checkHost(platform: PackPlatform, host: NodeJS.Platform, report: DistReport): void {
  if (platform.target === 'mac' && host !== 'darwin') {
    report.problems.push(`A .dmg can only be built on macOS (it needs hdiutil and codesign); this machine is ${host}. Use npm run dist:linux here.`);
  }
  report.notes.push(
    `electron-builder downloads Electron for ${platform.label} and its packaging tools on first use (network, or a ` +
      `seeded cache: docs/packaging.md, "Offline").`,
  );
}

/** Everything `npm run dist` needs for `platform`, checked without building or downloading anything. */
export async function checkDist(root: string, platform: PackPlatform, host: NodeJS.Platform = process.platform): Promise<DistReport> {
  const report: DistReport = { problems: [], notes: [] };
  const plan = await loadPackagePlan(root, platform.target);
  try {
    await validateBuilderConfig(plan.config);
  } catch (error) {
    report.problems.push(`electron-builder.yml is invalid: ${(error as Error).message}`);
  }
  checkHost(platform, host, report);
  try {
    checkBuildOutput(root);
  } catch (error) {
    if (!(error instanceof BuildError)) throw error;
    report.problems.push(`${error.message}\nRun npm run build first.`);
  }
  checkMlx(root, platform, plan, report);
  checkNativeAddon(root, platform, plan, report);
  checkModel(root, plan, report);
  return report;
}

export function platformFromArgs(args: { mac?: boolean; linux?: boolean }, host: NodeJS.Platform = process.platform): PackPlatform {
  if (args.mac && args.linux) throw new Error('Pass --mac or --linux, not both: each needs its own platform binaries.');
  if (args.mac) return MAC_ARM64;
  if (args.linux) return LINUX_X64;
  if (host === 'darwin') return MAC_ARM64;
  if (host === 'linux') return LINUX_X64;
  throw new Error(`This project packages for macOS (arm64) and Linux (x64); ${host} is neither. Pass --mac or --linux.`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { mac: { type: 'boolean' }, linux: { type: 'boolean' } } });
  const platform = platformFromArgs(values);
  const report = await checkDist(ROOT, platform);
  for (const note of report.notes) console.log(`note: ${note}`);
  if (report.problems.length > 0) {
    console.error(`\nCannot package for ${platform.label}:\n${report.problems.map((p) => `  - ${p}`).join('\n')}\n`);
    process.exit(1);
  }
  console.log(`Ready to package for ${platform.label}.`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
