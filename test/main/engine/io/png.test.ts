// PNGs carry their parameters in text chunks, whatever the prompt's script.

import { describe, expect, it } from 'vitest';
import { asciiSafe, decodePng, encodePng } from '../../../../main/engine/io/png.ts';

describe('png', () => {
  it('round-trips RGB pixels and text chunks', () => {
    const rgb = Uint8Array.from({ length: 4 * 2 * 3 }, (_, i) => i * 10);
    const decoded = decodePng(encodePng(rgb, 4, 2, { parameters: 'red heart\nSteps: 30' }));
    expect(decoded).toMatchObject({ width: 4, height: 2, text: { parameters: 'red heart\nSteps: 30' } });
    expect(Array.from(decoded.rgb)).toEqual(Array.from(rgb));
  });

  it('escapes non-ASCII text so JSON in a chunk still parses to the original', () => {
    const record = JSON.stringify({ prompt: 'cœur rouge ❤' });
    const text = decodePng(encodePng(new Uint8Array(3), 1, 1, { record })).text.record!;
    expect(text).toBe(asciiSafe(record));
    expect(JSON.parse(text)).toEqual({ prompt: 'cœur rouge ❤' });
  });

  it('refuses pixel data that does not fit the size', () => {
    expect(() => encodePng(new Uint8Array(5), 1, 1)).toThrow(/5 bytes; 1×1 needs 3/);
  });
});
