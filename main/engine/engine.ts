// One way to stand the engine up: load the MLX backend and a model, ready to
// generate. Used by the CLI, the benchmark and the worker thread.

import { Generator } from './generate.ts';
import { loadBackend, type BackendPreference } from './mlx/load-backend.ts';
import { EngineError } from '../core/errors.ts';
import { isFlux1Folder, loadModel, type LoadModelOptions } from './models/load-model.ts';
import { builtinModelDir, PixelFluxModel } from './models/pixel-flux-model.ts';

export interface EngineOptions {
  /** A model folder; the built-in model when omitted. */
  readonly modelDir?: string;
  /** native, npm or auto (native when built); TEACACHE_BACKEND, else auto, when omitted. */
  readonly backend?: BackendPreference;
}

export function createGenerator(options: EngineOptions = {}): Generator {
  const { mx, info } = loadBackend(options.backend);
  const dir = options.modelDir ?? builtinModelDir();
  if (isFlux1Folder(dir)) {
    throw new EngineError('BAD_REQUEST', `${dir} is a FLUX.1 folder, which loads asynchronously to keep memory down: use openGenerator().`, { file: dir });
  }
  const model = PixelFluxModel.load(mx, dir);
  return new Generator(mx, info, model);
}

/** Any model folder (the built-in model, FLUX.1 dev or schnell), loaded with memory released as it goes. */
export async function openGenerator(options: EngineOptions & LoadModelOptions = {}): Promise<Generator> {
  const { mx, info } = loadBackend(options.backend);
  const model = await loadModel(mx, options.modelDir ?? builtinModelDir(), options);
  return new Generator(mx, info, model);
}
