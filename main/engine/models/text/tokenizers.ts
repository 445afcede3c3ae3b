// FLUX.1's two tokenizers, read from the checkpoint's own files through
// @huggingface/tokenizers, offline: T5 from tokenizer_2/tokenizer.json, CLIP
// from tokenizer/tokenizer.json or vocab.json + merges.txt. Pads and truncates
// exactly as the reference pipeline does (padding to max_length, end token
// kept). Runs in the engine (Node); no Electron imports.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { EngineError } from '../../../core/errors.ts';

export interface TextTokenizer {
  /** Ids of `text`, with the model's special tokens, padded or truncated to exactly `length`. */
  encode(text: string, length: number): number[];
}

/** A tokenizer's JSON file as an object; anything else is a precise MODEL_INVALID naming the file. */
export function readJson(file: string, what: string): Record<string, unknown> {
  try {
    const value = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not a JSON object');
    return value as Record<string, unknown>;
  } catch (error) {
    throw new EngineError('MODEL_INVALID', `${file} is not a valid ${what}: ${(error as Error).message}. Download it again.`, { file }, { cause: error });
  }
}

function requireId(tokenizer: Tokenizer, token: string, file: string): number {
  const id = tokenizer.token_to_id(token);
  if (id === undefined) throw new EngineError('MODEL_INVALID', `${file} has no "${token}" token, which FLUX.1's tokenizer needs.`, { file, token });
  return id;
}

/** T5's SentencePiece tokenizer: text, then `</s>`, then `<pad>` (id from the file). */
export function loadT5Tokenizer(dir: string): TextTokenizer {
  const file = join(dir, 'tokenizer.json');
  if (!existsSync(file)) {
    const spiece = existsSync(join(dir, 'spiece.model'));
    throw new EngineError(
      'MODEL_INVALID',
      `${file} is missing${spiece ? ' (the folder has spiece.model, which the engine does not read: it needs the tokenizer.json form)' : ''}. ` +
        `Copy tokenizer_2/tokenizer.json from the same FLUX.1 release (black-forest-labs/FLUX.1-dev and FLUX.1-schnell ship it), ` +
        `or write it with Python: from transformers import T5TokenizerFast; T5TokenizerFast.from_pretrained("${dir}").save_pretrained("${dir}")`,
      { file, missing: 'tokenizer.json' },
    );
  }
  const config = existsSync(join(dir, 'tokenizer_config.json')) ? readJson(join(dir, 'tokenizer_config.json'), 'tokenizer config') : {};
  const tokenizer = new Tokenizer(readJson(file, 'tokenizer.json'), config);
  const eos = requireId(tokenizer, '</s>', file);
  const pad = requireId(tokenizer, '<pad>', file);
  return {
    encode(text, length) {
      const ids = tokenizer.encode(text, { add_special_tokens: false }).ids.slice(0, length - 1);
      ids.push(eos);
      while (ids.length < length) ids.push(pad);
      return ids;
    },
  };
}

export const CLIP_BOS = '<|startoftext|>';
export const CLIP_EOS = '<|endoftext|>';

/**
 * The tokenizer.json that transformers builds for CLIP from vocab.json and
 * merges.txt (FLUX.1's tokenizer/ folder ships only those): NFC, whitespace
 * runs to one space, lower case, CLIP's word split, byte-level BPE with
 * `</w>` word ends.
 */
export function clipTokenizerJson(vocab: Record<string, number>, merges: string[]): Record<string, unknown> {
  const added = (content: string) => ({ id: vocab[content], content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  return {
    version: '1.0',
    added_tokens: [added(CLIP_BOS), added(CLIP_EOS)],
    normalizer: {
      type: 'Sequence',
      normalizers: [{ type: 'NFC' }, { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' }, { type: 'Lowercase' }],
    },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        {
          type: 'Split',
          pattern: { Regex: "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+" },
          behavior: 'Removed',
          invert: true,
        },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
      ],
    },
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: CLIP_EOS,
      continuing_subword_prefix: '',
      end_of_word_suffix: '</w>',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
}

/** CLIP's BPE tokenizer: start token, text, end token, then end tokens as padding. */
export function loadClipTokenizer(dir: string): TextTokenizer {
  const jsonFile = join(dir, 'tokenizer.json');
  const vocabFile = join(dir, 'vocab.json');
  const mergesFile = join(dir, 'merges.txt');
  let json: Record<string, unknown>;
  let source: string;
  if (existsSync(jsonFile)) {
    json = readJson(jsonFile, 'tokenizer.json');
    source = jsonFile;
  } else if (existsSync(vocabFile) && existsSync(mergesFile)) {
    const vocab = readJson(vocabFile, 'CLIP vocabulary') as Record<string, number>;
    const merges = readFileSync(mergesFile, 'utf8')
      .split('\n')
      .filter((line, i) => line.trim().length > 0 && !(i === 0 && line.startsWith('#version')));
    json = clipTokenizerJson(vocab, merges);
    source = vocabFile;
  } else {
    const missing = [vocabFile, mergesFile].filter((file) => !existsSync(file));
    throw new EngineError(
      'MODEL_INVALID',
      `The CLIP tokenizer in ${dir} is incomplete: it needs tokenizer.json, or vocab.json and merges.txt; missing ${missing.join(' and ')}. Copy the tokenizer/ folder of the same FLUX.1 release.`,
      { file: dir, missing },
    );
  }
  // The pipeline adds the start and end tokens itself, so whatever post-processor the file names is not used.
  const tokenizer = new Tokenizer({ ...json, post_processor: null }, {});
  const bos = requireId(tokenizer, CLIP_BOS, source);
  const eos = requireId(tokenizer, CLIP_EOS, source);
  return {
    encode(text, length) {
      const ids = [bos, ...tokenizer.encode(text, { add_special_tokens: false }).ids.slice(0, length - 2), eos];
      while (ids.length < length) ids.push(eos);
      return ids;
    },
  };
}
