// Finds and checks the parts of a FLUX.2 klein folder without reading tensor
// data: diffusers' (model_index.json, transformer/, vae/, text_encoder/,
// tokenizer/) or ComfyUI's single files (flux-2-klein*.safetensors,
// qwen_3_4b* / qwen_3_8b*, flux2-vae*.safetensors) beside a tokenizer/ folder.
// Every problem comes back at once, naming its file. Tells step-distilled from
// Base and 4B from 9B. Runs in the engine (Node).

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Checkpoint } from '../../io/checkpoint.ts';
import { EngineError } from '../../../core/errors.ts';
import type { FolderProblem } from '../flux1/inspect.ts';
import { isDir, problemCollector, readConfig, readJsonObject } from '../flux1/inspect.ts';
import { loadQwen3Tokenizer, type Qwen3Tokenizer } from '../text/qwen3-prompt.ts';
import { KLEIN_LAYERS, qwen3FromModelFolder, type Qwen3Source } from '../text/qwen3-text-encoder.ts';
import { BFL_KLEIN_KEY, BFL_KLEIN_PREFIX, bflFlux2VaeName, bflKleinSources, bflKleinStoredShapes, flux2VaeConfigFromBflShapes, kleinConfigFromBflShapes, type BflSource } from './bfl-layout.ts';
import { Flux2ConfigSchema, flux2ParamShapes, type Flux2Config } from './config.ts';
import type { KleinVariant } from './klein-model.ts';
import { Flux2VaeConfigSchema, flux2VaeDecodeParamShapes, type Flux2VaeConfig } from './vae.ts';
import { bflVaeShape } from '../vae/decoder.ts';

/** The two released sizes, by transformer shape; undefined for any other (such as the tests' tiny checkpoints). */
export type KleinSize = '4B' | '9B';

export interface KleinFolderParts {
  readonly dir: string;
  readonly variant: KleinVariant;
  readonly size: KleinSize | undefined;
  readonly transformer: {
    readonly config: Flux2Config;
    readonly checkpoint: Checkpoint;
    /** The folder or file, for messages and the variant's name. */
    readonly path: string;
    /** A BFL single file's diffusers-name → stored-tensor map; absent for diffusers' folder. */
    readonly bfl?: ReadonlyMap<string, BflSource>;
  };
  readonly vae: { readonly config: Flux2VaeConfig; readonly checkpoint: Checkpoint; readonly storedName: (name: string) => string };
  readonly textEncoder: Qwen3Source;
  readonly tokenizer: Qwen3Tokenizer;
}

/** What the decoder does not read: the encoder side and BatchNorm's step counter. */
const VAE_UNUSED = /^(encoder\.|quant_conv\.|bn\.num_batches_tracked$)/;

const COMFY_TRANSFORMER = /^flux[-_.]?2[-_]?klein.*\.safetensors$/i;
const COMFY_VAE = /^flux[-_.]?2[-_]?vae.*\.safetensors$/i;
const COMFY_TEXT_ENCODERS = 'qwen_3_4b*.safetensors (4B) or qwen_3_8b*.safetensors (9B)';

/** The one file in `dir` whose name matches, or an error naming what was expected (none) or found (several). */
function oneFile(dir: string, pattern: RegExp, what: string, expected: string, file: string): string {
  const found = readdirSync(dir).filter((name) => pattern.test(name));
  if (found.length === 1) return join(dir, found[0]!);
  throw new EngineError(
    'MODEL_INVALID',
    found.length === 0 ? `${dir} has no ${what}: expected ${expected}.` : `${dir} holds several ${what}s (${found.join(', ')}); keep one per folder.`,
    { file },
  );
}

/**
 * Whether a folder holds FLUX.2 klein: diffusers' model_index.json names its
 * pipeline, or (with no model_index.json) transformer/config.json names
 * FLUX.2's transformer, or a ComfyUI flux-2-klein*.safetensors is there.
 * FLUX.2 [dev] (Flux2Pipeline, a Mistral encoder) is not klein.
 */
export function looksLikeKlein(dir: string): boolean {
  if (!isDir(dir)) return false;
  const index = readJsonObject(join(dir, 'model_index.json'));
  if (index) return index._class_name === 'Flux2KleinPipeline';
  if (readJsonObject(join(dir, 'transformer', 'config.json'))?._class_name === 'Flux2Transformer2DModel') return true;
  return readdirSync(dir).some((name) => COMFY_TRANSFORMER.test(name));
}

/**
 * Step-distilled or Base. model_index.json's is_distilled decides when it is
 * there (the pipeline's default is false: Base); otherwise the names do, as
 * BFL's releases are named (FLUX.2-klein-base-4B, flux-2-klein-base-4b.safetensors):
 * the folder's, the transformer file's, or the model card (README.md).
 */
export function kleinVariant(dir: string, transformerPath: string): KleinVariant {
  const indexFile = join(dir, 'model_index.json');
  if (existsSync(indexFile)) {
    const index = readJsonObject(indexFile);
    if (!index) throw new EngineError('MODEL_INVALID', `${indexFile} is not valid JSON; it says whether this klein is step-distilled (is_distilled).`, { file: indexFile });
    if (typeof index.is_distilled === 'boolean') return index.is_distilled ? 'distilled' : 'base';
    if (index.is_distilled !== undefined) throw new EngineError('MODEL_INVALID', `${indexFile}: is_distilled must be true or false, got ${JSON.stringify(index.is_distilled)}.`, { file: indexFile });
  }
  const readme = join(dir, 'README.md');
  const card = existsSync(readme) ? readFileSync(readme, 'utf8').slice(0, 4000) : '';
  const named = (name: string) => /klein[-_ ]?base|base[-_ ]?[49]b/i.test(name);
  if (named(basename(dir)) || named(basename(transformerPath)) || /FLUX\.2-klein-base|\[klein\] Base/i.test(card)) return 'base';
  // diffusers' default when model_index.json is there but silent.
  return existsSync(indexFile) ? 'base' : 'distilled';
}

/** 4B (5 double + 20 single blocks, 24 heads) or 9B (8 + 24, 32 heads), from the transformer's config. */
export function kleinSize(config: Flux2Config): KleinSize | undefined {
  const shape = `${config.num_layers}+${config.num_single_layers}x${config.num_attention_heads}`;
  return shape === '5+20x24' ? '4B' : shape === '8+24x32' ? '9B' : undefined;
}

function transformerPart(dir: string): KleinFolderParts['transformer'] {
  const folder = join(dir, 'transformer');
  if (isDir(folder)) {
    const config = readConfig(Flux2ConfigSchema, join(folder, 'config.json'), 'a FLUX.2 transformer');
    const checkpoint = Checkpoint.fromDir(folder, 'transformer/');
    checkpoint.check(flux2ParamShapes(config), { what: 'the FLUX.2 transformer its config.json describes' });
    return { config, checkpoint, path: folder };
  }
  const file = oneFile(dir, COMFY_TRANSFORMER, 'klein transformer', "a transformer/ folder (diffusers layout) or ComfyUI's flux-2-klein*.safetensors", folder);
  const checkpoint = Checkpoint.fromFiles(basename(file), [file]);
  const prefix = checkpoint.has(BFL_KLEIN_PREFIX + BFL_KLEIN_KEY) ? BFL_KLEIN_PREFIX : '';
  const names = [...checkpoint.tensors.keys()].filter((n) => n.startsWith(prefix)).map((n) => n.slice(prefix.length));
  const config = kleinConfigFromBflShapes((name) => checkpoint.tensors.get(prefix + name)?.shape, names, file);
  const bfl = bflKleinSources(config, prefix, (name) => checkpoint.has(name));
  const ignore = prefix ? new RegExp(`^(?!${prefix.replace(/\./g, '\\.')})`) : undefined;
  checkpoint.check(bflKleinStoredShapes(config, bfl), { what: "a FLUX.2 klein transformer in BFL's layout", ...(ignore ? { ignore } : {}) });
  return { config, checkpoint, path: file, bfl };
}

function vaePart(dir: string): KleinFolderParts['vae'] {
  const folder = join(dir, 'vae');
  if (isDir(folder)) {
    const config = readConfig(Flux2VaeConfigSchema, join(folder, 'config.json'), 'a FLUX.2 autoencoder');
    const checkpoint = Checkpoint.fromDir(folder, 'vae/');
    checkpoint.check(flux2VaeDecodeParamShapes(config), { what: 'the FLUX.2 autoencoder its config.json describes', ignore: VAE_UNUSED });
    return { config, checkpoint, storedName: (name) => name };
  }
  const file = oneFile(dir, COMFY_VAE, 'FLUX.2 autoencoder', "a vae/ folder (diffusers layout) or ComfyUI's flux2-vae*.safetensors", folder);
  const checkpoint = Checkpoint.fromFiles(basename(file), [file]);
  const config = flux2VaeConfigFromBflShapes((name) => checkpoint.tensors.get(name)?.shape, [...checkpoint.tensors.keys()], file);
  const storedName = (name: string) => bflFlux2VaeName(name, config);
  const shapes: Record<string, number[]> = {};
  for (const [name, shape] of Object.entries(flux2VaeDecodeParamShapes(config))) shapes[storedName(name)] = bflVaeShape(storedName(name), shape);
  checkpoint.check(shapes, { what: "a FLUX.2 autoencoder in BFL's layout", ignore: /^(encoder\.|bn\.num_batches_tracked$)/ });
  return { config, checkpoint, storedName };
}

/** Checks every part of a klein folder, collecting all problems instead of stopping at the first. */
export function checkKleinFolder(dir: string): { readonly parts?: KleinFolderParts; readonly problems: readonly FolderProblem[] } {
  if (!isDir(dir)) return { problems: [{ path: dir, message: `${dir} is not a folder.` }] };
  const { problems, attempt } = problemCollector();
  if (!existsSync(join(dir, 'model_index.json')) && isDir(join(dir, 'transformer'))) {
    problems.push({ path: join(dir, 'model_index.json'), message: `${join(dir, 'model_index.json')} is missing; a diffusers klein folder carries it, and it says whether the model is step-distilled (is_distilled).` });
  }
  const transformer = attempt(join(dir, 'transformer'), () => transformerPart(dir));
  const variant = attempt(join(dir, 'model_index.json'), () => kleinVariant(dir, transformer?.path ?? join(dir, 'transformer')));
  const vae = attempt(join(dir, 'vae'), () => vaePart(dir));
  const textEncoder = attempt(join(dir, 'text_encoder'), () => qwen3FromModelFolder(dir, COMFY_TEXT_ENCODERS));
  const tokenizer = attempt(join(dir, 'tokenizer'), () => loadQwen3Tokenizer(join(dir, 'tokenizer')));
  if (transformer && textEncoder) {
    const width = KLEIN_LAYERS.length * textEncoder.config.hidden_size;
    if (width !== transformer.config.joint_attention_dim) {
      problems.push({ path: textEncoder.path, message: `The text encoder's ${KLEIN_LAYERS.length} stacked layers are ${width} wide but the transformer's context_embedder takes ${transformer.config.joint_attention_dim}: the parts come from different models.` });
    }
    if (textEncoder.config.num_hidden_layers < KLEIN_LAYERS[KLEIN_LAYERS.length - 1]!) {
      problems.push({ path: textEncoder.path, message: `The text encoder has ${textEncoder.config.num_hidden_layers} layers; klein reads hidden states ${KLEIN_LAYERS.join(', ')}.` });
    }
  }
  if (transformer && vae && transformer.config.in_channels !== 4 * vae.config.latent_channels) {
    problems.push({ path: join(dir, 'vae'), message: `The autoencoder's ${vae.config.latent_channels} latent channels patchify to ${4 * vae.config.latent_channels}, but the transformer takes ${transformer.config.in_channels}.` });
  }
  if (problems.length > 0 || !variant || !transformer || !vae || !textEncoder || !tokenizer) return { problems };
  return { parts: { dir, variant, size: kleinSize(transformer.config), transformer, vae, textEncoder, tokenizer }, problems };
}

/** The parts of a klein folder, or one error listing every problem. */
export function inspectKleinFolder(dir: string): KleinFolderParts {
  const { parts, problems } = checkKleinFolder(dir);
  if (!parts) {
    const list = problems.map((p, i) => `${i + 1}) ${p.message}`).join(' ');
    throw new EngineError('MODEL_INVALID', `${dir} is not a usable FLUX.2 klein folder (${problems.length} problem${problems.length === 1 ? '' : 's'}): ${list}`, { file: dir, problems });
  }
  return parts;
}
