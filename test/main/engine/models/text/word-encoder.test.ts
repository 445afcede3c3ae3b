// The built-in model's word tokenizer and encoder.

import { describe, expect, it } from 'vitest';
import { randomParams } from '../../../../../main/engine/models/layers.ts';
import { WordEncoder, wordEncoderParamShapes, WordTokenizer } from '../../../../../main/engine/models/text/word-encoder.ts';
import { mx, values } from '../../../../support/mlx.ts';

const vocab = ['<pad>', '<unk>', '<bos>', 'red', 'heart', 'cat'];

describe('WordTokenizer', () => {
  it('lower-cases, splits on punctuation, starts with <bos> and pads', () => {
    const tokenizer = new WordTokenizer(vocab);
    expect(tokenizer.encode('Red, HEART!', 6)).toEqual({ ids: [2, 3, 4, 0, 0, 0], length: 3, unknown: [] });
  });

  it('maps unknown words to <unk> and reports them', () => {
    expect(new WordTokenizer(vocab).encode('red dragon', 4)).toEqual({ ids: [2, 3, 1, 0], length: 3, unknown: ['dragon'] });
  });

  it('truncates to the token limit and keeps the empty prompt non-empty', () => {
    const tokenizer = new WordTokenizer(vocab);
    expect(tokenizer.encode('red heart cat red', 3).ids).toEqual([2, 3, 4]);
    expect(tokenizer.encode('', 3)).toEqual({ ids: [2, 0, 0], length: 1, unknown: [] });
  });

  it('refuses a vocabulary without the special tokens first', () => {
    expect(() => new WordTokenizer(['red', '<pad>'])).toThrow(/must start with <pad>, <unk>, <bos>/);
  });
});

describe('WordEncoder', () => {
  const config = { maxTokens: 5, width: 16, depth: 2, numHeads: 2, mlpRatio: 2, pooledDim: 8 };
  const encoder = new WordEncoder(mx, config, new WordTokenizer(vocab), randomParams(mx, wordEncoderParamShapes(config, vocab.length), 3));

  it('gives per-token context and a pooled vector per prompt', () => {
    const out = encoder.encode(['red heart', '']);
    expect(out.context.shape).toEqual([2, 5, 16]);
    expect(out.pooled.shape).toEqual([2, 8]);
  });

  it('ignores padding: the same prompt encodes the same alone or beside a longer one', () => {
    const alone = values(encoder.encode(['red']).pooled);
    const batched = values(encoder.encode(['red', 'red heart cat']).pooled).slice(0, 8);
    batched.forEach((v, i) => expect(v).toBeCloseTo(alone[i]!, 5));
  });
});
