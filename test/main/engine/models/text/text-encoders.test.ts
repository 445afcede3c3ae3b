// Parity of the engine's T5 and CLIP text encoders and FLUX.1's tokenizers
// with PyTorch transformers on the same tiny random weights (fixture made by
// training/fixtures/make_text_encoder_fixture.py on the GPU machine).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Checkpoint } from '../../../../../main/engine/io/checkpoint.ts';
import { checkpointPlans, materialize, runSync } from '../../../../../main/engine/io/materialize.ts';
import { ClipTextConfigSchema, ClipTextEncoder, clipParamShapes, clipStoredName, CLIP_IGNORED, poolIndex } from '../../../../../main/engine/models/text/clip.ts';
import { relativePositionBucket, T5ConfigSchema, T5Encoder, t5ParamShapes } from '../../../../../main/engine/models/text/t5.ts';
import { loadClipTokenizer, loadT5Tokenizer } from '../../../../../main/engine/models/text/tokenizers.ts';
import { mx, values } from '../../../../support/mlx.ts';

const FIXTURE = new URL('../../../../fixtures/flux1-text-encoders/', import.meta.url).pathname;
const expected = JSON.parse(readFileSync(join(FIXTURE, 'expected.json'), 'utf8')) as {
  prompts: string[];
  clip_ids: number[][];
  t5_ids: number[][];
};
const reference = mx.load(join(FIXTURE, 'expected.safetensors')) as Record<string, import('../../../../../main/engine/mlx/backend.ts').MxArray>;

function maxAbsDiff(a: number[], b: number[]): number {
  expect(a.length).toBe(b.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
}

function readConfig<T>(schema: { parse(v: unknown): T }, dir: string): T {
  return schema.parse(JSON.parse(readFileSync(join(FIXTURE, dir, 'config.json'), 'utf8')));
}

describe('tokenizers', () => {
  it('T5: tokenizer.json ids, end token and padding match transformers', () => {
    const tokenizer = loadT5Tokenizer(join(FIXTURE, 'tokenizer_2'));
    expected.prompts.forEach((prompt, i) => expect(tokenizer.encode(prompt, 40)).toEqual(expected.t5_ids[i]));
  });

  it('CLIP: built from vocab.json + merges.txt, ids match transformers’ CLIPTokenizer', () => {
    const tokenizer = loadClipTokenizer(join(FIXTURE, 'tokenizer'));
    expected.prompts.forEach((prompt, i) => expect(tokenizer.encode(prompt, 77)).toEqual(expected.clip_ids[i]));
  });

  it('truncates to the limit and keeps the end token', () => {
    const t5 = loadT5Tokenizer(join(FIXTURE, 'tokenizer_2'));
    const long = 'the red cat '.repeat(40);
    const ids = t5.encode(long, 8);
    expect(ids).toHaveLength(8);
    expect(ids[7]).toBe(1);
    const clip = loadClipTokenizer(join(FIXTURE, 'tokenizer'));
    const clipIds = clip.encode(long, 77);
    expect(clipIds).toHaveLength(77);
    expect(clipIds[0]).toBe(expected.clip_ids[0]![0]);
    expect(clipIds[76]).toBe(expected.clip_ids[0]![76]);
  });
});

describe('T5 encoder', () => {
  it('buckets relative positions as transformers does', () => {
    // transformers, bidirectional, 32 buckets, max distance 128.
    const table: Array<[number, number]> = [[0, 0], [1, 17], [-1, 1], [7, 23], [8, 24], [-8, 8], [15, 25], [16, 26], [-16, 10], [127, 31], [500, 31], [-500, 15]];
    for (const [relative, bucket] of table) expect(relativePositionBucket(relative, 32, 128), `relative ${relative}`).toBe(bucket);
  });

  it('matches transformers’ T5EncoderModel on the sharded tiny checkpoint', () => {
    const config = readConfig(T5ConfigSchema, 'text_encoder_2');
    const checkpoint = Checkpoint.fromDir(join(FIXTURE, 'text_encoder_2'));
    expect(checkpoint.files).toHaveLength(2);
    const shapes = t5ParamShapes(config);
    checkpoint.check(shapes);
    const params = runSync(materialize(mx, checkpointPlans(mx, checkpoint, shapes), 'none'));
    const out = new T5Encoder(mx, config, params).encode(expected.t5_ids);
    expect(out.shape).toEqual([3, 40, 32]);
    expect(maxAbsDiff(values(out), values(reference.t5_last_hidden_state!))).toBeLessThan(1e-4);
  });
});

describe('CLIP text encoder', () => {
  it('pools at the first highest id, as transformers does for eos_token_id 2', () => {
    expect(poolIndex([9, 3, 12, 12, 12], 2)).toBe(2);
    expect(poolIndex([9, 3, 7, 5], 7)).toBe(2);
  });

  it('matches transformers’ CLIPTextModel states and pooled output', () => {
    const config = readConfig(ClipTextConfigSchema, 'text_encoder');
    const checkpoint = Checkpoint.fromDir(join(FIXTURE, 'text_encoder'));
    const shapes = clipParamShapes(config);
    const storedName = clipStoredName((name) => checkpoint.has(name));
    checkpoint.check(shapes, { ignore: CLIP_IGNORED, storedName });
    const params = runSync(materialize(mx, checkpointPlans(mx, checkpoint, shapes, storedName), 'none'));
    const { hidden, pooled } = new ClipTextEncoder(mx, config, params).encode(expected.clip_ids);
    expect(hidden.shape).toEqual([3, 77, 32]);
    expect(maxAbsDiff(values(hidden), values(reference.clip_last_hidden_state!))).toBeLessThan(1e-4);
    expect(maxAbsDiff(values(pooled), values(reference.clip_pooler_output!))).toBeLessThan(1e-4);
  });
});
