// Reads safetensors weights through MLX and checks them against the shapes a
// model expects, naming the file and the parameter in every error.
// Runs in the engine.

import type { MxArray, MxBackend } from '../mlx/backend.ts';
import { EngineError } from '../../core/errors.ts';
import type { ParamShapes } from '../models/layers.ts';
import { readSafetensorsHeader } from './safetensors.ts';

/** Loads every tensor of a safetensors file after checking its header and size. */
export function loadSafetensors(mx: MxBackend, file: string): Record<string, MxArray> {
  readSafetensorsHeader(file);
  let loaded: Record<string, MxArray> | MxArray;
  try {
    loaded = mx.load(file);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new EngineError(
      'MODEL_INVALID',
      `Could not read the weights file ${file}: ${reason}. The file may be missing, truncated or not in safetensors format; download or export it again.`,
      { file },
      { cause: error },
    );
  }
  if (!isRecord(loaded)) {
    throw new EngineError('MODEL_INVALID', `${file} holds a single array, not named safetensors weights.`, { file });
  }
  return loaded;
}

function isRecord(value: Record<string, MxArray> | MxArray): value is Record<string, MxArray> {
  return !('shape' in value && Array.isArray((value as MxArray).shape));
}

/**
 * Checks names and shapes against `expected` and casts to float32 for compute.
 * Lists every missing, unexpected or mis-shaped parameter at once.
 */
export function checkParams(mx: MxBackend, file: string, loaded: Record<string, MxArray>, expected: ParamShapes): Record<string, MxArray> {
  const problems: string[] = [];
  for (const [name, shape] of Object.entries(expected)) {
    const value = loaded[name];
    if (!value) problems.push(`missing "${name}" (expected shape [${shape.join(', ')}])`);
    else if (value.shape.join(',') !== shape.join(',')) {
      problems.push(`"${name}" has shape [${value.shape.join(', ')}], expected [${shape.join(', ')}]`);
    }
  }
  for (const name of Object.keys(loaded)) {
    if (!(name in expected)) problems.push(`unexpected "${name}"`);
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 12).join('; ');
    const more = problems.length > 12 ? `; and ${problems.length - 12} more` : '';
    throw new EngineError(
      'MODEL_INVALID',
      `${file} does not match the model's configuration: ${shown}${more}. Check that the weights and config.json come from the same model.`,
      { file, problems },
    );
  }
  const params: Record<string, MxArray> = {};
  for (const name of Object.keys(expected)) params[name] = loaded[name]!.astype(mx.float32);
  return params;
}
