// The registry of model families, and what it answers: which family a folder's
// contents call for (the built-in pixel model's model.json, a Z-Image, FLUX.2
// klein or FLUX.1 checkpoint folder), an in-depth check of a folder for the app
// before it replaces the running model or is remembered, and loading it. A new
// family is a folder with its family.ts, and one line below. Runs in the engine (Node).

import { existsSync, statSync } from 'node:fs';
import type { MxBackend } from '../mlx/backend.ts';
import { EngineError } from '../../core/errors.ts';
import { FLUX1_FAMILY } from './flux1/family.ts';
import { KLEIN_FAMILY } from './flux2-klein/family.ts';
import type { ImageModel } from './image-model.ts';
import type { FolderCheck, LoadModelOptions, ModelFamily, ModelKind } from './model-family.ts';
import { PIXEL_FLUX_FAMILY } from './pixel-flux/family.ts';
import { Z_IMAGE_FAMILY } from './z-image/family.ts';

/** In the order they are tried: the first that recognises a folder reads it. Z-Image and klein come before FLUX.1, whose test accepts most folders of safetensors. */
const FAMILIES: readonly ModelFamily[] = [PIXEL_FLUX_FAMILY, Z_IMAGE_FAMILY, KLEIN_FAMILY, FLUX1_FAMILY];

function familyOf(dir: string): ModelFamily {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new EngineError('MODEL_NOT_FOUND', `The model folder ${dir} does not exist.`, { file: dir });
  }
  const family = FAMILIES.find((candidate) => candidate.recognises(dir));
  if (family) return family;
  throw new EngineError('MODEL_NOT_FOUND', `${dir} holds no model the engine knows: expected ${FAMILIES.map((f) => f.expects).join(' or ')}.`, { file: dir });
}

/** Which model family reads this folder; throws when none does, saying what each expects. */
export function modelKind(dir: string): ModelKind {
  return familyOf(dir).kind;
}

/**
 * Checks a folder the user picked (or remembered) without loading weights, as
 * deeply for every family: every missing, truncated or mismatched file, named
 * with its path. A folder with problems must not replace the running model.
 */
export function checkModelFolder(dir: string): FolderCheck {
  let family: ModelFamily;
  try {
    family = familyOf(dir);
  } catch (error) {
    return { problems: [{ path: dir, message: (error as Error).message }] };
  }
  return { kind: family.kind, ...family.inspect(dir) };
}

/** Loads whatever model the folder holds, releasing memory as it goes. */
export async function loadModel(mx: MxBackend, dir: string, options: LoadModelOptions = {}): Promise<ImageModel> {
  return familyOf(dir).load(mx, dir, options);
}
