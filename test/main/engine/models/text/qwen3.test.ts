// Parity of the engine's Qwen3 text encoder, Qwen tokenizer and chat template
// with transformers on tiny random weights (fixture made by
// training/fixtures/make_qwen3_fixture.py): Z-Image's and klein's prompt
// tokens, hidden states in float32 and 8-bit, both weight layouts, and the
// errors broken files give.

import { copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { MxArray } from '../../../../../main/engine/mlx/backend.ts';
import { runSync } from '../../../../../main/engine/io/materialize.ts';
import { layersFor, QWEN3_4B, qwen3ParamShapes, ropeTables } from '../../../../../main/engine/models/text/qwen3.ts';
import { kleinPromptTokens, loadQwen3Tokenizer, qwen3ChatText, zImagePromptTokens } from '../../../../../main/engine/models/text/qwen3-prompt.ts';
import { encodeKleinPrompts, encodeQwen3Stepwise, encodeZImagePrompts, qwen3FromFile, qwen3FromFolder } from '../../../../../main/engine/models/text/qwen3-text-encoder.ts';
import { mx, values } from '../../../../support/mlx.ts';

const FIXTURE = new URL('../../../../fixtures/qwen3-text-encoder/', import.meta.url).pathname;
const expected = JSON.parse(readFileSync(join(FIXTURE, 'expected.json'), 'utf8')) as {
  prompts: string[];
  long_prompt: string;
  special: Record<string, number>;
  z_image_text: string[];
  klein_text: string[];
  z_image_ids: number[][];
  z_image_mask: number[][];
  klein_ids: number[][];
  klein_mask: number[][];
  long_ids: number[][];
  long_mask: number[][];
  klein_short_length: number;
};
const reference = mx.load(join(FIXTURE, 'expected.safetensors')) as Record<string, MxArray>;
const tokenizer = loadQwen3Tokenizer(join(FIXTURE, 'tokenizer'));

/** Largest |a − b| relative to the reference's largest magnitude. */
function relativeError(actual: MxArray, wanted: MxArray): number {
  expect(actual.shape).toEqual(wanted.shape);
  const a = values(actual);
  const b = values(wanted);
  const scale = b.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0) / scale;
}

const scratch = mkdtempSync(join(tmpdir(), 'qwen3-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('Qwen3 chat template and tokenizer', () => {
  it('renders the template exactly as transformers’ apply_chat_template, thinking on and off', () => {
    expected.prompts.forEach((prompt, i) => {
      expect(qwen3ChatText(prompt, true)).toBe(expected.z_image_text[i]);
      expect(qwen3ChatText(prompt, false)).toBe(expected.klein_text[i]);
    });
  });

  it('reads special-token ids and the pad token from the checkpoint’s files', () => {
    expect(tokenizer.padId).toBe(expected.special['<|endoftext|>']);
    expect(tokenizer.ids('<|im_start|><think></think><|im_end|>')).toEqual(['<|im_start|>', '<think>', '</think>', '<|im_end|>'].map((t) => expected.special[t]));
  });

  it('Z-Image: ids and mask, padded to 512, match the pipeline’s tokenizer call', () => {
    const { ids, mask } = zImagePromptTokens(tokenizer, expected.prompts);
    expect(ids).toEqual(expected.z_image_ids);
    expect(mask).toEqual(expected.z_image_mask);
  });

  it('klein: ids and mask with the empty think block, padded to 512', () => {
    const { ids, mask } = kleinPromptTokens(tokenizer, expected.prompts);
    expect(ids).toEqual(expected.klein_ids);
    expect(mask).toEqual(expected.klein_mask);
  });

  it('the Hub’s tokenizer.json form (ByteLevel post-processor, as Qwen/Qwen3-4B ships) gives the same ids', () => {
    const dir = join(scratch, 'hub-tokenizer');
    cpSync(join(FIXTURE, 'tokenizer'), dir, { recursive: true });
    const json = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify({ ...json, post_processor: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false } }));
    expect(kleinPromptTokens(loadQwen3Tokenizer(dir), expected.prompts).ids).toEqual(expected.klein_ids);
  });

  it('truncates a long prompt to 512 tokens as transformers does', () => {
    const { ids, mask } = zImagePromptTokens(tokenizer, [expected.long_prompt]);
    expect(ids).toEqual(expected.long_ids);
    expect(mask).toEqual(expected.long_mask);
    expect(mask[0]!.every((m) => m === 1)).toBe(true);
  });
});

describe('Qwen3 encoder', () => {
  it('computes RoPE angles as transformers does in float32', () => {
    const { cos, sin } = ropeTables(3, 8, 1e6);
    expect(cos[0]).toEqual(new Array(8).fill(1));
    expect(sin[2]![0]).toBeCloseTo(Math.sin(2), 6);
    expect(sin[2]![4]).toBe(sin[2]![0]);
    expect(sin[2]![1]).toBeCloseTo(Math.sin(2 / 1e6 ** 0.25), 6);
  });

  it('loads only the layers the requested hidden states need', () => {
    expect(layersFor(QWEN3_4B, [35])).toBe(35);
    expect(Object.keys(qwen3ParamShapes(QWEN3_4B, 35))).not.toContain('model.norm.weight');
    expect(Object.keys(qwen3ParamShapes(QWEN3_4B, 35))).not.toContain('model.layers.35.mlp.up_proj.weight');
    expect(() => layersFor(QWEN3_4B, [37])).toThrow(/hidden states 0…36/);
  });

  it('Z-Image: hidden_states[-2] over the real tokens matches transformers (diffusers folder, sharded, no "model." prefix)', () => {
    const source = qwen3FromFolder(join(FIXTURE, 'text_encoder'));
    expect(source.checkpoint.files).toHaveLength(3);
    const states = runSync(encodeZImagePrompts(mx, source, tokenizer, expected.prompts, 'none'));
    expect(states).toHaveLength(3);
    states.forEach((state, i) => {
      expect(state.shape[0]).toBe(1);
      expect(relativeError(mx.reshape(state, state.shape[1]!, state.shape[2]!), reference[`z_image_${i}`]!)).toBeLessThan(1e-4);
    });
  });

  it('every entry of transformers’ hidden_states tuple, embeddings to the final norm', () => {
    const source = qwen3FromFolder(join(FIXTURE, 'text_encoder'));
    const tokens = zImagePromptTokens(tokenizer, [expected.prompts[0]!]);
    const real = tokens.mask[0]!.filter(Boolean).length;
    const short = { ids: [tokens.ids[0]!.slice(0, real)], mask: [tokens.mask[0]!.slice(0, real)] };
    const states = runSync(encodeQwen3Stepwise(mx, source, short, [0, 1, 2], 'none'));
    expect(relativeError(mx.stack(states.map((s) => mx.reshape(s, real, 128)), 0), reference.z_image_all_layers_0!)).toBeLessThan(1e-4);
  });

  it('8-bit quantized on load stays close to the float result', () => {
    const source = qwen3FromFolder(join(FIXTURE, 'text_encoder'));
    const states = runSync(encodeZImagePrompts(mx, source, tokenizer, [expected.prompts[0]!], 8));
    const error = relativeError(mx.reshape(states[0]!, states[0]!.shape[1]!, 128), reference.z_image_0!);
    expect(error).toBeGreaterThan(0);
    expect(error).toBeLessThan(0.02);
  });

  it('4-bit quantizes the layers wide enough for it and stays near the float result', () => {
    const source = qwen3FromFolder(join(FIXTURE, 'text_encoder'));
    const states = runSync(encodeZImagePrompts(mx, source, tokenizer, [expected.prompts[0]!], 4));
    const error = relativeError(mx.reshape(states[0]!, states[0]!.shape[1]!, 128), reference.z_image_0!);
    expect(error).toBeGreaterThan(0);
    expect(error).toBeLessThan(0.1);
  });

  it('reads transformers 4’s config.json spelling (top-level rope_theta, rope_scaling null)', () => {
    const dir = join(scratch, 'transformers-4-config');
    cpSync(join(FIXTURE, 'text_encoder'), dir, { recursive: true });
    const { rope_parameters: rope, ...config } = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(rope).toEqual({ rope_theta: 1e6, rope_type: 'default' });
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, rope_theta: 5e5, rope_scaling: null }));
    expect(qwen3FromFolder(dir).config.rope_theta).toBe(5e5);
  });

  it('klein: layers 9, 18, 27 stacked per token match transformers (ComfyUI single file, "model." prefix, no config)', () => {
    const source = qwen3FromFile(join(FIXTURE, 'qwen_3_tiny.safetensors'));
    expect(source.config).toMatchObject({ num_hidden_layers: 28, hidden_size: 32, num_attention_heads: 4, num_key_value_heads: 2, head_dim: 8 });
    const features = runSync(encodeKleinPrompts(mx, source, tokenizer, expected.prompts, 'none', expected.klein_short_length));
    expect(features.shape).toEqual([3, expected.klein_short_length, 96]);
    expect(relativeError(features, reference.klein_features!)).toBeLessThan(1e-4);
  });
});

describe('broken Qwen3 files', () => {
  it('a missing tokenizer.json is named, with where to get it', () => {
    const dir = join(scratch, 'no-tokenizer');
    cpSync(join(FIXTURE, 'tokenizer'), dir, { recursive: true });
    rmSync(join(dir, 'tokenizer.json'));
    expect(() => loadQwen3Tokenizer(dir)).toThrow(`${join(dir, 'tokenizer.json')} is missing`);
  });

  it('a chat template that is not Qwen3’s is refused, naming tokenizer_config.json', () => {
    const dir = join(scratch, 'other-template');
    cpSync(join(FIXTURE, 'tokenizer'), dir, { recursive: true });
    const config = JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ ...config, chat_template: '{{ messages[0].content }}' }));
    expect(() => loadQwen3Tokenizer(dir)).toThrow(`${join(dir, 'tokenizer_config.json')} carries a chat template that is not Qwen3's`);
  });

  it('a truncated shard is refused before loading, naming the file', () => {
    const dir = join(scratch, 'truncated');
    cpSync(join(FIXTURE, 'text_encoder'), dir, { recursive: true });
    const shard = join(dir, 'model-00002-of-00003.safetensors');
    truncateSync(shard, 5000);
    expect(() => qwen3FromFolder(dir)).toThrow(`${shard} is not a valid safetensors file`);
  });

  it('a config.json that does not match the weights lists every mis-shaped tensor', () => {
    const dir = join(scratch, 'wrong-shape');
    cpSync(join(FIXTURE, 'text_encoder'), dir, { recursive: true });
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, intermediate_size: 192 }));
    expect(() => qwen3FromFolder(dir)).toThrow(/"layers\.0\.mlp\.gate_proj\.weight" in model-0000\d-of-00003\.safetensors has shape \[256, 128\], expected \[192, 128\]/);
  });

  it('a config.json asking for what Qwen3 does not have is refused, naming the file', () => {
    const dir = join(scratch, 'sliding');
    cpSync(join(FIXTURE, 'text_encoder'), dir, { recursive: true });
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, use_sliding_window: true }));
    expect(() => qwen3FromFolder(dir)).toThrow(`${join(dir, 'config.json')} does not describe a Qwen3 text encoder: use_sliding_window: sliding-window attention is not supported`);
  });

  it('a single file that is not a Qwen3 encoder says so', () => {
    const file = join(scratch, 'qwen_3_other.safetensors');
    copyFileSync(join(FIXTURE, 'expected.safetensors'), file);
    expect(() => qwen3FromFile(file)).toThrow(`${file} has no "model.embed_tokens.weight": it is not a Qwen3 text encoder`);
  });
});
