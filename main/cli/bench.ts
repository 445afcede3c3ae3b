// `npm run bench`: what TeaCache buys on the built-in model, measured in one
// process — forward time, forwards computed, wall-time speedup against the
// uncached run, and the cache bookkeeping's cost. Last line: one JSON object.

import { createGenerator } from '../engine/engine.ts';
import type { GenerationResult } from '../engine/generate.ts';
import { resolveRequest } from '../engine/resolve-request.ts';
import { scheduleFor } from '../engine/sampler/schedule.ts';
import { SeedPolicy } from '../engine/teacache/seed-policy.ts';
import { TeaCache } from '../engine/teacache/teacache.ts';
import { generationOptions, parseCommandLine, requestFromOptions, runCli, UsageError } from './options.ts';
import { mean, median, round } from './stats.ts';

const USAGE = `Usage: npm run bench -- [--repeats N] [--prompt "…"] [--seed N] [--steps N]
         [--threshold T --rescale R --skip-early K] [--model DIR]

Runs the same request uncached and cached, alternating, --repeats times each
(default 3) after one warm-up, and reports medians.`;

/**
 * Time per step of the cache's own work — the policy's decision plus storing
 * or fetching the output — over many passes of the real schedule.
 */
export function bookkeepingMsPerStep(config: ConstructorParameters<typeof SeedPolicy>[0], timesteps: readonly number[], passes = 20_000): number {
  const output = {};
  const steps = timesteps.length - 1;
  const started = performance.now();
  for (let pass = 0; pass < passes; pass++) {
    const cache = new TeaCache<object>(new SeedPolicy(config));
    for (let step = 0; step < steps; step++) {
      const t = timesteps[step]!;
      if (cache.shouldCompute(step, t)) cache.updateCFGCache(output, output, t);
      else cache.getCFGCached();
    }
  }
  return (performance.now() - started) / (passes * steps);
}

async function main(): Promise<void> {
  const { values } = parseCommandLine(process.argv.slice(2), { ...generationOptions, repeats: { type: 'string' } });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (values['no-cache']) throw new UsageError('bench always runs both uncached and cached; drop --no-cache.');
  const repeats = Number(values.repeats ?? 3);
  if (!Number.isInteger(repeats) || repeats < 1) throw new UsageError(`--repeats expects a positive integer, got "${values.repeats}".`);

  const request = requestFromOptions(values, { prompt: 'red heart', seed: 1 });
  const uncachedRequest = { ...request, cache: { enabled: false } };
  const generator = createGenerator(values.model ? { modelDir: values.model } : {});
  const log = (line: string) => process.stderr.write(`${line}\n`);
  log(`${generator.model.info.name} on ${generator.backend.package} ${generator.backend.version} (${generator.backend.device})`);

  await generator.generate({ ...uncachedRequest, steps: Math.min(4, request.steps ?? 4) });
  const uncached: GenerationResult[] = [];
  const cached: GenerationResult[] = [];
  for (let i = 0; i < repeats; i++) {
    uncached.push(await generator.generate(uncachedRequest));
    cached.push(await generator.generate(request));
    log(`repeat ${i + 1}/${repeats}: uncached ${uncached[i]!.wallMs.toFixed(0)} ms, cached ${cached[i]!.wallMs.toFixed(0)} ms`);
  }

  const resolved = resolveRequest(generator.model, request);
  const steps = resolved.steps;
  const forwardMs = median(uncached.map((run) => mean(run.events.map((e) => e.ms))));
  const reusedStepMs = median(cached.map((run) => mean(run.events.filter((e) => !e.computed).map((e) => e.ms))));
  const forwards = cached[0]!.stats.forwards;
  const uncachedWallMs = median(uncached.map((run) => run.wallMs));
  const cachedWallMs = median(cached.map((run) => run.wallMs));
  const bookkeepingMs = bookkeepingMsPerStep(resolved.cache, scheduleFor(resolved, generator.model.info.sizeMultiple));

  const figures = {
    model: generator.model.info.id,
    trained: generator.model.info.trained,
    backend: `${generator.backend.package}@${generator.backend.version}`,
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
    idealSpeedup: round(steps / forwards, 3),
    bookkeepingUsPerStep: round(bookkeepingMs * 1000, 3),
    bookkeepingFractionOfForward: round(bookkeepingMs / forwardMs, 7),
  };

  const rows: Array<[string, string]> = [
    ['per-step forward (uncached step)', `${figures.forwardMs} ms`],
    ['reused step (CFG recombine + update)', `${figures.reusedStepMs} ms`],
    ['forwards computed', `${forwards} of ${steps}`],
    ['wall time uncached / cached', `${figures.uncachedWallMs} / ${figures.cachedWallMs} ms`],
    ['wall-time speedup (ideal)', `${figures.speedup}× (${figures.idealSpeedup}×)`],
    ['cache bookkeeping per step', `${figures.bookkeepingUsPerStep} µs = ${(figures.bookkeepingFractionOfForward * 100).toFixed(5)}% of a forward`],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  for (const [label, value] of rows) process.stdout.write(`${label.padEnd(width)}  ${value}\n`);
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

await runCli(main, USAGE);
