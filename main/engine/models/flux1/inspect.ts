// Finds and checks the parts of a FLUX.1 dev or schnell folder without reading
// any tensor data: which layout each part is in (diffusers folders, BFL single
// files), every config, tokenizer and tensor header. Problems come back all at
// once, each naming the path and what was expected, so the app can show them
// and the engine can refuse before loading. Runs in the engine (Node).

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { Checkpoint } from '../../io/checkpoint.ts';
import { EngineError } from '../../../core/errors.ts';
import { fluxParamShapes, type FluxConfig } from '../flux/config.ts';
import { ClipTextConfigSchema, clipParamShapes, clipStoredName, CLIP_IGNORED, type ClipTextConfig } from '../text/clip.ts';
import { T5ConfigSchema, t5ParamShapes, T5_EMBEDDING, T5_EMBEDDING_ALIAS, type T5Config } from '../text/t5.ts';
import { loadClipTokenizer, loadT5Tokenizer, type TextTokenizer } from '../text/tokenizers.ts';
import { bflVaeName, bflVaeShape, vaeConfigFromBflShapes, VaeConfigSchema, vaeDecoderParamShapes, type VaeConfig } from '../vae/decoder.ts';
import {
  BFL_PREFIX,
  DiffusersFluxConfigSchema,
  diffusersFluxMapping,
  diffusersFluxParamShapes,
  fluxConfigFromBflShapes,
  fluxConfigFromDiffusers,
  type MappedParam,
} from './transformer-layouts.ts';

export type Flux1Variant = 'dev' | 'schnell';

export interface FolderProblem {
  /** The file or folder at fault (or missing). */
  readonly path: string;
  readonly message: string;
}

export type TransformerSource =
  | { readonly kind: 'diffusers'; readonly path: string; readonly mapping: readonly MappedParam[] }
  | { readonly kind: 'bfl'; readonly path: string; readonly prefix: string };

export interface Flux1Parts {
  readonly dir: string;
  readonly variant: Flux1Variant;
  readonly transformer: { readonly source: TransformerSource; readonly config: FluxConfig; readonly checkpoint: Checkpoint };
  readonly vae: { readonly layout: 'diffusers' | 'bfl'; readonly config: VaeConfig; readonly checkpoint: Checkpoint; readonly storedName: (name: string) => string };
  readonly t5: { readonly config: T5Config; readonly checkpoint: Checkpoint; readonly storedName: (name: string) => string; readonly tokenizer: TextTokenizer };
  readonly clip: { readonly config: ClipTextConfig; readonly checkpoint: Checkpoint; readonly storedName: (name: string) => string; readonly tokenizer: TextTokenizer };
}

export const DIFFUSERS_FOLDERS = ['transformer', 'text_encoder', 'text_encoder_2', 'tokenizer', 'tokenizer_2', 'vae'] as const;
const BFL_VAE_FILE = 'ae.safetensors';

export function readConfig<T>(schema: z.ZodType<T>, file: string, what: string): T {
  if (!existsSync(file)) throw new EngineError('MODEL_INVALID', `${file} is missing; ${what} needs its config.json.`, { file });
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new EngineError('MODEL_INVALID', `${file} is not valid JSON: ${(error as Error).message}.`, { file }, { cause: error });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
    throw new EngineError('MODEL_INVALID', `${file} does not describe ${what}: ${issues}.`, { file });
  }
  return parsed.data;
}

export function isDir(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

/** A JSON object file's contents, or undefined when it is missing, unreadable or not an object (for recognising folders, not for reading configs). */
export function readJsonObject(file: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Pipelines whose model_index.json does not describe FLUX.1 (FLUX.2's, Z-Image's): another family reads those folders. */
const NOT_FLUX1_PIPELINE = /^(Flux2|ZImage)/;

/** Whether a folder looks like a FLUX.1 checkpoint at all (as opposed to the built-in model or something else). */
export function looksLikeFlux1(dir: string): boolean {
  if (!isDir(dir)) return false;
  const pipeline = readJsonObject(join(dir, 'model_index.json'))?._class_name;
  if (typeof pipeline === 'string' && NOT_FLUX1_PIPELINE.test(pipeline)) return false;
  if (existsSync(join(dir, 'model_index.json'))) return true;
  if (DIFFUSERS_FOLDERS.some((name) => isDir(join(dir, name)))) return true;
  return readdirSync(dir).some((name) => name.endsWith('.safetensors'));
}

function transformerPart(dir: string): Flux1Parts['transformer'] {
  const folder = join(dir, 'transformer');
  if (isDir(folder)) {
    const config = fluxConfigFromDiffusers(readConfig(DiffusersFluxConfigSchema, join(folder, 'config.json'), 'a FLUX transformer'));
    const checkpoint = Checkpoint.fromDir(folder, 'transformer/');
    checkpoint.check(diffusersFluxParamShapes(config), { what: 'the FLUX transformer its config.json describes' });
    return { source: { kind: 'diffusers', path: folder, mapping: diffusersFluxMapping(config) }, config, checkpoint };
  }
  const candidates = readdirSync(dir)
    .filter((name) => name.endsWith('.safetensors') && name !== BFL_VAE_FILE)
    .map((name) => join(dir, name));
  const found: Array<{ file: string; prefix: string; checkpoint: Checkpoint }> = [];
  for (const file of candidates) {
    const checkpoint = Checkpoint.fromFiles(file.slice(dir.length + 1), [file]);
    for (const prefix of ['', BFL_PREFIX]) {
      if (checkpoint.has(`${prefix}double_blocks.0.img_attn.qkv.weight`)) found.push({ file, prefix, checkpoint });
    }
  }
  if (found.length === 0) {
    throw new EngineError(
      'MODEL_INVALID',
      `${dir} has no FLUX.1 transformer: expected a transformer/ folder (diffusers layout) or BFL's flux1-dev.safetensors / flux1-schnell.safetensors` +
        (candidates.length > 0 ? ` (found ${candidates.map((f) => f.slice(dir.length + 1)).join(', ')}, none holding FLUX double_blocks)` : '') + '.',
      { file: join(dir, 'transformer') },
    );
  }
  if (found.length > 1) {
    throw new EngineError('MODEL_INVALID', `${dir} holds several FLUX transformers (${found.map((f) => f.file).join(', ')}); keep one per folder.`, { file: dir });
  }
  const { file, prefix, checkpoint } = found[0]!;
  const config = fluxConfigFromBflShapes((name) => checkpoint.tensors.get(prefix + name)?.shape, [...checkpoint.tensors.keys()].map((n) => n.slice(prefix.length)), file);
  const ignore = prefix ? new RegExp(`^(?!${prefix.replace(/\./g, '\\.')})`) : undefined;
  checkpoint.check(fluxParamShapes(config), { what: 'a FLUX.1 transformer', storedName: (name) => prefix + name, ...(ignore ? { ignore } : {}) });
  return { source: { kind: 'bfl', path: file, prefix }, config, checkpoint };
}

/** The autoencoder: diffusers' vae/ folder or BFL's ae.safetensors (Z-Image uses FLUX.1's unchanged). */
export function vaePart(dir: string): Flux1Parts['vae'] {
  const folder = join(dir, 'vae');
  if (isDir(folder)) {
    const config = readConfig(VaeConfigSchema, join(folder, 'config.json'), 'an autoencoder');
    const checkpoint = Checkpoint.fromDir(folder, 'vae/');
    const storedName = (name: string) => name;
    checkpoint.check(vaeDecoderParamShapes(config), { what: 'the autoencoder its config.json describes', ignore: /^(encoder\.|quant_conv\.)/ });
    return { layout: 'diffusers', config, checkpoint, storedName };
  }
  const file = join(dir, BFL_VAE_FILE);
  if (!existsSync(file)) {
    throw new EngineError('MODEL_INVALID', `${dir} has no autoencoder: expected a vae/ folder (diffusers layout) or BFL's ${BFL_VAE_FILE}.`, { file: folder });
  }
  const checkpoint = Checkpoint.fromFiles(BFL_VAE_FILE, [file]);
  let config: VaeConfig;
  try {
    config = VaeConfigSchema.parse(vaeConfigFromBflShapes((name) => checkpoint.tensors.get(name)?.shape, checkpoint.tensors.keys(), file));
  } catch (error) {
    throw new EngineError('MODEL_INVALID', `${file} is not FLUX.1's autoencoder: ${(error as Error).message}`, { file }, { cause: error });
  }
  const storedName = (name: string) => bflVaeName(name, config);
  const shapes: Record<string, number[]> = {};
  for (const [name, shape] of Object.entries(vaeDecoderParamShapes(config))) shapes[name] = bflVaeShape(storedName(name), shape);
  checkpoint.check(shapes, { what: "FLUX.1's autoencoder", storedName, ignore: /^encoder\./ });
  return { layout: 'bfl', config, checkpoint, storedName };
}

function t5Part(dir: string): Flux1Parts['t5'] {
  const folder = join(dir, 'text_encoder_2');
  const config = readConfig(T5ConfigSchema, join(folder, 'config.json'), 'the T5 text encoder');
  const checkpoint = Checkpoint.fromDir(folder, 'text_encoder_2/');
  const storedName = (name: string) => (name === T5_EMBEDDING && !checkpoint.has(T5_EMBEDDING) ? T5_EMBEDDING_ALIAS : name);
  checkpoint.check(t5ParamShapes(config), { what: 'the T5 encoder its config.json describes', storedName, ignore: /^encoder\.embed_tokens\.weight$/ });
  return { config, checkpoint, storedName, tokenizer: loadT5Tokenizer(join(dir, 'tokenizer_2')) };
}

function clipPart(dir: string): Flux1Parts['clip'] {
  const folder = join(dir, 'text_encoder');
  const config = readConfig(ClipTextConfigSchema, join(folder, 'config.json'), 'the CLIP text encoder');
  const checkpoint = Checkpoint.fromDir(folder, 'text_encoder/');
  const storedName = clipStoredName((name) => checkpoint.has(name));
  checkpoint.check(clipParamShapes(config), { what: 'the CLIP text encoder its config.json describes', storedName, ignore: CLIP_IGNORED });
  return { config, checkpoint, storedName, tokenizer: loadClipTokenizer(join(dir, 'tokenizer')) };
}

function problemOf(error: unknown, fallbackPath: string): FolderProblem {
  const details = error instanceof EngineError ? (error.details as { file?: string; files?: string[] } | undefined) : undefined;
  const path = details?.file ?? details?.files?.[0] ?? fallbackPath;
  return { path, message: error instanceof Error ? error.message : String(error) };
}

/** A folder check's problem list, and `attempt`, which runs one part's check and records its error (naming its file) instead of throwing. */
export function problemCollector(): { problems: FolderProblem[]; attempt: <T>(path: string, fn: () => T) => T | undefined } {
  const problems: FolderProblem[] = [];
  const attempt = <T>(path: string, fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (error) {
      problems.push(problemOf(error, path));
      return undefined;
    }
  };
  return { problems, attempt };
}

export interface Flux1Check {
  readonly parts?: Flux1Parts;
  readonly problems: readonly FolderProblem[];
}

/** Checks every part of a FLUX.1 folder, collecting all problems instead of stopping at the first. */
export function checkFlux1Folder(dir: string): Flux1Check {
  if (!isDir(dir)) return { problems: [{ path: dir, message: `${dir} is not a folder.` }] };
  const { problems, attempt } = problemCollector();
  const transformer = attempt(join(dir, 'transformer'), () => transformerPart(dir));
  const vae = attempt(join(dir, 'vae'), () => vaePart(dir));
  const t5 = attempt(join(dir, 'text_encoder_2'), () => t5Part(dir));
  const clip = attempt(join(dir, 'text_encoder'), () => clipPart(dir));
  if (transformer && t5 && clip) {
    const { config } = transformer;
    if (config.contextInDim !== t5.config.d_model) {
      problems.push({ path: join(dir, 'text_encoder_2'), message: `The T5 encoder is ${t5.config.d_model} wide but the transformer's txt_in takes ${config.contextInDim}: the parts come from different models.` });
    }
    if (config.vecInDim !== clip.config.hidden_size) {
      problems.push({ path: join(dir, 'text_encoder'), message: `The CLIP encoder is ${clip.config.hidden_size} wide but the transformer's vector_in takes ${config.vecInDim}: the parts come from different models.` });
    }
  }
  if (transformer && vae && transformer.config.inChannels !== vae.config.latent_channels * 4) {
    problems.push({ path: join(dir, 'vae'), message: `The autoencoder has ${vae.config.latent_channels} latent channels, so 2×2 packing gives ${vae.config.latent_channels * 4}, but the transformer takes ${transformer.config.inChannels}.` });
  }
  if (problems.length > 0 || !transformer || !vae || !t5 || !clip) return { problems };
  const variant: Flux1Variant = transformer.config.guidanceEmbed ? 'dev' : 'schnell';
  return { parts: { dir, variant, transformer, vae, t5, clip }, problems };
}

/** The parts of a FLUX.1 folder, or one error listing every problem. */
export function inspectFlux1Folder(dir: string): Flux1Parts {
  const { parts, problems } = checkFlux1Folder(dir);
  if (!parts) {
    const list = problems.map((p, i) => `${i + 1}) ${p.message}`).join(' ');
    throw new EngineError('MODEL_INVALID', `${dir} is not a usable FLUX.1 folder (${problems.length} problem${problems.length === 1 ? '' : 's'}): ${list}`, { file: dir, problems });
  }
  return parts;
}
