// `npm run build:native`: builds native/ (the MLX addon) with cmake-js against
// the MLX this machine has, then loads the result once to prove it works.
// Builds only our addon; it never fetches or builds MLX itself.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const nativeDir = dirname(fileURLToPath(import.meta.url));
const rootDir = dirname(nativeDir);
const addonPath = join(nativeDir, 'build', 'Release', 'teacache_mlx.node');

const HOW_TO_GET_MLX = `How to get MLX (the C++ library with its CMake package):
  - macOS on Apple silicon, Homebrew:  brew install mlx
  - macOS on Apple silicon, pip:       python3 -m pip install mlx   (found via python3 -m mlx --cmake-dir)
  - anywhere else: install MLX's C++ library, then run
      MLX_DIR=/path/to/prefix/share/cmake/MLX npm run build:native
The app keeps working on the npm backend (@frost-beta/mlx) without it. See native/README.md.`;

function fail(message: string): never {
  process.stderr.write(`\nbuild:native failed: ${message}\n`);
  process.exit(1);
}

function checkCmake(): void {
  const probe = spawnSync('cmake', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    fail('CMake is not installed or not on PATH.\n  - macOS: brew install cmake\n  - Debian/Ubuntu: sudo apt-get install cmake g++');
  }
}

/** Runs cmake-js, echoing its output, and resolves with everything it printed. */
function runCmakeJs(args: string[]): Promise<{ code: number; output: string }> {
  const cmakeJs = createRequire(import.meta.url).resolve('cmake-js/bin/cmake-js');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cmakeJs, ...args], { cwd: rootDir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      process.stdout.write(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      process.stderr.write(chunk);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

async function main(): Promise<void> {
  checkCmake();
  const args = ['build', '--directory', nativeDir, '--out', join(nativeDir, 'build')];
  const mlxDir = process.env.MLX_DIR;
  if (mlxDir) args.push(`--CDMLX_DIR=${mlxDir}`);
  // Extra flags pass through, e.g. npm run build:native -- --debug
  args.push(...process.argv.slice(2));

  const { code, output } = await runCmakeJs(args);
  if (code !== 0) {
    if (/MLX \(the C\+\+ library with its CMake package\) was not found/.test(output)) {
      fail(`MLX was not found${mlxDir ? ` at MLX_DIR=${mlxDir}` : ''}.\n${HOW_TO_GET_MLX}`);
    }
    fail('cmake-js exited with an error (see the output above).');
  }
  if (!existsSync(addonPath)) fail(`the build finished but ${addonPath} is missing.`);

  // Load in a fresh process: a missing libmlx at run time shows up here, not at the first image.
  const check = spawnSync(process.execPath, ['-e', `const m = require(${JSON.stringify(addonPath)}); console.log(m.version + ' ' + m.device)`], {
    encoding: 'utf8',
  });
  if (check.status !== 0) fail(`the addon was built but does not load:\n${check.stderr.trim()}`);
  const [version, device] = check.stdout.trim().split(' ');
  process.stdout.write(`\nBuilt ${addonPath}\nMLX ${version} on the ${device}. Use it with --backend native or TEACACHE_BACKEND=native (auto picks it when built).\n`);
}

main().catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)));
