// The dataset builder's pure parts: compositing every PNG flavour the emoji packages use onto white, matching
// emoji-datasource's code points to CLDR names, and the captions. Fetches nothing.

import { encode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { captionsFor, onWhite, sequenceKey, unifiedKey, type DatasourceEntry } from '../../scripts/build-emoji-dataset.ts';

const SIZE = 64;

function png(channels: number, pixel: number[], extra: Record<string, unknown> = {}): Uint8Array {
  const data = new Uint8Array(SIZE * SIZE * channels);
  for (let i = 0; i < SIZE * SIZE; i++) data.set(pixel, i * channels);
  return encode({ width: SIZE, height: SIZE, data, channels, depth: 8, ...extra });
}

describe('onWhite', () => {
  it('blends RGBA over white by alpha', () => {
    const rgb = onWhite(png(4, [200, 0, 100, 128]), 'x.png');
    const a = 128 / 255;
    expect([...rgb.subarray(0, 3)]).toEqual([200, 0, 100].map((v) => Math.round(v * a + 255 * (1 - a))));
    expect(rgb.length).toBe(SIZE * SIZE * 3);
  });

  it('turns fully transparent pixels white and keeps opaque RGB as it is', () => {
    expect([...onWhite(png(4, [10, 20, 30, 0]), 'x.png').subarray(0, 3)]).toEqual([255, 255, 255]);
    expect([...onWhite(png(3, [10, 20, 30]), 'x.png').subarray(0, 3)]).toEqual([10, 20, 30]);
  });

  it('reads grey + alpha as grey on white', () => {
    expect([...onWhite(png(2, [0, 255]), 'x.png').subarray(0, 3)]).toEqual([0, 0, 0]);
  });

  it('expands indexed (palette) PNGs', () => {
    const data = new Uint8Array(SIZE * SIZE).fill(1);
    const indexed = encode({ width: SIZE, height: SIZE, data, channels: 1, depth: 8, palette: [[0, 0, 0], [250, 10, 20]] });
    expect([...onWhite(indexed, 'x.png').subarray(0, 3)]).toEqual([250, 10, 20]);
  });

  it('names the file and what was wrong for an image of another size', () => {
    const small = encode({ width: 8, height: 8, data: new Uint8Array(8 * 8 * 3), channels: 3, depth: 8 });
    expect(() => onWhite(small, 'img/1f600.png')).toThrow(/img\/1f600\.png: expected .*64×64.* got 8×8/);
  });
});

describe('code point keys', () => {
  it('match a datasource "unified" string to the emoji characters, ignoring variation selectors', () => {
    expect(unifiedKey('2764-FE0F')).toBe(sequenceKey('\u2764\uFE0F'));
    expect(unifiedKey('2764-FE0F')).toBe(sequenceKey('\u2764'));
    expect(unifiedKey('1F468-200D-1F373')).toBe(sequenceKey('👨‍🍳'));
    expect(unifiedKey('1F600')).not.toBe(sequenceKey('😃'));
  });
});

describe('captionsFor', () => {
  const entry = { short_names: ['heart', 'red_heart'], subcategory: 'heart', category: 'Smileys & Emotion' } as unknown as DatasourceEntry;

  it('gives the name with and without the style, and the short names that differ from it', () => {
    expect(captionsFor(entry, 'red heart', 'twemoji')).toEqual([
      'red heart, twemoji style',
      'red heart',
      'twemoji style red heart',
      'red heart, heart, twemoji style',
      'heart, twemoji style',
    ]);
  });
});
