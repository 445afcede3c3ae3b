// `npm start`: opens the desktop app (building it first), or, where Electron's binary is not installed (offline
// machines install with --ignore-scripts), says so and starts web mode instead. Runs in Node; never imports Electron.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { relaunchWithMallocTunables } from '../scripts/malloc-tunables.mjs';
import { runCli } from './cli/options.ts';
import { startWebMode, stopOnSignals, WEB_USAGE } from './transport/web/main.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The Electron executable, or why there is none. */
export function findElectron(): { path: string } | { missing: string } {
  try {
    // In Node, the electron package's main export is the path of its downloaded binary.
    const path = createRequire(import.meta.url)('electron') as unknown;
    if (typeof path !== 'string') return { missing: 'the electron package did not name a binary' };
    return existsSync(path) ? { path } : { missing: `${path} does not exist` };
  } catch (error) {
    return { missing: (error as Error).message };
  }
}

async function main(): Promise<void> {
  // Web mode's engine and Electron's (which inherits this environment) both allocate through glibc on Linux.
  if (relaunchWithMallocTunables()) return;
  const argv = process.argv.slice(2);
  const electron = findElectron();
  if ('missing' in electron) {
    process.stderr.write(
      `Electron's binary is not installed here (${electron.missing}).\n` +
        `Starting web mode instead; open the address below in a browser.\n` +
        `(For the desktop app, run npm run fetch:binaries with network access, or npm rebuild electron.)\n\n`,
    );
    const starting = startWebMode(argv);
    stopOnSignals(starting);
    await starting;
    return;
  }
  // Electron runs JavaScript, not TypeScript: it starts the bundle that npm run build writes to dist/.
  const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) {
    process.exitCode = build.status ?? 1;
    return;
  }
  const child = spawn(electron.path, [ROOT, ...argv], { cwd: ROOT, stdio: 'inherit' });
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? (signal ? 1 : 0);
  });
}

await runCli(main, `Usage: npm start [-- web mode options]\n\n${WEB_USAGE}`);
