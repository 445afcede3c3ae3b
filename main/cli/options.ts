// Command-line options shared by generate, bench and friends, turned into a
// validated engine request. Runs in Node.

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { z } from 'zod';
import { EngineError } from '../core/errors.ts';
import { BackendLoadError } from '../engine/mlx/load-backend.ts';
import { GenerationRequestSchema, type GenerationRequest } from '../core/request.ts';
import { presetSettings } from '../core/teacache/presets.ts';
import type { ModelDefaults } from '../engine/models/image-model.ts';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A failure the user can fix outside the command line (a file that cannot be written): one line, no usage text. */
export class CliError extends Error {
  override readonly name = 'CliError';
}

export const generationOptions = {
  prompt: { type: 'string' },
  negative: { type: 'string' },
  seed: { type: 'string' },
  steps: { type: 'string' },
  width: { type: 'string' },
  height: { type: 'string' },
  guidance: { type: 'string' },
  threshold: { type: 'string' },
  rescale: { type: 'string' },
  'skip-early': { type: 'string' },
  policy: { type: 'string' },
  reuse: { type: 'string' },
  accumulate: { type: 'string' },
  'last-step': { type: 'string' },
  'max-reuses': { type: 'string' },
  window: { type: 'string' },
  'no-cache': { type: 'boolean' },
  model: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

type GenerationValues = { [K in keyof typeof generationOptions]?: (typeof generationOptions)[K]['type'] extends 'boolean' ? boolean : string };

function number(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value)) throw new UsageError(`--${name} expects a number, got "${raw}".`);
  return value;
}

export function parseCommandLine<O extends ParseArgsConfig['options']>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: false, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** The request with the model's named cache preset under whatever cache flags were given. */
export function withPreset(request: GenerationRequest, model: { readonly info: { readonly name: string }; readonly defaults: ModelDefaults }, name: string): GenerationRequest {
  if (request.cache?.enabled === false) throw new UsageError('--preset cannot be combined with --no-cache.');
  try {
    return { ...request, cache: { ...presetSettings(model.defaults.presets, name, model.info.name), ...request.cache } };
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** Builds the engine request from parsed flags; defaults are the model's. */
/** `--last-step always` forces the final step; `rule` leaves it to the policy (the default: the teacache policy forces it, the timestep rules do not). */
const LAST_STEP_CHOICES: Record<string, boolean> = { always: true, rule: false };

function window(raw: string | undefined): { startFraction?: number; endFraction?: number } {
  if (raw === undefined) return {};
  const parts = raw.split(',');
  const [start, end] = parts.map((part) => Number(part));
  if (parts.length !== 2 || parts.some((part) => part.trim() === '') || !Number.isFinite(start) || !Number.isFinite(end)) {
    throw new UsageError(`--window expects START,END as fractions of the steps, for example 0.1,0.9; got "${raw}".`);
  }
  return { startFraction: start, endFraction: end };
}

const CACHE_FLAGS = ['threshold', 'rescale', 'skip-early', 'policy', 'reuse', 'accumulate', 'last-step', 'max-reuses', 'window'] as const;

export function requestFromOptions(values: GenerationValues, fallback: { prompt?: string; seed?: number } = {}): GenerationRequest {
  if (values['no-cache'] && CACHE_FLAGS.some((flag) => values[flag] !== undefined)) {
    throw new UsageError(`--no-cache cannot be combined with ${CACHE_FLAGS.map((flag) => `--${flag}`).join(', ')}.`);
  }
  const lastStep = values['last-step'];
  if (lastStep !== undefined && !(lastStep in LAST_STEP_CHOICES)) throw new UsageError(`--last-step expects always or rule, got "${lastStep}".`);
  const prompt = values.prompt ?? fallback.prompt;
  if (prompt === undefined) throw new UsageError('--prompt is required, for example --prompt "red heart".');
  const candidate = {
    prompt,
    negativePrompt: values.negative,
    seed: number('seed', values.seed) ?? fallback.seed ?? 0,
    steps: number('steps', values.steps),
    width: number('width', values.width),
    height: number('height', values.height),
    guidanceScale: number('guidance', values.guidance),
    cache: values['no-cache']
      ? { enabled: false }
      : {
          enabled: true,
          threshold: number('threshold', values.threshold),
          rescaleFactor: number('rescale', values.rescale),
          skipEarlySteps: number('skip-early', values['skip-early']),
          policy: values.policy,
          reuse: values.reuse,
          accumulate: values.accumulate,
          ...(lastStep === undefined ? {} : { alwaysComputeLast: LAST_STEP_CHOICES[lastStep] }),
          maxConsecutiveReuses: number('max-reuses', values['max-reuses']),
          ...window(values.window),
        },
  };
  const parsed = GenerationRequestSchema.safeParse(JSON.parse(JSON.stringify(candidate)));
  if (!parsed.success) throw new UsageError(describeIssues(parsed.error));
  return parsed.data;
}

const FLAG_FOR_FIELD: Record<string, string> = {
  negativePrompt: '--negative',
  guidanceScale: '--guidance',
  'cache.threshold': '--threshold',
  'cache.policy': '--policy',
  'cache.reuse': '--reuse',
  'cache.rescaleFactor': '--rescale',
  'cache.skipEarlySteps': '--skip-early',
  'cache.accumulate': '--accumulate',
  'cache.maxConsecutiveReuses': '--max-reuses',
  'cache.startFraction': '--window',
  'cache.endFraction': '--window',
};

export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const field = issue.path.join('.');
      return `${FLAG_FOR_FIELD[field] ?? `--${field}`}: ${issue.message}`;
    })
    .join('\n');
}

/** Runs a CLI entry point, printing expected failures without a stack trace. */
export async function runCli(main: () => Promise<void> | void, usage: string): Promise<void> {
  try {
    await main();
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n\n${usage}\n`);
      process.exitCode = 2;
    } else if (error instanceof EngineError || error instanceof BackendLoadError || error instanceof CliError) {
      process.stderr.write(`error: ${error.message}\n`);
      process.exitCode = 1;
    } else {
      throw error;
    }
  }
}
