// Answers "where would electron-builder put this file?" for electron-builder.yml, using electron-builder's own config
// loader, schema validator and file matchers (app-builder-lib), so checks and tests judge the patterns exactly as a
// real `npm run dist` would. Reads only; it must never package, download or write anything.

import { createRequire } from 'node:module';
import { join, relative, resolve, sep } from 'node:path';

const require = createRequire(import.meta.url);

/** electron-builder's configuration, as far as these checks read it. */
export interface BuilderConfig {
  readonly appId?: string;
  readonly productName?: string;
  readonly asar?: boolean | Record<string, unknown>;
  readonly directories?: { readonly output?: string; readonly buildResources?: string };
  readonly files?: unknown;
  readonly asarUnpack?: unknown;
  readonly extraResources?: unknown;
  readonly extraFiles?: unknown;
  readonly mac?: PlatformConfig;
  readonly linux?: PlatformConfig;
  readonly dmg?: Record<string, unknown>;
  readonly deb?: { readonly depends?: readonly string[] };
  readonly npmRebuild?: boolean;
  readonly [key: string]: unknown;
}

export interface PlatformConfig {
  readonly target?: ReadonlyArray<string | { readonly target: string; readonly arch?: string | readonly string[] }>;
  readonly hardenedRuntime?: boolean;
  readonly entitlements?: string;
  readonly entitlementsInherit?: string;
  readonly notarize?: boolean;
  readonly icon?: string;
  readonly [key: string]: unknown;
}

export type PackTarget = 'mac' | 'linux';

// ---- app-builder-lib internals (no public export; shapes written from its out/*.d.ts) ----

interface Stat {
  isDirectory(): boolean;
}
type Filter = (file: string, stat: Stat) => boolean;
interface FileMatcher {
  readonly from: string;
  readonly to: string;
  readonly patterns: string[];
  isEmpty(): boolean;
  containsOnlyIgnore(): boolean;
  prependPattern(pattern: string): void;
  createFilter(): Filter;
}
interface FileMatcherModule {
  FileMatcher: new (from: string, to: string, expand: (s: string) => string, patterns?: unknown) => FileMatcher;
  getMainFileMatchers(
    appDir: string,
    destination: string,
    expand: (s: string) => string,
    platformOptions: PlatformConfig,
    platformPackager: unknown,
    outDir: string,
    isElectronCompile: boolean,
  ): FileMatcher[];
  getNodeModuleFileMatcher(
    appDir: string,
    destination: string,
    expand: (s: string) => string,
    platformOptions: PlatformConfig,
    packager: unknown,
  ): FileMatcher;
  getFileMatchers(
    config: BuilderConfig,
    name: 'files' | 'asarUnpack' | 'extraResources' | 'extraFiles',
    destination: string,
    options: { macroExpander: (s: string) => string; customBuildOptions: PlatformConfig; globalOutDir: string; defaultSrc: string },
  ): FileMatcher[] | null;
}
interface ConfigModule {
  getConfig(projectDir: string, configPath: string | null, configFromOptions: unknown): Promise<BuilderConfig>;
  validateConfiguration(config: BuilderConfig, debugLogger: { isEnabled: boolean; add(key: string, value: unknown): void }): Promise<void>;
}

const APP_LIB = 'app-builder-lib';
const appLibDir = (): string => resolve(require.resolve(`${APP_LIB}/package.json`), '..');
const fileMatcherModule = (): FileMatcherModule => require(join(appLibDir(), 'out', 'fileMatcher.js')) as FileMatcherModule;
const configModule = (): ConfigModule => require(join(appLibDir(), 'out', 'util', 'config', 'config.js')) as ConfigModule;

/** Path of electron-builder's JSON schema for its configuration. */
export function builderSchemaPath(): string {
  return join(appLibDir(), 'scheme.json');
}

/** Reads electron-builder.yml the way electron-builder does (including `extends`). */
export async function loadBuilderConfig(projectDir: string): Promise<BuilderConfig> {
  return configModule().getConfig(projectDir, null, null);
}

/** electron-builder's own validation of a configuration (its schema plus its deprecation checks); throws if invalid. */
export async function validateBuilderConfig(config: BuilderConfig): Promise<void> {
  await configModule().validateConfiguration(config, { isEnabled: false, add: () => undefined });
}

// ---- the plan ----

/** Virtual roots for destinations: inside the app (app.asar or app.asar.unpacked) and the Resources folder. */
const APP_ROOT = resolve('/', '__app__');
const RESOURCES_ROOT = resolve('/', '__resources__');

export interface Placement {
  /** Source path relative to the project. */
  readonly source: string;
  /** 'app': inside the app (asar or unpacked); 'resources': an extra resource beside it; null: not packaged. */
  readonly where: 'app' | 'resources' | null;
  /** Path relative to the app root or the Resources folder, with forward slashes. */
  readonly destination: string | null;
  /** True when the file lands in app.asar.unpacked rather than inside the archive. */
  readonly unpacked: boolean;
}

/** Neither a real file nor a directory: how electron-builder's filters see a path they are asked about. */
const FILE: Stat = { isDirectory: () => false };
const DIR: Stat = { isDirectory: () => true };
const noMacros = (s: string): string => s;

function inside(dir: string, file: string): boolean {
  return file === dir || file.startsWith(dir + sep);
}

/** Walks like electron-builder's copier: every folder on the way must be entered, then the file must pass. */
function passes(matcher: FileMatcher, file: string): boolean {
  if (matcher.isEmpty() || matcher.containsOnlyIgnore()) matcher.prependPattern('**/*');
  const filter = matcher.createFilter();
  const parts = relative(matcher.from, file).split(sep);
  for (let i = 1; i < parts.length; i++) {
    // The root node_modules is never walked as a folder: the module collector enters each module directly.
    if (i === 1 && parts[0] === 'node_modules') continue;
    if (!filter(join(matcher.from, ...parts.slice(0, i)), DIR)) return false;
  }
  return filter(file, FILE);
}

const slash = (p: string): string => p.split(sep).join('/');

export class PackagePlan {
  private readonly appMatchers: FileMatcher[];
  private readonly nodeModuleMatcher: FileMatcher;
  private readonly unpackFilter: Filter | null;
  private readonly resourceMatchers: FileMatcher[];

  constructor(
    readonly config: BuilderConfig,
    readonly projectDir: string,
    readonly target: PackTarget,
  ) {
    const fm = fileMatcherModule();
    const platformOptions = config[target] ?? {};
    const outDir = resolve(projectDir, config.directories?.output ?? 'dist');
    const info = {
      projectDir,
      buildResourcesDir: config.directories?.buildResources ?? 'build',
      isPrepackedAppAsar: false,
      config,
      debugLogger: { isEnabled: false, add: () => undefined },
    };
    this.appMatchers = fm.getMainFileMatchers(projectDir, APP_ROOT, noMacros, platformOptions, { info }, outDir, false);
    const moduleMatcher = fm.getNodeModuleFileMatcher(projectDir, APP_ROOT, noMacros, platformOptions, info);
    // The collector filters each module file by its path from the app root (node_modules/<name>/…).
    this.nodeModuleMatcher = new fm.FileMatcher(projectDir, APP_ROOT, noMacros, moduleMatcher.isEmpty() ? ['**/*'] : moduleMatcher.patterns);
    const options = { macroExpander: noMacros, customBuildOptions: platformOptions, globalOutDir: outDir, defaultSrc: projectDir };
    const unpack = fm.getFileMatchers(config, 'asarUnpack', APP_ROOT, options);
    this.unpackFilter = unpack?.[0]?.createFilter() ?? null;
    this.resourceMatchers = fm.getFileMatchers(config, 'extraResources', RESOURCES_ROOT, options) ?? [];
  }

  /** Where `source` (relative to the project) would end up in the packaged app. */
  place(source: string): Placement {
    const file = resolve(this.projectDir, source);
    const appDestination = this.appDestination(file);
    if (appDestination !== null) {
      const unpacked = this.config.asar !== false && this.unpackFilter !== null && this.unpackFilter(file, FILE);
      return { source, where: 'app', destination: appDestination, unpacked };
    }
    for (const matcher of this.resourceMatchers) {
      if (matcher.from === file) return { source, where: 'resources', destination: slash(relative(RESOURCES_ROOT, matcher.to)), unpacked: false };
      if (inside(matcher.from, file) && passes(matcher, file)) {
        return { source, where: 'resources', destination: slash(relative(RESOURCES_ROOT, join(matcher.to, relative(matcher.from, file)))), unpacked: false };
      }
    }
    return { source, where: null, destination: null, unpacked: false };
  }

  private appDestination(file: string): string | null {
    for (const matcher of this.appMatchers) {
      if (matcher.from === file) return slash(relative(APP_ROOT, matcher.to));
      if (inside(matcher.from, file) && passes(matcher, file)) return slash(relative(APP_ROOT, join(matcher.to, relative(matcher.from, file))));
    }
    // Production dependencies are copied by electron-builder's module collector, filtered by `files` exclusions.
    const fromRoot = slash(relative(this.projectDir, file));
    if (fromRoot.startsWith('node_modules/') && passes(this.nodeModuleMatcher, file)) return fromRoot;
    return null;
  }
}

export async function loadPackagePlan(projectDir: string, target: PackTarget): Promise<PackagePlan> {
  return new PackagePlan(await loadBuilderConfig(projectDir), projectDir, target);
}
