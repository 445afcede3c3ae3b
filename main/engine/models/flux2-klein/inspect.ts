// Finds and checks the parts of a FLUX.2 klein diffusers folder (transformer/,
// vae/, text_encoder/, tokenizer/, model_index.json) without reading tensor
// data; every problem comes back at once, naming its file. The single files
// (ComfyUI's transformer, qwen_3_*, flux2-vae) are not read yet. Runs in the
// engine (Node).

import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Checkpoint } from '../../io/checkpoint.ts';
import { EngineError } from '../../../core/errors.ts';
import type { FolderProblem } from '../flux1/inspect.ts';
import { problemCollector, readConfig } from '../flux1/inspect.ts';
import { loadQwen3Tokenizer, type Qwen3Tokenizer } from '../text/qwen3-prompt.ts';
import { KLEIN_LAYERS, qwen3FromFolder, type Qwen3Source } from '../text/qwen3-text-encoder.ts';
import { Flux2ConfigSchema, flux2ParamShapes, type Flux2Config } from './config.ts';
import type { KleinVariant } from './klein-model.ts';
import { Flux2VaeConfigSchema, flux2VaeDecodeParamShapes, type Flux2VaeConfig } from './vae.ts';

export interface KleinFolderParts {
  readonly dir: string;
  readonly variant: KleinVariant;
  readonly transformer: { readonly config: Flux2Config; readonly checkpoint: Checkpoint };
  readonly vae: { readonly config: Flux2VaeConfig; readonly checkpoint: Checkpoint };
  readonly textEncoder: Qwen3Source;
  readonly tokenizer: Qwen3Tokenizer;
}

/** What the decoder does not read: the encoder side and BatchNorm's step counter. */
const VAE_UNUSED = /^(encoder\.|quant_conv\.|bn\.num_batches_tracked$)/;

function modelIndex(dir: string): Record<string, unknown> | undefined {
  const file = join(dir, 'model_index.json');
  if (!existsSync(file)) return undefined;
  try {
    const value = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a folder holds FLUX.2 klein in diffusers' layout. */
export function looksLikeKlein(dir: string): boolean {
  return existsSync(dir) && statSync(dir).isDirectory() && modelIndex(dir)?._class_name === 'Flux2KleinPipeline';
}

/** Step-distilled or Base, as model_index.json's is_distilled says (the pipeline's default is false). */
function variantOf(dir: string): KleinVariant {
  const index = modelIndex(dir);
  if (!index) throw new EngineError('MODEL_INVALID', `${join(dir, 'model_index.json')} is missing or not JSON; it says whether this klein is step-distilled.`, { file: join(dir, 'model_index.json') });
  return index.is_distilled === true ? 'distilled' : 'base';
}

function transformerPart(dir: string): KleinFolderParts['transformer'] {
  const folder = join(dir, 'transformer');
  const config = readConfig(Flux2ConfigSchema, join(folder, 'config.json'), 'a FLUX.2 transformer');
  const checkpoint = Checkpoint.fromDir(folder, 'transformer/');
  checkpoint.check(flux2ParamShapes(config), { what: 'the FLUX.2 transformer its config.json describes' });
  return { config, checkpoint };
}

function vaePart(dir: string): KleinFolderParts['vae'] {
  const folder = join(dir, 'vae');
  const config = readConfig(Flux2VaeConfigSchema, join(folder, 'config.json'), 'a FLUX.2 autoencoder');
  const checkpoint = Checkpoint.fromDir(folder, 'vae/');
  checkpoint.check(flux2VaeDecodeParamShapes(config), { what: 'the FLUX.2 autoencoder its config.json describes', ignore: VAE_UNUSED });
  return { config, checkpoint };
}

/** Checks every part of a klein folder, collecting all problems instead of stopping at the first. */
export function checkKleinFolder(dir: string): { readonly parts?: KleinFolderParts; readonly problems: readonly FolderProblem[] } {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return { problems: [{ path: dir, message: `${dir} is not a folder.` }] };
  const { problems, attempt } = problemCollector();
  const variant = attempt(join(dir, 'model_index.json'), () => variantOf(dir));
  const transformer = attempt(join(dir, 'transformer'), () => transformerPart(dir));
  const vae = attempt(join(dir, 'vae'), () => vaePart(dir));
  const textEncoder = attempt(join(dir, 'text_encoder'), () => qwen3FromFolder(join(dir, 'text_encoder'), 'text_encoder/'));
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
  return { parts: { dir, variant, transformer, vae, textEncoder, tokenizer }, problems };
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
