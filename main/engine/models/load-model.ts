// Picks the model class a folder's contents call for (the built-in pixel
// model's model.json, or a FLUX.1 checkpoint folder), checks a folder for the
// app before it is remembered, and loads it. Runs in the engine (Node).

import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { MxBackend } from '../mlx/backend.ts';
import { EngineError } from '../../core/errors.ts';
import type { Quantization } from '../io/materialize.ts';
import { Flux1Model } from './flux1/flux1-model.ts';
import { checkFlux1Folder, looksLikeFlux1, type FolderProblem } from './flux1/inspect.ts';
import type { ImageModel } from './image-model.ts';
import { MANIFEST_FILE, PixelFluxModel } from './pixel-flux-model.ts';

export type ModelKind = 'pixel-flux' | 'flux1';

export interface LoadModelOptions {
  /** FLUX.1 only: 4, 8, 'none' or 'auto' (the lightest that fits; the default). */
  readonly quantize?: Quantization | 'auto';
  /** FLUX.1 only: memory the engine may use; 85% of RAM by default. */
  readonly memoryLimitBytes?: number;
}

/** Which model class reads this folder; throws when none does, saying what each expects. */
export function modelKind(dir: string): ModelKind {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new EngineError('MODEL_NOT_FOUND', `The model folder ${dir} does not exist.`, { file: dir });
  }
  if (existsSync(join(dir, MANIFEST_FILE))) return 'pixel-flux';
  if (looksLikeFlux1(dir)) return 'flux1';
  throw new EngineError(
    'MODEL_NOT_FOUND',
    `${dir} holds no model the engine knows: expected ${MANIFEST_FILE} (the built-in model's format) or a FLUX.1 dev/schnell folder ` +
      `(diffusers: transformer/, text_encoder/, text_encoder_2/, tokenizer/, tokenizer_2/, vae/; or BFL's flux1-*.safetensors and ae.safetensors beside those text folders).`,
    { file: dir },
  );
}

/** True for a FLUX.1 folder; false for anything else, including a missing folder (whose loader then explains). */
export function isFlux1Folder(dir: string): boolean {
  return !existsSync(join(dir, MANIFEST_FILE)) && looksLikeFlux1(dir);
}

export interface FolderCheck {
  readonly kind?: ModelKind;
  /** FLUX.1's variant when recognised. */
  readonly variant?: 'dev' | 'schnell';
  /** Empty when the folder can be loaded. */
  readonly problems: readonly FolderProblem[];
}

/**
 * Checks a folder the user picked without loading weights (headers, configs,
 * tokenizers only): every missing or mismatched file, named with its path.
 */
export function checkModelFolder(dir: string): FolderCheck {
  let kind: ModelKind;
  try {
    kind = modelKind(dir);
  } catch (error) {
    return { problems: [{ path: dir, message: (error as Error).message }] };
  }
  if (kind === 'flux1') {
    const { parts, problems } = checkFlux1Folder(dir);
    return { kind, ...(parts ? { variant: parts.variant } : {}), problems };
  }
  return { kind, problems: [] };
}

/** Loads whatever model the folder holds, releasing memory as it goes. */
export async function loadModel(mx: MxBackend, dir: string, options: LoadModelOptions = {}): Promise<ImageModel> {
  const kind = modelKind(dir);
  if (kind === 'pixel-flux') return PixelFluxModel.load(mx, dir);
  return Flux1Model.load(mx, dir, options);
}
