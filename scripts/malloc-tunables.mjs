// Starts a Node entry point (the CLI, web mode, `npm start`) again with glibc's allocator told to keep freed memory
// mapped, since that can only be set before a process starts. Plain JavaScript so that scripts/run-cli.mjs can use
// it before any TypeScript is loaded.
//
// Why: every MLX array the engine makes is held by a JavaScript wrapper until V8 collects it between steps, so each
// CPU forward writes its intermediates into memory the allocator has just handed back to the kernel, and faults every
// page in again. With glibc's defaults the heap is trimmed after each step: on a 2-core Linux VM a 64 px forward of
// the built-in model made 900 to 16 000 page faults (from one process to the next) and ran in 79 to 132 ms; with these
// settings under 100, in 75 to 81 ms, at 64 MB of memory kept per allocator arena. macOS and musl ignore the variable.

import { spawn } from 'node:child_process';
import { url as inspectorUrl } from 'node:inspector';
import { Socket } from 'node:net';
import { constants } from 'node:os';

/** Allocations under 32 MB come from the heap, and a trim keeps 64 MB at its top for the next step to reuse. */
export const MALLOC_TUNABLES = 'glibc.malloc.mmap_threshold=33554432:glibc.malloc.top_pad=67108864';

const VARIABLE = 'GLIBC_TUNABLES';

/** Set only in the relaunched child's environment, naming the descriptor of a pipe that stays open while its parent lives. */
const PARENT_PIPE = 'TEACACHE_RELAUNCH_PARENT_FD';

/**
 * `env` with MALLOC_TUNABLES added to GLIBC_TUNABLES, or undefined when there is nothing to add: not Linux, or the
 * variable already names a malloc setting (this process was started with them, or the user chose their own).
 * @param {NodeJS.ProcessEnv} env
 * @param {NodeJS.Platform} platform
 * @returns {NodeJS.ProcessEnv | undefined}
 */
export function mallocTunedEnv(env, platform) {
  if (platform !== 'linux') return undefined;
  const current = env[VARIABLE] ?? '';
  if (current.includes('glibc.malloc.')) return undefined;
  return { ...env, [VARIABLE]: current === '' ? MALLOC_TUNABLES : `${current}:${MALLOC_TUNABLES}` };
}

/**
 * `env` as it was before mallocTunedEnv: for a program that should run as its user would start it (bench:engine's
 * PyTorch), not with the engine's allocator settings.
 * @param {NodeJS.ProcessEnv} env
 * @returns {NodeJS.ProcessEnv}
 */
export function withoutMallocTunables(env) {
  const current = env[VARIABLE];
  if (current === undefined || !current.endsWith(MALLOC_TUNABLES)) return env;
  const before = current.slice(0, -MALLOC_TUNABLES.length).replace(/:$/, '');
  const { [VARIABLE]: _ours, ...rest } = env;
  return before === '' ? rest : { ...rest, [VARIABLE]: before };
}

/**
 * Takes the tunables back out of this process's own environment once glibc has read them (it does so only at
 * startup), so that what the process starts from now on runs as its user would start it: the desktop app's browser
 * (xdg-open, where none was running), not the engine's allocator settings.
 * @param {NodeJS.ProcessEnv} env
 */
export function forgetMallocTunables(env = process.env) {
  const user = withoutMallocTunables(env);
  if (user === env) return;
  const own = user[VARIABLE];
  if (own === undefined) delete env[VARIABLE];
  else env[VARIABLE] = own;
}

/**
 * Runs this same command (Node flags, script and arguments) again in a child with the tunables, passing on the
 * signals meant for it and exiting with its status, and returns true; returns false, having done nothing, where
 * mallocTunedEnv has nothing to add or a debugger may be attached, and in the child, which it has stop should this
 * process be killed outright. A caller that gets true must do no work of its own.
 * @returns {boolean}
 */
export function relaunchWithMallocTunables() {
  // Under --inspect the child's inspector could not have the port this one holds, and a debugger attached here
  // would watch a process that only waits: the command runs here, with glibc's defaults.
  if (inspectorUrl() !== undefined) return false;
  const parentPipe = process.env[PARENT_PIPE];
  if (parentPipe !== undefined) {
    delete process.env[PARENT_PIPE];
    stopWithParent(Number(parentPipe));
    return false;
  }
  const env = mallocTunedEnv(process.env, process.platform);
  if (!env) return false;
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
    env: { ...env, [PARENT_PIPE]: '3' },
  });
  // The child shares this process group, so a terminal's Ctrl-C or a signal to the group reaches it twice: the
  // entry points stop once however many arrive. A signal sent to this process alone must still reach it.
  /** @type {Map<NodeJS.Signals, () => void>} */
  const passOn = new Map();
  for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP'])) passOn.set(signal, () => child.kill(signal));
  for (const [signal, handler] of passOn) process.on(signal, handler);
  child.on('error', (error) => {
    process.stderr.write(`Could not start ${process.argv[1] ?? 'the command'} again: ${error.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    if (signal) {
      // End by the same signal, not by an exit status that only looks like it: a shell stops a script or loop at a
      // command a Ctrl-C ended only when that command died of SIGINT, and npm and process managers report the signal.
      for (const [passed, handler] of passOn) process.off(passed, handler);
      process.kill(process.pid, signal);
    }
    // A signal this process ignores (or none) leaves it here.
    process.exit(code ?? 128 + (signal ? constants.signals[signal] : 0));
  });
  return true;
}

/**
 * In the relaunched child: stops it (SIGTERM, so web mode still stops cleanly) once the pipe its parent holds closes.
 * A parent killed outright (kill -9, timeout -s KILL) passes on no signal, and the child would run its generation on
 * with nobody waiting for it.
 * @param {number} fd
 */
function stopWithParent(fd) {
  if (!Number.isInteger(fd)) return;
  let pipe;
  try {
    pipe = new Socket({ fd, readable: true, writable: false });
  } catch {
    return;
  }
  pipe.on('error', () => undefined);
  pipe.on('close', () => process.kill(process.pid, 'SIGTERM'));
  pipe.resume();
  pipe.unref();
}
