// One way to stand the engine up: load the MLX backend and a model, ready to
// generate. Used by the CLI, the benchmark and the worker thread.

import { Generator } from './generate.ts';
import { loadNpmBackend } from './mlx/load-backend.ts';
import { builtinModelDir, PixelFluxModel } from './models/pixel-flux-model.ts';

export interface EngineOptions {
  /** A model folder; the built-in model when omitted. */
  readonly modelDir?: string;
}

export function createGenerator(options: EngineOptions = {}): Generator {
  const { mx, info } = loadNpmBackend();
  const model = PixelFluxModel.load(mx, options.modelDir ?? builtinModelDir());
  return new Generator(mx, info, model);
}
