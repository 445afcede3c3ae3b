// Starts a command-line tool (`npm run generate` and friends) from its bundle in dist/cli/, building the bundle
// first when it is missing or older than any source it was built from. Plain JavaScript so that starting it costs
// no TypeScript transpiling; only a rebuild goes through tsx (scripts/build-app.ts --cli NAME).
//
//   node scripts/run-cli.mjs generate --prompt "red heart"

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { relaunchWithMallocTunables } from './malloc-tunables.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Whether dist/cli/NAME.mjs can run as is: it exists, and so does the list of sources it was built from, none of
 * them missing or changed since.
 * @param {string} root
 * @param {string} name
 * @returns {boolean}
 */
export function isBundleFresh(root, name) {
  const bundle = join(root, 'dist', 'cli', `${name}.mjs`);
  const inputsFile = `${bundle}.inputs.json`;
  if (!existsSync(bundle) || !existsSync(inputsFile)) return false;
  const builtAt = statSync(bundle).mtimeMs;
  /** @type {unknown} */
  let inputs;
  try {
    inputs = JSON.parse(readFileSync(inputsFile, 'utf8'));
  } catch {
    return false;
  }
  if (!Array.isArray(inputs) || inputs.length === 0) return false;
  return inputs.every((input) => {
    const file = join(root, String(input));
    return existsSync(file) && statSync(file).mtimeMs <= builtAt;
  });
}

async function main() {
  if (relaunchWithMallocTunables()) return;
  const [name, ...args] = process.argv.slice(2);
  if (!name || !existsSync(join(ROOT, 'main', 'cli', `${name}.ts`))) {
    console.error(`run-cli: no command "${name ?? ''}" in main/cli/. Run one of the npm scripts, e.g. npm run generate.`);
    process.exit(2);
  }
  if (!isBundleFresh(ROOT, name)) {
    process.stderr.write(`Building the ${name} command (once after each change to its sources)…\n`);
    const built = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'build-app.ts'), '--cli', name], { cwd: ROOT, stdio: 'inherit' });
    if (built.status !== 0) process.exit(built.status ?? 1);
  }
  const bundle = join(ROOT, 'dist', 'cli', `${name}.mjs`);
  // The tool reads its flags from process.argv.slice(2), as when started directly.
  process.argv = [process.argv[0], bundle, ...args];
  await import(pathToFileURL(bundle).href);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
