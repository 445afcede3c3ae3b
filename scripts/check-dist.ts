// The gate `npm run dist` passes before electron-builder runs: the production bundle is built, the native binaries
// are the target platform's (not the Linux build npm ships, on a Mac), mlx.metallib sits beside mlx.node, the
// default model has its weights, and electron-builder.yml will put each of them where the app loads it.
// Reads files only; it never downloads or fixes anything, it says what to run.
//
//   npx tsx scripts/check-dist.ts [--mac | --linux]      (default: this machine's platform)

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
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
  if (!files.some((name) => /^libmlx\.(dylib|so)/.test(name))) {
    report.notes.push(
      `The native addon links the MLX library where it was built, not a copy beside it: the packaged app uses the ` +
        `native backend only on machines with MLX at that path and falls back to @frost-beta/mlx elsewhere.`,
    );
  }
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
