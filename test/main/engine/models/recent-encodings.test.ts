// The prompt encodings a model keeps: which prompts still need encoding, the
// batch in the order asked for, the least recently used dropped first, and a
// batch's own prompts never dropped while it is assembled. Needs MLX.

import { describe, expect, it } from 'vitest';
import { RecentEncodings, type PromptEncoding } from '../../../../main/engine/models/recent-encodings.ts';
import { mx, values } from '../../../support/mlx.ts';

const row = (value: number, unknownWords: string[] = []): PromptEncoding => ({
  context: mx.array([[[value, value]]] as unknown as number[][]),
  pooled: mx.array([[value]]),
  unknownWords,
});

describe('RecentEncodings', () => {
  it('names each prompt still to encode once, and batches the held ones in the order asked', () => {
    const recent = new RecentEncodings(4);
    expect(recent.missing(['a', 'b', 'a'])).toEqual(['a', 'b']);
    recent.remember('a', row(1, ['x']));
    recent.remember('b', row(2, ['x', 'y']));
    expect(recent.missing(['a', 'b', 'c'])).toEqual(['c']);
    const batch = recent.batch(mx, ['b', 'a', 'b']);
    expect(values(batch.pooled)).toEqual([2, 1, 2]);
    expect(batch.context.shape).toEqual([3, 1, 2]);
    expect(batch.unknownWords).toEqual(['x', 'y']);
  });

  it('drops the least recently encoded prompt beyond its size', () => {
    const recent = new RecentEncodings(2);
    recent.remember('a', row(1));
    recent.remember('b', row(2));
    recent.remember('a', row(3));
    recent.remember('c', row(4));
    expect(recent.missing(['a', 'b', 'c'])).toEqual(['b']);
    expect(values(recent.batch(mx, ['a']).pooled)).toEqual([3]);
  });

  it('keeps a prompt every batch uses (the shared empty negative prompt) past its size in distinct prompts', () => {
    // Issue 12, item 1: with CFG the 8th distinct prompt evicted "" while its own batch needed it.
    const recent = new RecentEncodings(8);
    const prompts = ['red heart', 'fire', 'rocket', 'dog face', 'rainbow', 'christmas tree', 'thumbs up', 'grinning face', 'star'];
    prompts.forEach((prompt, i) => {
      for (const missing of recent.missing([prompt, ''])) recent.remember(missing, row(missing === '' ? -1 : i));
      expect(values(recent.batch(mx, [prompt, '']).pooled)).toEqual([i, -1]);
    });
    expect(recent.missing([''])).toEqual([]);
  });

  it('refreshes a prompt when a batch uses it, so the least recently used one goes first', () => {
    const recent = new RecentEncodings(2);
    recent.remember('a', row(1));
    recent.remember('b', row(2));
    expect(recent.missing(['a'])).toEqual([]);
    recent.batch(mx, ['a']);
    recent.remember('c', row(3));
    expect(recent.missing(['a', 'b', 'c'])).toEqual(['b']);
  });

  it('serves a batch with more distinct prompts than its size, then keeps only the most recent', () => {
    const recent = new RecentEncodings(2);
    recent.remember('a', row(1));
    const missing = recent.missing(['a', 'b', 'c']);
    expect(missing).toEqual(['b', 'c']);
    missing.forEach((prompt, i) => recent.remember(prompt, row(i + 2)));
    expect(values(recent.batch(mx, ['a', 'b', 'c']).pooled)).toEqual([1, 2, 3]);
    expect(recent.missing(['a', 'b', 'c'])).toEqual(['a']);
  });

  it('keeps a batch whole: a held prompt asked for again is not the one evicted for the missing one', () => {
    // The negative prompt '' was encoded first and is reused by every run; a ninth positive prompt must not evict it.
    const recent = new RecentEncodings(2);
    recent.remember('', row(0));
    recent.remember('a', row(1));
    expect(recent.missing(['b', ''])).toEqual(['b']);
    recent.remember('b', row(2));
    expect(values(recent.batch(mx, ['b', '']).pooled)).toEqual([2, 0]);
  });

  it('says which prompt it does not hold', () => {
    expect(() => new RecentEncodings().batch(mx, ['red heart'])).toThrow(/No encoding is held for the prompt "red heart"/);
  });
});
