// Where a Qwen3 text encoder's weights come from (a diffusers/transformers
// text_encoder/ folder with config.json, or a ComfyUI-style single
// qwen_3_*.safetensors without one), checked from headers alone; and the two
// pipelines' prompt encodings, which load the encoder tensor by tensor
// (optionally quantized), run it and let it go. Runs in the engine (Node).

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { MxArray, MxBackend } from '../../mlx/backend.ts';
import { Checkpoint } from '../../io/checkpoint.ts';
import { checkpointPlans, materialize, type Quantization } from '../../io/materialize.ts';
import { EngineError } from '../../../core/errors.ts';
import { layersFor, Qwen3ConfigSchema, qwen3ConfigFromShapes, Qwen3Encoder, QWEN3_IGNORED, qwen3ParamShapes, qwen3StoredName, type Qwen3Config } from './qwen3.ts';
import { kleinPromptTokens, zImagePromptTokens, type PromptTokens, type Qwen3Tokenizer } from './qwen3-prompt.ts';

export interface Qwen3Source {
  readonly layout: 'diffusers' | 'single-file';
  /** The folder or file, for messages. */
  readonly path: string;
  readonly config: Qwen3Config;
  readonly checkpoint: Checkpoint;
  /** Canonical (`model.`-prefixed) name → name in the files. */
  readonly storedName: (name: string) => string;
}

function check(source: Qwen3Source): Qwen3Source {
  source.checkpoint.check(qwen3ParamShapes(source.config), {
    what: `the Qwen3 text encoder ${source.layout === 'diffusers' ? 'its config.json describes' : 'its tensor shapes describe'}`,
    storedName: source.storedName,
    ignore: QWEN3_IGNORED,
  });
  return source;
}

/** A text_encoder/ folder: config.json and safetensors (sharded or not), names with or without `model.`. */
export function qwen3FromFolder(folder: string, label = `${basename(folder)}/`): Qwen3Source {
  const file = join(folder, 'config.json');
  if (!existsSync(file)) throw new EngineError('MODEL_INVALID', `${file} is missing; the Qwen3 text encoder needs its config.json.`, { file });
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new EngineError('MODEL_INVALID', `${file} is not valid JSON: ${(error as Error).message}.`, { file }, { cause: error });
  }
  const parsed = Qwen3ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
    throw new EngineError('MODEL_INVALID', `${file} does not describe a Qwen3 text encoder: ${issues}.`, { file });
  }
  const checkpoint = Checkpoint.fromDir(folder, label);
  return check({ layout: 'diffusers', path: folder, config: parsed.data, checkpoint, storedName: qwen3StoredName((name) => checkpoint.has(name)) });
}

/** A single safetensors file (ComfyUI's qwen_3_4b.safetensors has `model.`-prefixed names and no config). */
export function qwen3FromFile(file: string): Qwen3Source {
  const checkpoint = Checkpoint.fromFiles(basename(file), [file]);
  const storedName = qwen3StoredName((name) => checkpoint.has(name));
  let config: Qwen3Config;
  try {
    config = qwen3ConfigFromShapes((name) => checkpoint.tensors.get(storedName(name))?.shape, [...checkpoint.tensors.keys()].map((n) => (n.startsWith('model.') ? n : `model.${n}`)), file);
  } catch (error) {
    throw new EngineError('MODEL_INVALID', `${(error as Error).message}.`, { file }, { cause: error });
  }
  return check({ layout: 'single-file', path: file, config, checkpoint, storedName });
}

/** ComfyUI's Qwen3 single files (qwen_3_4b.safetensors, qwen_3_8b_fp8mixed.safetensors, …). */
const COMFY_QWEN3 = /^qwen[-_]?3.*\.safetensors$/i;

/**
 * A model folder's Qwen3: its text_encoder/ folder (diffusers) or the one
 * ComfyUI single file beside it; `files` names the files this model uses, for
 * the message when there is none.
 */
export function qwen3FromModelFolder(dir: string, files: string): Qwen3Source {
  const folder = join(dir, 'text_encoder');
  if (existsSync(folder) && statSync(folder).isDirectory()) return qwen3FromFolder(folder, 'text_encoder/');
  const found = readdirSync(dir).filter((name) => COMFY_QWEN3.test(name));
  if (found.length === 1) return qwen3FromFile(join(dir, found[0]!));
  throw new EngineError(
    'MODEL_INVALID',
    found.length === 0
      ? `${dir} has no text encoder: expected a text_encoder/ folder (diffusers layout) or ComfyUI's ${files}.`
      : `${dir} holds several Qwen3 text encoders (${found.join(', ')}); keep one per folder.`,
    { file: folder },
  );
}

/**
 * Loads the layers that hidden states `indices` need (quantized as asked),
 * encodes, and drops the checkpoint's records; the weights go with the
 * encoder once the caller's job moves on.
 */
export function* encodeQwen3Stepwise(
  mx: MxBackend,
  source: Qwen3Source,
  tokens: PromptTokens,
  indices: readonly number[],
  quantization: Quantization,
): Generator<void, MxArray[], void> {
  const upTo = layersFor(source.config, indices);
  const shapes = qwen3ParamShapes(source.config, upTo);
  const params = yield* materialize(mx, checkpointPlans(mx, source.checkpoint, shapes, source.storedName), quantization);
  source.checkpoint.close();
  const states = yield* new Qwen3Encoder(mx, source.config, params, upTo).encodeStepwise(tokens.ids, tokens.mask, indices);
  mx.eval(...states);
  return states;
}

/**
 * Z-Image's prompt features: per prompt, `hidden_states[-2]` over its real
 * tokens only, [1, tokens, hidden] (pipeline_z_image.py `_encode_prompt`).
 */
export function* encodeZImagePrompts(
  mx: MxBackend,
  source: Qwen3Source,
  tokenizer: Qwen3Tokenizer,
  prompts: readonly string[],
  quantization: Quantization,
): Generator<void, MxArray[], void> {
  const padded = zImagePromptTokens(tokenizer, prompts);
  // The states of real tokens never see right padding (the mask is causal and the
  // pads come last), and only those are kept: encoding up to the longest prompt
  // gives them exactly, without running 36 layers over up to 512 pads.
  const longest = Math.max(...padded.mask.map((row) => row.lastIndexOf(1) + 1));
  const tokens = tokenizer.paddingSide === 'right' ? { ids: padded.ids.map((row) => row.slice(0, longest)), mask: padded.mask.map((row) => row.slice(0, longest)) } : padded;
  const [hidden] = yield* encodeQwen3Stepwise(mx, source, tokens, [source.config.num_hidden_layers - 1], quantization);
  return tokens.mask.map((row, b) => {
    const keep = row.flatMap((m, i) => (m ? [i] : []));
    const states = mx.take(mx.split(hidden!, prompts.length, 0)[b]!, mx.array(keep, mx.int32), 1);
    mx.eval(states);
    return states;
  });
}

/** The hidden states klein stacks (pipeline_flux2_klein.py `hidden_states_layers`). */
export const KLEIN_LAYERS = [9, 18, 27] as const;

/**
 * klein's prompt features: hidden states 9, 18 and 27 concatenated per token,
 * layer-major, over all 512 positions, [B, 512, 3·hidden].
 */
export function* encodeKleinPrompts(
  mx: MxBackend,
  source: Qwen3Source,
  tokenizer: Qwen3Tokenizer,
  prompts: readonly string[],
  quantization: Quantization,
  maxLength?: number,
): Generator<void, MxArray, void> {
  const tokens = kleinPromptTokens(tokenizer, prompts, maxLength);
  const states = yield* encodeQwen3Stepwise(mx, source, tokens, KLEIN_LAYERS, quantization);
  const features = mx.concatenate(states, -1);
  mx.eval(features);
  return features;
}
