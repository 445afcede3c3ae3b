// Picks the model class a folder's contents call for (the built-in pixel
// model's model.json, a Z-Image or a FLUX.1 checkpoint folder), checks a folder for the
// app before it is remembered, and loads it. Runs in the engine (Node).

import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { MxBackend } from '../mlx/backend.ts';
import { EngineError } from '../errors.ts';
import type { Quantization } from '../io/materialize.ts';
import { Flux1Model } from './flux1/flux1-model.ts';
import { checkFlux1Folder, looksLikeFlux1, type FolderProblem } from './flux1/inspect.ts';
import type { ImageModel } from './image-model.ts';
import { MANIFEST_FILE, PixelFluxModel } from './pixel-flux-model.ts';
import { checkZImageFolder, looksLikeZImage, type ZImageVariant } from './z-image/inspect.ts';
import { ZImageModel } from './z-image/z-image-model.ts';

export type ModelKind = 'pixel-flux' | 'flux1' | 'z-image';

export interface LoadModelOptions {
  /** Checkpoint models only: 4, 8, 'none' or 'auto' (the lightest that fits; the default). */
  readonly quantize?: Quantization | 'auto';
  /** Checkpoint models only: memory the engine may use; 85% of RAM by default. */
  readonly memoryLimitBytes?: number;
}

/** Which model class reads this folder; throws when none does, saying what each expects. */
export function modelKind(dir: string): ModelKind {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new EngineError('MODEL_NOT_FOUND', `The model folder ${dir} does not exist.`, { file: dir });
  }
  if (existsSync(join(dir, MANIFEST_FILE))) return 'pixel-flux';
  // Before FLUX.1, whose test accepts any folder of safetensors.
  if (looksLikeZImage(dir)) return 'z-image';
  if (looksLikeFlux1(dir)) return 'flux1';
  throw new EngineError(
    'MODEL_NOT_FOUND',
    `${dir} holds no model the engine knows: expected ${MANIFEST_FILE} (the built-in model's format), a Z-Image or Z-Image-Turbo folder ` +
      `(diffusers: transformer/, text_encoder/, tokenizer/, vae/, scheduler/; or ComfyUI's z_image*.safetensors, qwen_3_4b*.safetensors and ae.safetensors beside tokenizer/), or a FLUX.1 dev/schnell folder ` +
      `(diffusers: transformer/, text_encoder/, text_encoder_2/, tokenizer/, tokenizer_2/, vae/; or BFL's flux1-*.safetensors and ae.safetensors beside those text folders).`,
    { file: dir },
  );
}

/** True for a checkpoint folder (FLUX.1, Z-Image), which loads asynchronously; false for anything else, including a missing folder (whose loader then explains). */
export function isCheckpointFolder(dir: string): boolean {
  return !existsSync(join(dir, MANIFEST_FILE)) && (looksLikeZImage(dir) || looksLikeFlux1(dir));
}

export interface FolderCheck {
  readonly kind?: ModelKind;
  /** The variant when recognised (FLUX.1's dev/schnell, Z-Image's turbo/base). */
  readonly variant?: 'dev' | 'schnell' | ZImageVariant;
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
  if (kind === 'z-image') {
    const { parts, problems } = checkZImageFolder(dir);
    return { kind, ...(parts ? { variant: parts.variant } : {}), problems };
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
  if (kind === 'z-image') return ZImageModel.load(mx, dir, options);
  return Flux1Model.load(mx, dir, options);
}
