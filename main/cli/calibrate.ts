// `npm run calibrate`: fits a model's TeaCache rescale polynomial from uncached
// runs and saves it as calibration.json in the model folder (never touching
// model.json). Last line: one JSON object. Runs in Node.

import { resolve } from 'node:path';
import { calibrationPath, weightsFingerprint, writeCalibration } from '../engine/calibration/calibration-file.ts';
import { calibrateModel, DEFAULT_CALIBRATION_PROMPTS } from '../engine/calibration/calibrate.ts';
import { openGenerator } from '../engine/engine.ts';
import { builtinModelDir } from '../engine/models/pixel-flux/pixel-flux-model.ts';
import { parseIntegerList, readPromptFile } from './list-options.ts';
import { parseCommandLine, runCli, UsageError } from './options.ts';

const USAGE = `Usage: npm run calibrate -- [--model DIR] [--prompts FILE] [--seeds 1,2]
         [--steps N] [--guidance G] [--width W --height H] [--degree 4] [--dry-run]

Runs the model uncached for every prompt and seed, records each step's
input-side change (relative L1 of the first block's modulated input) and
output-side change (relative L1 of the velocity), fits the polynomial that
maps one to the other by least squares, and writes it with the fit's error
to DIR/calibration.json with the teacache policy's default threshold on its scale
(one at which these runs would have made half the forwards; only for runs at the
model's default steps, guidance and size), where the policy picks them up.
--width/--height: a smaller size calibrates a large model (Z-Image, FLUX) sooner;
the polynomial carries over, the default threshold is then left to the policy.
--prompts: a text file, one prompt a line (# starts a comment); default: a
built-in set of ${DEFAULT_CALIBRATION_PROMPTS.length} prompts. --dry-run prints the fit without saving.`;

function positiveInteger(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`--${flag} expects a positive whole number, got "${raw}".`);
  return value;
}

async function main(): Promise<void> {
  const { values } = parseCommandLine(process.argv.slice(2), {
    model: { type: 'string' },
    prompts: { type: 'string' },
    seeds: { type: 'string' },
    steps: { type: 'string' },
    guidance: { type: 'string' },
    width: { type: 'string' },
    height: { type: 'string' },
    degree: { type: 'string' },
    'dry-run': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const prompts = values.prompts ? readPromptFile(resolve(values.prompts)) : [...DEFAULT_CALIBRATION_PROMPTS];
  const seeds = values.seeds ? parseIntegerList('seeds', values.seeds) : [1];
  const steps = positiveInteger('steps', values.steps);
  const width = positiveInteger('width', values.width);
  const height = positiveInteger('height', values.height);
  const degree = values.degree === undefined ? 4 : Number(values.degree);
  if (!Number.isInteger(degree) || degree < 1 || degree > 8) throw new UsageError(`--degree expects a whole number from 1 to 8, got "${values.degree}".`);
  const guidanceScale = values.guidance === undefined ? undefined : Number(values.guidance);
  if (guidanceScale !== undefined && !Number.isFinite(guidanceScale)) throw new UsageError(`--guidance expects a number, got "${values.guidance}".`);

  const modelDir = resolve(values.model ?? builtinModelDir());
  const generator = await openGenerator({ modelDir });
  const { info } = generator.model;
  const log = (line: string) => process.stderr.write(`${line}\n`);
  log(`${info.name} on ${generator.backend.package} ${generator.backend.version} (${generator.backend.device})`);
  for (const note of info.notes) log(`note: ${note}`);

  const started = performance.now();
  const outcome = await calibrateModel(generator, {
    prompts,
    seeds,
    degree,
    weights: weightsFingerprint(modelDir),
    ...(steps === undefined ? {} : { steps }),
    ...(guidanceScale === undefined ? {} : { guidanceScale }),
    ...(width === undefined ? {} : { width }),
    ...(height === undefined ? {} : { height }),
    onRun: (done, total, prompt, seed) => log(`run ${done}/${total}: "${prompt}" seed ${seed}`),
  });
  const { calibration, flux1 } = outcome;
  const file = values['dry-run'] ? null : await writeCalibration(modelDir, calibration);
  const rows: Array<[string, string]> = [
    ['samples (step pairs)', String(calibration.fit.samples)],
    ['coefficients (highest power first)', calibration.coefficients.map((c) => c.toPrecision(6)).join(', ')],
    ['fit RMSE / relative error / R²', `${calibration.fit.rmse.toPrecision(3)} / ${(calibration.fit.relativeError * 100).toFixed(1)}% / ${calibration.fit.r2.toFixed(3)}`],
    [
      'teacache default threshold',
      calibration.threshold === undefined ? "none: runs at other steps, guidance or size than the model's defaults do not speak for the default run" : `${calibration.threshold.toPrecision(4)} (half the forwards on these runs)`,
    ],
    ["FLUX.1's polynomial on these samples", `RMSE ${flux1.rmse.toPrecision(3)}, relative error ${(flux1.relativeError * 100).toFixed(1)}%`],
    ['saved to', file ?? `(dry run; would write ${calibrationPath(modelDir)})`],
  ];
  if (!info.trained) rows.push(['warning', 'random weights: this fit describes noise, recalibrate once the model is trained']);
  const labelWidth = Math.max(...rows.map(([label]) => label.length));
  for (const [label, value] of rows) process.stdout.write(`${label.padEnd(labelWidth)}  ${value}\n`);
  process.stdout.write(`${JSON.stringify({ model: info.id, trained: info.trained, file, coefficients: calibration.coefficients, threshold: calibration.threshold, fit: calibration.fit, flux1, seconds: Number(((performance.now() - started) / 1000).toFixed(1)) })}\n`);
}

await runCli(main, USAGE);
