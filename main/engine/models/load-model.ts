// Picks the model family a folder's contents call for (the built-in pixel
// model's model.json, a Z-Image, FLUX.2 klein or FLUX.1 checkpoint folder), checks a folder in depth
// for the app before it replaces the running model or is remembered, and loads
// it. Runs in the engine (Node).

import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { MxBackend } from '../mlx/backend.ts';
import { EngineError } from '../../core/errors.ts';
import type { Quantization } from '../io/materialize.ts';
import { Flux1Model } from './flux1/flux1-model.ts';
import { checkKleinFolder, looksLikeKlein } from './flux2-klein/inspect.ts';
import { Flux2KleinModel, type KleinVariant } from './flux2-klein/klein-model.ts';
import { checkFlux1Folder, looksLikeFlux1, type FolderProblem } from './flux1/inspect.ts';
import type { ImageModel } from './image-model.ts';
import { checkPixelFluxFolder, MANIFEST_FILE, PixelFluxModel } from './pixel-flux-model.ts';
import { checkZImageFolder, looksLikeZImage, type ZImageVariant } from './z-image/inspect.ts';
import { ZImageModel } from './z-image/z-image-model.ts';

export type ModelKind = 'pixel-flux' | 'flux1' | 'z-image' | 'flux2-klein';

export interface LoadModelOptions {
  /** Checkpoint models only: 4, 8, 'none' or 'auto' (the lightest that fits; the default). */
  readonly quantize?: Quantization | 'auto';
  /** Checkpoint models only: memory the engine may use; 85% of RAM by default. */
  readonly memoryLimitBytes?: number;
}

/**
 * What the engine needs from each model family. A new family adds one entry
 * to FAMILIES, with an `inspect` as deep as the others': every weights file's
 * header, its size against the header, and shapes and dtypes against the
 * family's config, all without loading weights.
 */
export interface ModelFamily {
  readonly kind: ModelKind;
  /** The family's name in messages. */
  readonly name: string;
  /** What a folder of this family holds, for the message when no family recognises a folder. */
  readonly expects: string;
  /** Cheap: whether `dir` is meant to be of this family (its marker files are there). */
  recognises(dir: string): boolean;
  /** Every problem that would stop `load`, found without loading weights; no problems means it loads. */
  inspect(dir: string): Omit<FolderCheck, 'kind'>;
  load(mx: MxBackend, dir: string, options: LoadModelOptions): Promise<ImageModel>;
}

/** In the order they are tried: the first that recognises a folder reads it. */
const FAMILIES: readonly ModelFamily[] = [
  {
    kind: 'pixel-flux',
    name: 'built-in',
    expects: `${MANIFEST_FILE} (the built-in model's format)`,
    recognises: (dir) => existsSync(join(dir, MANIFEST_FILE)),
    inspect: (dir) => ({ problems: checkPixelFluxFolder(dir) }),
    load: async (mx, dir) => PixelFluxModel.load(mx, dir),
  },
  // Before FLUX.1, whose test accepts any folder of safetensors.
  {
    kind: 'z-image',
    name: 'Z-Image',
    expects:
      "a Z-Image or Z-Image-Turbo folder (diffusers: transformer/, text_encoder/, tokenizer/, vae/, scheduler/; or ComfyUI's z_image*.safetensors, qwen_3_4b*.safetensors and ae.safetensors beside tokenizer/)",
    recognises: looksLikeZImage,
    inspect: (dir) => {
      const { parts, problems } = checkZImageFolder(dir);
      return { ...(parts ? { variant: parts.variant } : {}), problems };
    },
    load: (mx, dir, options) => ZImageModel.load(mx, dir, options),
  },
  {
    kind: 'flux2-klein',
    name: 'FLUX.2 klein',
    expects:
      "a FLUX.2 klein 4B or 9B folder, step-distilled or Base (diffusers: model_index.json, transformer/, text_encoder/, tokenizer/, vae/; or ComfyUI's flux-2-klein*.safetensors, qwen_3_4b* or qwen_3_8b*.safetensors and flux2-vae*.safetensors beside tokenizer/)",
    recognises: looksLikeKlein,
    inspect: (dir) => {
      const { parts, problems } = checkKleinFolder(dir);
      return { ...(parts ? { variant: parts.variant } : {}), problems };
    },
    load: (mx, dir, options) => Flux2KleinModel.load(mx, dir, options),
  },
  {
    kind: 'flux1',
    name: 'FLUX.1',
    expects:
      "a FLUX.1 dev/schnell folder (diffusers: transformer/, text_encoder/, text_encoder_2/, tokenizer/, tokenizer_2/, vae/; or BFL's flux1-*.safetensors and ae.safetensors beside those text folders)",
    recognises: looksLikeFlux1,
    inspect: (dir) => {
      const { parts, problems } = checkFlux1Folder(dir);
      return { ...(parts ? { variant: parts.variant } : {}), problems };
    },
    load: (mx, dir, options) => Flux1Model.load(mx, dir, options),
  },
];

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

export interface FolderCheck {
  readonly kind?: ModelKind;
  /** The variant when recognised (FLUX.1's dev/schnell, Z-Image's turbo/base, klein's distilled/base). */
  readonly variant?: 'dev' | 'schnell' | ZImageVariant | KleinVariant;
  /** Empty when the folder can be loaded. */
  readonly problems: readonly FolderProblem[];
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
