// Finds and checks the parts of a Z-Image (Turbo or Base) folder without
// reading tensor data: the diffusers folder (transformer/, text_encoder/,
// tokenizer/, vae/, scheduler/) or ComfyUI's single files (z_image*.safetensors,
// qwen_3_4b*.safetensors, FLUX's ae.safetensors, beside a tokenizer). Every
// problem comes back at once, naming its file. Runs in the engine (Node).

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { Checkpoint } from '../../io/checkpoint.ts';
import { EngineError } from '../../../core/errors.ts';
import { loadQwen3Tokenizer, type Qwen3Tokenizer } from '../text/qwen3-prompt.ts';
import { qwen3FromModelFolder, type Qwen3Source } from '../text/qwen3-text-encoder.ts';
import type { FolderProblem } from '../flux1/inspect.ts';
import { isDir, problemCollector, readConfig, readJsonObject, vaePart, type Flux1Parts } from '../flux1/inspect.ts';
import {
  COMFY_PREFIX,
  DiffusersZImageConfigSchema,
  diffusersZImageMapping,
  diffusersZImageParamShapes,
  zImageConfigFromDiffusers,
  zImageConfigFromShapes,
  zImageParamShapes,
  type MappedParam,
  type ZImageConfig,
} from './config.ts';

export type ZImageVariant = 'turbo' | 'base';

export type ZImageTransformerSource =
  | { readonly kind: 'diffusers'; readonly path: string; readonly mapping: readonly MappedParam[] }
  | { readonly kind: 'comfy'; readonly path: string; readonly prefix: string };

export interface ZImageTextEncoderPart {
  readonly source: Qwen3Source;
  readonly hiddenSize: number;
}

export interface ZImageParts {
  readonly dir: string;
  readonly variant: ZImageVariant;
  readonly transformer: { readonly source: ZImageTransformerSource; readonly config: ZImageConfig; readonly checkpoint: Checkpoint };
  readonly vae: Flux1Parts['vae'];
  readonly textEncoder: ZImageTextEncoderPart;
  readonly tokenizer: Qwen3Tokenizer;
  /** The scheduler's static shift (3.0 in both releases). */
  readonly shift: number;
}

const SchedulerConfigSchema = z.object({
  shift: z.number().positive().default(3),
  use_dynamic_shifting: z.literal(false, { message: "Z-Image's scheduler shifts statically (use_dynamic_shifting false)" }).default(false),
});

const COMFY_TRANSFORMER = /^z[-_]?image.*\.safetensors$/i;
/** A key only Z-Image's transformer has (diffusers' own single-file check uses it). */
const ZIMAGE_KEY = 'layers.0.adaLN_modulation.0.weight';

/** Whether a folder holds Z-Image (as opposed to FLUX.1, the built-in model or nothing known). */
export function looksLikeZImage(dir: string): boolean {
  if (!isDir(dir)) return false;
  if (readJsonObject(join(dir, 'model_index.json'))?._class_name === 'ZImagePipeline') return true;
  if (readJsonObject(join(dir, 'transformer', 'config.json'))?._class_name === 'ZImageTransformer2DModel') return true;
  return readdirSync(dir).some((name) => COMFY_TRANSFORMER.test(name));
}

function transformerPart(dir: string): ZImageParts['transformer'] {
  const folder = join(dir, 'transformer');
  if (isDir(folder)) {
    const configFile = join(folder, 'config.json');
    const config = zImageConfigFromDiffusers(readConfig(DiffusersZImageConfigSchema, configFile, 'a Z-Image transformer'), configFile);
    const checkpoint = Checkpoint.fromDir(folder, 'transformer/');
    checkpoint.check(diffusersZImageParamShapes(config), { what: 'the Z-Image transformer its config.json describes' });
    return { source: { kind: 'diffusers', path: folder, mapping: diffusersZImageMapping(config) }, config, checkpoint };
  }
  const files = readdirSync(dir).filter((name) => COMFY_TRANSFORMER.test(name));
  if (files.length === 0) {
    throw new EngineError('MODEL_INVALID', `${dir} has no Z-Image transformer: expected a transformer/ folder (diffusers layout) or ComfyUI's z_image*.safetensors.`, { file: folder });
  }
  if (files.length > 1) {
    throw new EngineError('MODEL_INVALID', `${dir} holds several Z-Image transformers (${files.join(', ')}); keep one per folder.`, { file: dir });
  }
  const file = join(dir, files[0]!);
  const checkpoint = Checkpoint.fromFiles(files[0]!, [file]);
  const prefix = checkpoint.has(COMFY_PREFIX + ZIMAGE_KEY) ? COMFY_PREFIX : '';
  const names = [...checkpoint.tensors.keys()].filter((n) => n.startsWith(prefix)).map((n) => n.slice(prefix.length));
  const config = zImageConfigFromShapes((name) => checkpoint.tensors.get(prefix + name)?.shape, names, file);
  // ComfyUI files may keep the final norm's (unused, parameter-free in diffusers) weight.
  const escaped = prefix.replace(/\./g, '\\.');
  const ignore = prefix ? new RegExp(`^(${escaped}norm_final\\.weight$|(?!${escaped}))`) : /^norm_final\.weight$/;
  checkpoint.check(zImageParamShapes(config), { what: 'a Z-Image transformer', storedName: (name) => prefix + name, ignore });
  return { source: { kind: 'comfy', path: file, prefix }, config, checkpoint };
}

function textEncoderPart(dir: string): ZImageTextEncoderPart {
  const source = qwen3FromModelFolder(dir, 'qwen_3_4b*.safetensors');
  return { source, hiddenSize: source.config.hidden_size };
}

function tokenizerPart(dir: string): Qwen3Tokenizer {
  return loadQwen3Tokenizer(join(dir, 'tokenizer'));
}

function schedulerShift(dir: string): number {
  const file = join(dir, 'scheduler', 'scheduler_config.json');
  // ComfyUI's files carry no scheduler: both releases shift by 3.
  if (!existsSync(file)) return SchedulerConfigSchema.parse({}).shift;
  return readConfig(SchedulerConfigSchema, file, "Z-Image's flow-matching scheduler").shift;
}

/**
 * Turbo or Base. The two releases share one architecture and config, so the
 * name tells them apart: the folder's, the transformer file's, or the model
 * card (README.md) the Hugging Face download carries.
 */
export function zImageVariant(dir: string, transformerPath: string): ZImageVariant {
  const readme = join(dir, 'README.md');
  // The card's title only: Base's card may well mention Turbo further down.
  const title = existsSync(readme) ? /^#\s+(.*)$/m.exec(readFileSync(readme, 'utf8').slice(0, 20_000))?.[1] ?? '' : '';
  return [basename(dir), basename(transformerPath), title].some((name) => /turbo/i.test(name)) ? 'turbo' : 'base';
}

export interface ZImageCheck {
  readonly parts?: ZImageParts;
  readonly problems: readonly FolderProblem[];
}

/** Checks every part of a Z-Image folder, collecting all problems instead of stopping at the first. */
export function checkZImageFolder(dir: string): ZImageCheck {
  if (!isDir(dir)) return { problems: [{ path: dir, message: `${dir} is not a folder.` }] };
  const { problems, attempt } = problemCollector();
  const transformer = attempt(join(dir, 'transformer'), () => transformerPart(dir));
  const vae = attempt(join(dir, 'vae'), () => vaePart(dir));
  const textEncoder = attempt(join(dir, 'text_encoder'), () => textEncoderPart(dir));
  const tokenizer = attempt(join(dir, 'tokenizer'), () => tokenizerPart(dir));
  const shift = attempt(join(dir, 'scheduler'), () => schedulerShift(dir));
  if (transformer && textEncoder && transformer.config.capFeatDim !== textEncoder.hiddenSize) {
    problems.push({ path: textEncoder.source.path, message: `The text encoder is ${textEncoder.hiddenSize} wide but the transformer's cap_embedder takes ${transformer.config.capFeatDim}: the parts come from different models.` });
  }
  if (transformer && vae && transformer.config.inChannels !== vae.config.latent_channels) {
    problems.push({ path: join(dir, 'vae'), message: `The autoencoder has ${vae.config.latent_channels} latent channels but the transformer takes ${transformer.config.inChannels}.` });
  }
  if (problems.length > 0 || !transformer || !vae || !textEncoder || !tokenizer || shift === undefined) return { problems };
  return { parts: { dir, variant: zImageVariant(dir, transformer.source.path), transformer, vae, textEncoder, tokenizer, shift }, problems };
}

/** The parts of a Z-Image folder, or one error listing every problem. */
export function inspectZImageFolder(dir: string): ZImageParts {
  const { parts, problems } = checkZImageFolder(dir);
  if (!parts) {
    const list = problems.map((p, i) => `${i + 1}) ${p.message}`).join(' ');
    throw new EngineError('MODEL_INVALID', `${dir} is not a usable Z-Image folder (${problems.length} problem${problems.length === 1 ? '' : 's'}): ${list}`, { file: dir, problems });
  }
  return parts;
}
