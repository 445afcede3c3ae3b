// `npm run generate`: one image from the command line, with live progress,
// a PNG carrying its parameters and a JSON record of every step. Runs in Node.

import { closeSync, existsSync, mkdirSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { openGenerator } from '../engine/engine.ts';
import { describeBackend } from '../engine/mlx/load-backend.ts';
import type { Quantization } from '../engine/io/materialize.ts';
import { readNoiseFile } from '../engine/io/noise-file.ts';
import { skipNote } from './skip-note.ts';
import { recordPng, runRecord } from '../engine/io/run-record.ts';
import { describeGuidance } from '../core/resolve-request.ts';
import { fewerStepsRequest, uncachedRequest } from '../core/request.ts';
import type { StepEvent } from '../engine/sampler/sampler.ts';
import { besideOut, comparePlan, compareRefusal, comparisonBlock, comparisonFields, NO_CACHE_REFUSAL, predictedPlan, probesNote } from './compare.ts';
import type { GenerationResult, Generator, ResolvedRun } from '../engine/generate.ts';
import type { MxArray } from '../engine/mlx/backend.ts';
import { CliError, generationOptions, parseCommandLine, requestFromOptions, runCli, UsageError, withPreset } from './options.ts';

const USAGE = `Usage: npm run generate -- --prompt "red heart" [--negative "…"] [--seed N] [--steps N]
         [--width W --height H] [--guidance G]
         [--threshold T --rescale R --skip-early K | --no-cache]
         [--preset quality|balanced|fast]
         [--policy seed|timestep-consecutive|teacache|magcache|first-block|easycache]
         [--reuse output|residual|taylor|taylor2|hermite]
         [--accumulate consecutive|since-compute] [--last-step always|rule]
         [--max-reuses N] [--window START,END]
         [--model DIR [--quantize 4|8|none|auto]] [--noise FILE.safetensors] [--compare] --out FILE.png

Writes FILE.png (parameters in its "parameters" text chunk) and FILE.json
(every parameter, every step's cache decision, hits, misses and wall time).
TeaCache: a step reuses the last computed output until the policy's
accumulated distance passes --threshold; higher thresholds reuse more.
--preset: the model's measured Quality / Balanced / Fast setting (policy,
reuse and threshold); cache flags given beside it override its values.
--accumulate (teacache policy): add each step's change, or the change since
the last computed step. --last-step always: compute the final step whatever
the rule says (the teacache policy's default; rule: leave it to the rule).
--max-reuses: most reuses in a row. --window: cache only between these
fractions of the run, e.g. 0.1,0.9. --noise: start from these latents instead
of the seed's (one float32 tensor named "noise", diffusers' unpacked layout
[1, C, H/8, W/8]; FLUX.2 klein's pipeline latents [1, 128, H/16, W/16];
[1, 3, H, W] for the built-in model), to repeat a reference run.
--compare: after the cached run, make its uncached reference (same seed and
noise) and spend its N forwards on N plain uncached steps, as the app's "Same
forwards as plain steps" does; print each image's PSNR and SSIM against the
reference and what the cache bought, write FILE.uncached.png and
FILE.stepsN.png, and add "baseline" and "fewerSteps" to FILE.json. Refused
with --no-cache, or where the cache computes every step (before the run
where the policy reads only the schedule).
--guidance means what the model's reference pipeline makes of guidance_scale:
true CFG for the built-in model (1 turns it off), embedded guidance for
FLUX.1-dev; FLUX.1-schnell ignores it unless it is above 1 and --negative is
given (then true CFG, diffusers' true_cfg_scale); Z-Image runs CFG above 0;
FLUX.2 klein Base runs CFG above 1, and step-distilled klein ignores it.
The run says which applies.`;

export function formatStep(event: StepEvent): string {
  const decision = event.computed ? 'compute' : 'reuse  ';
  const cache = event.threshold === null ? 'cache off' : `acc ${event.accumulated.toFixed(3)} / ${event.threshold.toFixed(3)}`;
  return `step ${String(event.index + 1).padStart(3)}/${event.total}  t=${event.timestep.toFixed(3)}  ${decision}  ${cache}  ${event.ms.toFixed(1)} ms`;
}

function progressBar(done: number, total: number, width = 24): string {
  const filled = Math.round((done / total) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

/** --quantize for checkpoint folders (FLUX.1, Z-Image, FLUX.2 klein): bits of the linear weights, or auto (the lightest that fits this machine). */
function quantizeOption(raw: string | undefined): Quantization | 'auto' {
  if (raw === undefined || raw === 'auto') return 'auto';
  if (raw === 'none') return 'none';
  if (raw === '4' || raw === '8') return Number(raw) as 4 | 8;
  throw new UsageError(`--quantize takes 4, 8, none or auto, got "${raw}".`);
}

const WRITE_FAILURES: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  EISDIR: 'it is a folder',
  ENOTDIR: 'part of its path is a file, not a folder',
  // What mkdir says when a folder to create already exists as a file.
  EEXIST: 'part of its path is a file, not a folder',
  ENOENT: 'its folder does not exist and cannot be created',
  ENOSPC: 'the disk is full',
};

function cannotWrite(file: string, error: unknown): CliError {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  const why = WRITE_FAILURES[code] ?? (error as Error).message;
  return new CliError(`cannot write ${file}: ${why}. Choose another --out.`, { cause: error });
}

/** Fails before any generation when an output file could not be written, so minutes of work are never thrown away. */
function checkWritable(files: readonly string[]): void {
  for (const file of files) {
    const existed = existsSync(file);
    try {
      mkdirSync(dirname(file), { recursive: true });
      // Appending nothing opens the file for writing without touching what an existing one holds.
      closeSync(openSync(file, 'a'));
      if (!existed) rmSync(file);
    } catch (error) {
      throw cannotWrite(file, error);
    }
  }
}

function write(file: string, data: string | Uint8Array): void {
  try {
    writeFileSync(file, data);
  } catch (error) {
    throw cannotWrite(file, error);
  }
}

/** Runs `run` with each step's progress on stderr (one line redrawn on a terminal, a line a step otherwise). */
async function runWithProgress(generator: Generator, run: ResolvedRun, noise: MxArray | undefined): Promise<GenerationResult> {
  const tty = process.stderr.isTTY;
  const result = await generator.generateResolved(run, {
    ...(noise ? { noise } : {}),
    onStep: (event) => {
      const line = `${progressBar(event.index + 1, event.total)} ${formatStep(event)}`;
      process.stderr.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
    },
  });
  if (tty) process.stderr.write('\n');
  return result;
}

/**
 * --compare after the cached run: its uncached reference and its forwards as plain steps, both from the same
 * noise, their images beside `out`, and FILE.json written again with what they measured.
 */
async function compareRuns(generator: Generator, cached: GenerationResult, noise: MxArray | undefined, out: string, jsonFile: string): Promise<void> {
  const plan = comparePlan(cached, basename(out));
  if ('problem' in plan) throw new CliError(`${compareRefusal(plan, cached.request, 'ran')} (${out} and ${jsonFile} are written.)`);
  const uncachedFile = besideOut(out, 'uncached');
  const plainFile = besideOut(out, plan);
  checkWritable([uncachedFile, plainFile]);
  process.stderr.write(`--compare: the uncached reference, ${cached.request.steps} steps\n`);
  const uncached = await runWithProgress(generator, generator.resolve(uncachedRequest(cached.request)), noise);
  process.stderr.write(`--compare: the same ${plan.steps} forwards as plain steps\n`);
  const plain = await runWithProgress(generator, generator.resolve(fewerStepsRequest(cached.request, plan.steps)), noise);
  write(uncachedFile, recordPng(uncached));
  write(plainFile, recordPng(plain));
  const fields = comparisonFields(cached, { result: uncached, file: uncachedFile }, { result: plain, file: plainFile });
  write(jsonFile, `${JSON.stringify({ ...runRecord(cached), ...fields }, null, 2)}\n`);
  process.stderr.write(`${comparisonBlock(cached, fields)}\n`);
}

async function main(): Promise<void> {
  const { values } = parseCommandLine(process.argv.slice(2), {
    ...generationOptions,
    out: { type: 'string', short: 'o' },
    quantize: { type: 'string' },
    noise: { type: 'string' },
    preset: { type: 'string' },
    compare: { type: 'boolean' },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (!values.out) throw new UsageError('--out FILE.png is required.');
  if (!/\.png$/i.test(values.out)) throw new UsageError(`--out must name a .png file, got "${values.out}".`);
  // Before the request is built, so this conflict is named rather than another one it would meet.
  if (values.compare && values['no-cache']) throw new UsageError(NO_CACHE_REFUSAL);
  const request = requestFromOptions(values);
  const out = resolve(values.out);
  const jsonFile = out.replace(/\.png$/i, '.json');
  checkWritable([out, jsonFile, ...(values.compare ? [besideOut(out, 'uncached')] : [])]);

  const generator = await openGenerator({ ...(values.model ? { modelDir: values.model } : {}), quantize: quantizeOption(values.quantize) });
  const { info } = generator.model;
  process.stderr.write(`${info.name} on ${describeBackend(generator.backend)}\n`);
  for (const note of info.notes) process.stderr.write(`note: ${note}\n`);
  // Flags given beside a preset override its settings.
  const presetRequest = values.preset === undefined ? request : withPreset(request, generator.model, values.preset);
  const run = generator.resolve(presetRequest);
  const resolved = run.request;
  if (values.compare) {
    // Where the decisions follow from the schedule, a run with nothing to compare is refused before it starts.
    const predicted = predictedPlan(run, basename(out));
    if (predicted && 'problem' in predicted) throw new CliError(compareRefusal(predicted, resolved, 'predicted'));
    if (predicted) checkWritable([besideOut(out, predicted)]);
  }
  process.stderr.write(`guidance: ${describeGuidance(generator.model, resolved.guidanceScale, resolved.negativePrompt)}\n`);
  const note = skipNote(resolved, run.timesteps);
  if (note) process.stderr.write(`note: ${note}\n`);

  const noise = values.noise === undefined ? undefined : readNoiseFile(generator.mx, resolve(values.noise));
  const result = await runWithProgress(generator, run, noise);
  if (result.unknownWords.length > 0) {
    process.stderr.write(`note: the model does not know ${result.unknownWords.map((w) => `"${w}"`).join(', ')}; those words were ignored.\n`);
  }

  const record = runRecord(result);
  const png = recordPng(result, record);
  write(out, png);
  write(jsonFile, `${JSON.stringify(record, null, 2)}\n`);
  const { hits, misses } = result.stats;
  const probes = probesNote(result.stats);
  process.stderr.write(
    `wrote ${out} and ${jsonFile}\n${misses} forwards computed${probes}, ${hits} reused of ${result.request.steps} steps; wall ${result.wallMs.toFixed(0)} ms\n`,
  );
  if (values.compare) await compareRuns(generator, result, noise, out, jsonFile);
}

await runCli(main, USAGE);
