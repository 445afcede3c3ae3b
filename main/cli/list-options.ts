// Command-line values that are lists: prompt files and comma-separated
// numbers, shared by calibrate and bench:policies. Runs in Node; no engine.

import { readFileSync } from 'node:fs';
import { UsageError } from './options.ts';

export function readPromptFile(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`Cannot read the prompts file ${file}: ${(error as Error).message}`);
  }
  const prompts = text
    .split(/\r?\n/)
    .map((line) => line.replace(/#.*/, '').trim())
    .filter((line) => line !== '');
  if (prompts.length === 0) throw new UsageError(`${file} holds no prompts: write one prompt a line.`);
  return prompts;
}

export function parseIntegerList(flag: string, raw: string): number[] {
  const values = raw.split(',').map((part) => Number(part.trim()));
  if (values.length === 0 || !values.every((v) => Number.isInteger(v) && v >= 0)) {
    throw new UsageError(`--${flag} expects whole numbers separated by commas, e.g. 1,2,3; got "${raw}".`);
  }
  return values;
}

export function numberList(flag: string, raw: string, min: number): number[] {
  const values = raw.split(',').map((part) => Number(part.trim()));
  if (!values.every((v) => Number.isFinite(v) && v >= min)) throw new UsageError(`--${flag} expects numbers ≥ ${min} separated by commas, e.g. 1.5,2,3; got "${raw}".`);
  return values;
}
