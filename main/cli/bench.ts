// `npm run bench`: what TeaCache buys on the built-in model, measured in one
// process — forward time, forwards computed, wall-time speedup against the
// uncached run, and the cache bookkeeping's cost. Last line: one JSON object.

import { openGenerator } from '../engine/engine.ts';
import type { GenerationResult } from '../engine/generate.ts';
import type { GenerationRequest } from '../core/request.ts';
import { idealSpeedup } from '../core/teacache/step-cost.ts';
import { describeBackend, parseBackendPreference, type BackendPreference } from '../engine/mlx/load-backend.ts';
import { bookkeepingMsPerStep } from './bookkeeping.ts';
import { generationOptions, parseCommandLine, requestFromOptions, runCli, UsageError, withPreset } from './options.ts';
import { mean, median, round } from './stats.ts';

const USAGE = `Usage: npm run bench -- [--repeats N] [--prompt "…"] [--seed N] [--steps N]
         [--preset quality|balanced|fast] [--threshold T --rescale R --skip-early K]
         [--policy NAME ...] [--model DIR] [--backend npm|native|auto ...]

Runs the same request uncached and cached, alternating, --repeats times each
(default 3) after one warm-up, and reports medians. Give --backend more than
once (e.g. --backend npm --backend native) to measure backends side by side in
one process. --preset and the cache flags mean what they mean for generate.`;

type Figures = Awaited<ReturnType<typeof measure>>;

async function measure(backend: BackendPreference, given: GenerationRequest, repeats: number, modelDir: string | undefined, preset: string | undefined) {
  const generator = await openGenerator({ backend, ...(modelDir ? { modelDir } : {}) });
  // Flags given beside a preset override its settings, as in generate.
  const request = preset === undefined ? given : withPreset(given, generator.model, preset);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  log(`${generator.model.info.name} on ${describeBackend(generator.backend)}`);
  const uncachedRequest = { ...request, cache: { enabled: false } };

  await generator.generate({ ...uncachedRequest, steps: Math.min(4, request.steps ?? 4) });
  const uncached: GenerationResult[] = [];
  const cached: GenerationResult[] = [];
  for (let i = 0; i < repeats; i++) {
    uncached.push(await generator.generate(uncachedRequest));
    cached.push(await generator.generate(request));
    log(`repeat ${i + 1}/${repeats}: uncached ${uncached[i]!.wallMs.toFixed(0)} ms, cached ${cached[i]!.wallMs.toFixed(0)} ms`);
  }

  // Every cached run ran this request, resolved as it ran.
  const resolved = cached[0]!.request;
  const steps = resolved.steps;
  const forwardMs = median(uncached.map((run) => mean(run.events.map((e) => e.ms))));
  const reusedStepMs = median(cached.map((run) => mean(run.events.filter((e) => !e.computed).map((e) => e.ms))));
  const { forwards, forwardEquivalents } = cached[0]!.stats;
  const uncachedWallMs = median(uncached.map((run) => run.wallMs));
  const cachedWallMs = median(cached.map((run) => run.wallMs));
  const bookkeepingMs = bookkeepingMsPerStep(resolved.cache, cached[0]!.timesteps);
  return {
    model: generator.model.info.id,
    trained: generator.model.info.trained,
    backend: generator.backend.name,
    backendVersion: `${generator.backend.package}@${generator.backend.mlxVersion ?? generator.backend.version}`,
    device: generator.backend.device,
    size: `${resolved.width}x${resolved.height}`,
    steps,
    guidanceMode: resolved.guidanceMode,
    cache: resolved.cache,
    repeats,
    forwardMs: round(forwardMs, 2),
    reusedStepMs: round(reusedStepMs, 3),
    forwards,
    uncachedWallMs: round(uncachedWallMs, 1),
    cachedWallMs: round(cachedWallMs, 1),
    speedup: round(uncachedWallMs / cachedWallMs, 3),
    forwardEquivalents: round(forwardEquivalents, 3),
    idealSpeedup: round(idealSpeedup(steps, forwardEquivalents), 3),
    bookkeepingUsPerStep: round(bookkeepingMs * 1000, 3),
    bookkeepingFractionOfForward: round(bookkeepingMs / forwardMs, 7),
  };
}

function printTable(columns: readonly Figures[]): void {
  const rows: Array<[string, (f: Figures) => string]> = [
    ['per-step forward (uncached step)', (f) => `${f.forwardMs} ms`],
    ['reused step (recombine + update)', (f) => `${f.reusedStepMs} ms`],
    ['forwards computed', (f) => `${f.forwards} of ${f.steps}${f.forwardEquivalents === f.forwards ? '' : ` (${f.forwardEquivalents} forwards' cost, the reused steps' first blocks counted)`}`],
    ['wall time uncached / cached', (f) => `${f.uncachedWallMs} / ${f.cachedWallMs} ms`],
    ['wall-time speedup (ideal)', (f) => `${f.speedup}× (${f.idealSpeedup}×)`],
    ['cache bookkeeping per step', (f) => `${f.bookkeepingUsPerStep} µs = ${(f.bookkeepingFractionOfForward * 100).toFixed(5)}% of a forward`],
  ];
  const labelWidth = Math.max(...rows.map(([label]) => label.length));
  const cells = rows.map(([, cell]) => columns.map(cell));
  const widths = columns.map((_, c) => Math.max(columns[c]!.backend.length, ...cells.map((row) => row[c]!.length)));
  if (columns.length > 1) {
    process.stdout.write(`${''.padEnd(labelWidth)}  ${columns.map((f, c) => f.backend.padEnd(widths[c]!)).join('  ').trimEnd()}\n`);
  }
  rows.forEach(([label], r) => {
    process.stdout.write(`${label.padEnd(labelWidth)}  ${cells[r]!.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd()}\n`);
  });
}

async function main(): Promise<void> {
  const { values } = parseCommandLine(process.argv.slice(2), {
    ...generationOptions,
    repeats: { type: 'string' },
    preset: { type: 'string' },
    backend: { type: 'string', multiple: true },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (values['no-cache']) throw new UsageError('bench always runs both uncached and cached; drop --no-cache.');
  const repeats = Number(values.repeats ?? 3);
  if (!Number.isInteger(repeats) || repeats < 1) throw new UsageError(`--repeats expects a positive integer, got "${values.repeats}".`);
  const backends = (values.backend ?? ['auto']).map((value) => {
    try {
      return parseBackendPreference(value);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  });

  const request = requestFromOptions(values, { prompt: 'red heart', seed: 1 });
  const measured: Figures[] = [];
  for (const backend of backends) measured.push(await measure(backend, request, repeats, values.model, values.preset));
  printTable(measured);
  const summary = measured.length === 1 ? measured[0] : { byBackend: Object.fromEntries(measured.map((f) => [f.backend, f])) };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

await runCli(main, USAGE);
