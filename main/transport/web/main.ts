// `npm run web`: the app in a browser. Starts the engine host, opens the history, serves the renderer and the
// contract on 127.0.0.1 and prints the URL. Runs in Node; no Electron imports.

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { relaunchWithMallocTunables } from '../../../scripts/malloc-tunables.mjs';
import { defaultDataDir, HistoryStore } from '../../app/history-store.ts';
import { userCalibrationDir } from '../../engine/calibration/calibration-store.ts';
import { EngineHost } from '../../host/engine-host.ts';
import { startupModel } from '../../app/model-choice.ts';
import { StudioService } from '../../app/studio-service.ts';
import { parseCommandLine, runCli, UsageError } from '../../cli/options.ts';
import { startWebServer, WEB_HOST, type RunningWebServer } from './web-server.ts';

export const WEB_USAGE = `Usage: npm run web -- [--port N] [--data-dir DIR] [--model DIR] [--renderer DIR]

Serves TeaCache Studio at http://${WEB_HOST}:PORT/ (this machine only).
  --port N        port to listen on (default: $PORT, else 5174; 0 picks a free one)
  --data-dir DIR  where the run history lives (default: $TEACACHE_STUDIO_DATA, else ~/.teacache-studio)
  --model DIR     a model folder (default: the one last opened in the app, else the built-in model)
  --renderer DIR  the built UI (default: dist/renderer; build it with npm run build:renderer)`;

export const DEFAULT_PORT = 5174;

export function defaultRendererDir(): string {
  return fileURLToPath(new URL('../../../dist/renderer/', import.meta.url));
}

/** First run from sources: build the UI once (a couple of seconds) rather than serve a page that says to. */
async function buildRenderer(): Promise<void> {
  const config = fileURLToPath(new URL('../../../renderer/vite.config.ts', import.meta.url));
  if (!existsSync(config)) return;
  process.stdout.write('The renderer is not built yet; building it (npm run build:renderer)...\n');
  try {
    const { build } = await import('vite');
    await build({ configFile: config, root: dirname(config), logLevel: 'warn' });
  } catch (error) {
    process.stderr.write(`Could not build the renderer: ${(error as Error).message}\nRun npm run build:renderer and look at its output.\n`);
  }
}

/** One line for a port the system will not give us, naming the way out; undefined for any other failure. */
function listenRefusal(error: unknown, port: number): string | undefined {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'EADDRINUSE') {
    return `Port ${port} on ${WEB_HOST} is already in use (another npm run web?): stop that, or pick another port with --port N (--port 0 picks a free one).`;
  }
  if (code === 'EACCES') return `Port ${port} needs privileges this user lacks: pick a port above 1023 with --port N (default ${DEFAULT_PORT}).`;
  return undefined;
}

export interface WebMode {
  readonly server: RunningWebServer;
  stop(): Promise<void>;
}

export async function startWebMode(argv: string[]): Promise<WebMode | undefined> {
  const { values } = parseCommandLine(argv, {
    port: { type: 'string' },
    'data-dir': { type: 'string' },
    model: { type: 'string' },
    renderer: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(`${WEB_USAGE}\n`);
    return undefined;
  }
  const rawPort = values.port ?? process.env.PORT ?? String(DEFAULT_PORT);
  const port = Number(rawPort);
  if (!/^\d+$/.test(rawPort) || port > 65535) throw new UsageError(`--port expects a whole number from 0 to 65535, got "${rawPort}".`);

  const rendererDir = values.renderer ?? defaultRendererDir();
  if (!values.renderer && !existsSync(join(rendererDir, 'index.html'))) await buildRenderer();

  const dataDir = defaultDataDir(values['data-dir']);
  const history = HistoryStore.open(dataDir);
  // --model wins; else the remembered folder when it still validates, else the built-in model with a note.
  const startup = startupModel(history.dir, values.model ? { explicit: values.model } : {});
  const host = new EngineHost({ ...(startup.modelDir ? { modelDir: startup.modelDir } : {}), calibrationDir: userCalibrationDir(history.dir) });
  const service = new StudioService(host, history, { modelSource: startup.source });
  let server: RunningWebServer;
  try {
    server = await startWebServer({ service, rendererDir, port });
  } catch (error) {
    service.close();
    await host.close();
    const refusal = listenRefusal(error, port);
    if (!refusal) throw error;
    process.stderr.write(`${refusal}\n`);
    process.exitCode = 1;
    return undefined;
  }

  process.stdout.write(`TeaCache Studio (web mode) is serving ${server.url}\n  history: ${history.runsDir} (${history.list().length} runs)\n`);
  for (const problem of history.problems) process.stderr.write(`note: ${problem.message}\n`);
  if (startup.source.note) process.stderr.write(`note: ${startup.source.note}\n`);
  // Load the engine now, so the first Generate does not wait for it.
  host.info().then(
    (info) => process.stdout.write(`  engine: ${info.model.name} on ${info.backend.package} ${info.backend.version} (${info.backend.device})\n`),
    (error: unknown) => process.stderr.write(`The engine did not start: ${(error as Error).message}\n`),
  );

  const stop = async () => {
    service.close();
    await server.close();
    await host.close();
  };
  return { server, stop };
}

async function main(): Promise<void> {
  if (relaunchWithMallocTunables()) return;
  const starting = startWebMode(process.argv.slice(2));
  stopOnSignals(starting);
  await starting;
}

/**
 * A stop signal this long after the first is the user's again, not the copy a relaunching parent passes on (that
 * follows within milliseconds): stopping waits for the engine's current forward, which can take minutes for a large
 * model on a CPU, and a second Ctrl-C must still quit at once.
 */
export const REPEAT_SIGNAL_MS = 1000;

/**
 * Stops web mode on SIGINT or SIGTERM and exits, once, from the moment it starts starting: a relaunched process
 * (scripts/malloc-tunables.mjs) can get the same signal twice, from its terminal or process group and passed on by
 * its parent, and must still finish stopping; a stop signal again REPEAT_SIGNAL_MS later ends it by that signal
 * without waiting. Starting that fails exits as runCli says.
 */
export function stopOnSignals(starting: Promise<{ stop(): Promise<void> } | undefined>): void {
  let stopping: Promise<void> | undefined;
  let since = 0;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) {
      if (performance.now() - since < REPEAT_SIGNAL_MS) return;
      process.off('SIGINT', shutdown);
      process.off('SIGTERM', shutdown);
      process.kill(process.pid, signal);
      return;
    }
    since = performance.now();
    stopping = starting.then(
      (mode) => {
        if (!mode) return;
        process.stdout.write('Stopping (after the engine\'s current step; Ctrl-C again to quit at once)\n');
        return mode.stop().then(() => process.exit(0));
      },
      () => undefined,
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await runCli(main, WEB_USAGE);
