// One way to stand the engine up: load the MLX backend and a model, with the calibration that applies to it in
// force, ready to generate. Used by the CLI, the benchmark and the worker thread.

import { calibrationInForce, calibrationPlace, type CalibrationInForce } from './calibration/calibration-store.ts';
import { Generator } from './generate.ts';
import { loadBackend, type BackendPreference } from './mlx/load-backend.ts';
import type { ImageModel } from './models/image-model.ts';
import { loadModel } from './models/load-model.ts';
import type { LoadModelOptions } from './models/model-family.ts';
import { builtinModelDir } from './models/pixel-flux/pixel-flux-model.ts';

export interface EngineOptions {
  /** A model folder; the built-in model when omitted. */
  readonly modelDir?: string;
  /** native, npm or auto (native when built); TEACACHE_BACKEND, else auto, when omitted. */
  readonly backend?: BackendPreference;
  /** The app's calibrations folder, searched beside the model folder's calibration.json; none when omitted. */
  readonly calibrationDir?: string;
}

/** The model as loaded, and which calibration applies to it: the worker keeps both, to put a new calibration in force later. */
export interface LoadedEngine {
  readonly loaded: Generator;
  readonly calibration: CalibrationInForce;
}

/** The calibration's view of the model, with any calibration file that could not be read named in its notes. */
function inForce(loaded: Generator, calibration: CalibrationInForce): Generator {
  const { model, notes } = calibration;
  const noted = notes.length ? (Object.create(model, { info: { value: { ...model.info, notes: [...model.info.notes, ...notes] }, enumerable: true } }) as ImageModel) : model;
  return new Generator(loaded.mx, loaded.backend, noted);
}

/** Any model folder (the built-in model, FLUX.1 dev or schnell, Z-Image or Z-Image-Turbo, FLUX.2 klein), loaded with memory released as it goes. */
export async function loadEngine(options: EngineOptions & LoadModelOptions = {}): Promise<LoadedEngine> {
  const { mx, info } = loadBackend(options.backend);
  const model = await loadModel(mx, options.modelDir ?? builtinModelDir(), options);
  return { loaded: new Generator(mx, info, model), calibration: calibrationInForce(model, calibrationPlace(options.modelDir, options.calibrationDir)) };
}

/** loadEngine's model with its calibration in force: what the CLI and the benchmarks run. */
export async function openGenerator(options: EngineOptions & LoadModelOptions = {}): Promise<Generator> {
  const { loaded, calibration } = await loadEngine(options);
  return inForce(loaded, calibration);
}
