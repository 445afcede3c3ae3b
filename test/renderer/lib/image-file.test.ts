// @vitest-environment jsdom
// Saving a run's image: its file name, and the bytes taken from the data: URL unchanged.

import { describe, expect, it } from 'vitest';
import { imageFileName, pngBytes } from '../../../renderer/lib/image-file.ts';
import { SaveImageInputSchema } from '../../../main/core/contract.ts';
import { entry } from '../fixtures.ts';

describe('imageFileName', () => {
  it('names the file after the prompt and seed, in a form the save request accepts', () => {
    const run = entry('run-1');
    const named = (prompt: string, seed = 42) => imageFileName({ request: { ...run.request, prompt, seed } });
    expect(named('Red heart!')).toBe('red-heart-seed-42.png');
    expect(named('')).toBe('image-seed-42.png');
    expect(named('../../etc/passwd', 7)).toBe('etc-passwd-seed-7.png');
    expect(named('x'.repeat(300)).length).toBeLessThanOrEqual(120);
    for (const prompt of ['Red heart!', '', '../../etc/passwd', 'ß✨ 日本', 'x'.repeat(300)]) {
      expect(SaveImageInputSchema.safeParse({ id: 'run-1', fileName: named(prompt) }).success).toBe(true);
    }
  });
});

describe('pngBytes', () => {
  it('decodes the data: URL to the exact bytes, and refuses anything but a PNG', () => {
    const bytes = [137, 80, 78, 71, 13, 10, 26, 10, 0, 255];
    const url = `data:image/png;base64,${btoa(String.fromCharCode(...bytes))}`;
    expect([...pngBytes(url)]).toEqual(bytes);
    expect(() => pngBytes('data:image/jpeg;base64,AAAA')).toThrow(/not a PNG/);
  });
});
