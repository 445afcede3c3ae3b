// Qwen3's tokenizer and chat template as Z-Image's and FLUX.2 klein's
// pipelines apply them: the tokenizer from the checkpoint's own tokenizer.json
// (offline, through @huggingface/tokenizers), Qwen3's chat template rendered
// for the one case they use (one user message, a generation prompt, thinking
// on or off), then padding and truncation to 512 as transformers does.
// Runs in the engine (Node); no Electron imports.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { EngineError } from '../../../core/errors.ts';
import { readJson } from './tokenizers.ts';

/** Both pipelines' `max_sequence_length`. */
export const QWEN3_PROMPT_TOKENS = 512;

export const IM_START = '<|im_start|>';
export const IM_END = '<|im_end|>';
export const THINK_OPEN = '<think>';
export const THINK_CLOSE = '</think>';

export interface Qwen3Tokenizer {
  /** The tokenizer.json it was read from, for error messages. */
  readonly file: string;
  readonly padId: number;
  readonly paddingSide: 'left' | 'right';
  readonly truncationSide: 'left' | 'right';
  /** Ids of `text` as transformers' `tokenizer(text)` gives them (Qwen's post-processor adds no tokens). */
  ids(text: string): number[];
}

/** Token ids and attention mask, [B][L] each. */
export interface PromptTokens {
  readonly ids: number[][];
  readonly mask: number[][];
}

/** A special token's text, whether the config writes it as a string or as an AddedToken object. */
function tokenText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') return (value as { content: string }).content;
  return undefined;
}

function side(value: unknown, file: string, key: string): 'left' | 'right' {
  if (value === undefined || value === null || value === 'right') return 'right';
  if (value === 'left') return 'left';
  throw new EngineError('MODEL_INVALID', `${file} has ${key} ${JSON.stringify(value)}; expected "left" or "right".`, { file });
}

/**
 * The Qwen tokenizer of a checkpoint's tokenizer/ folder: tokenizer.json, and
 * tokenizer_config.json for the pad token, padding side and chat template.
 * The template must be Qwen3's (the engine renders it itself).
 */
export function loadQwen3Tokenizer(dir: string): Qwen3Tokenizer {
  const file = join(dir, 'tokenizer.json');
  const configFile = join(dir, 'tokenizer_config.json');
  if (!existsSync(file)) {
    const hasVocab = existsSync(join(dir, 'vocab.json'));
    throw new EngineError(
      'MODEL_INVALID',
      `${file} is missing${hasVocab ? ' (the folder has vocab.json and merges.txt, which the engine does not read: it needs the tokenizer.json form)' : ''}. ` +
        'Copy the tokenizer/ folder of the same release (Tongyi-MAI/Z-Image-Turbo, black-forest-labs/FLUX.2-klein-4B and Qwen/Qwen3-4B ship tokenizer.json).',
      { file, missing: 'tokenizer.json' },
    );
  }
  const config = existsSync(configFile) ? readJson(configFile, 'tokenizer config') : {};
  const template = config.chat_template;
  if (template !== undefined && (typeof template !== 'string' || !template.includes(IM_START) || !template.includes('enable_thinking'))) {
    throw new EngineError(
      'MODEL_INVALID',
      `${configFile} carries a chat template that is not Qwen3's (no ${IM_START} turns or enable_thinking switch); the text encoder needs the tokenizer of its own Qwen3 release.`,
      { file: configFile },
    );
  }
  const tokenizer = new Tokenizer(readJson(file, 'tokenizer.json'), config);
  const requireId = (token: string): number => {
    const id = tokenizer.token_to_id(token);
    if (id === undefined) throw new EngineError('MODEL_INVALID', `${file} has no "${token}" token, which Qwen3's chat template needs: it is not a Qwen3 tokenizer.`, { file, token });
    return id;
  };
  for (const token of [IM_START, IM_END]) requireId(token);
  const padToken = tokenText(config.pad_token) ?? '<|endoftext|>';
  return {
    file,
    padId: requireId(padToken),
    paddingSide: side(config.padding_side, configFile, 'padding_side'),
    truncationSide: side(config.truncation_side, configFile, 'truncation_side'),
    ids: (text) => tokenizer.encode(text).ids,
  };
}

/**
 * Qwen3's chat template for `[{role: "user", content: prompt}]` with
 * `add_generation_prompt=True`: with thinking off (klein) it appends an empty
 * think block; with it on (Z-Image) it adds none.
 */
export function qwen3ChatText(prompt: string, enableThinking: boolean): string {
  const text = `${IM_START}user\n${prompt}${IM_END}\n${IM_START}assistant\n`;
  return enableThinking ? text : `${text}${THINK_OPEN}\n\n${THINK_CLOSE}\n\n`;
}

/** `tokenizer(texts, padding="max_length", max_length, truncation=True)`. */
export function padTokens(tokenizer: Qwen3Tokenizer, texts: readonly string[], maxLength: number): PromptTokens {
  const ids: number[][] = [];
  const mask: number[][] = [];
  for (const text of texts) {
    let row = tokenizer.ids(text);
    if (row.length > maxLength) row = tokenizer.truncationSide === 'right' ? row.slice(0, maxLength) : row.slice(row.length - maxLength);
    const pad = new Array<number>(maxLength - row.length).fill(tokenizer.padId);
    const ones = new Array<number>(row.length).fill(1);
    const zeros = new Array<number>(pad.length).fill(0);
    ids.push(tokenizer.paddingSide === 'right' ? [...row, ...pad] : [...pad, ...row]);
    mask.push(tokenizer.paddingSide === 'right' ? [...ones, ...zeros] : [...zeros, ...ones]);
  }
  return { ids, mask };
}

/** Z-Image's `_encode_prompt` tokens: thinking on, padded to 512 (the padding is dropped after encoding by the mask). */
export function zImagePromptTokens(tokenizer: Qwen3Tokenizer, prompts: readonly string[], maxLength = QWEN3_PROMPT_TOKENS): PromptTokens {
  return padTokens(tokenizer, prompts.map((prompt) => qwen3ChatText(prompt, true)), maxLength);
}

/** klein's `_get_qwen3_prompt_embeds` tokens: thinking off, padded to 512, every position kept. */
export function kleinPromptTokens(tokenizer: Qwen3Tokenizer, prompts: readonly string[], maxLength = QWEN3_PROMPT_TOKENS): PromptTokens {
  return padTokens(tokenizer, prompts.map((prompt) => qwen3ChatText(prompt, false)), maxLength);
}
