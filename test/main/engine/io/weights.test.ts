// Weights files: precise errors for broken files and mismatched parameters.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkParams, loadSafetensors } from '../../../../main/engine/io/weights.ts';
import { mx, values } from '../../../support/mlx.ts';

const dir = mkdtempSync(join(tmpdir(), 'weights-'));

describe('loadSafetensors', () => {
  it('reads named arrays', () => {
    const file = join(dir, 'ok.safetensors');
    mx.saveSafetensors(file, { 'a.weight': mx.array([[1, 2], [3, 4]]) });
    expect(values(loadSafetensors(mx, file)['a.weight']!)).toEqual([1, 2, 3, 4]);
  });

  it('names the file and the likely cause for a truncated file', () => {
    const file = join(dir, 'truncated.safetensors');
    mx.saveSafetensors(join(dir, 'full.safetensors'), { w: mx.ones([64, 64]) });
    writeFileSync(file, readFileSync(join(dir, 'full.safetensors')).subarray(0, 200));
    expect(() => loadSafetensors(mx, file)).toThrow(expect.objectContaining({ code: 'MODEL_INVALID', message: expect.stringContaining(file) }));
  });

  it('says the file is missing when it is', () => {
    expect(() => loadSafetensors(mx, join(dir, 'nope.safetensors'))).toThrow(
      expect.objectContaining({ code: 'MODEL_NOT_FOUND', message: expect.stringMatching(/nope\.safetensors does not exist/) }),
    );
  });
});

describe('checkParams', () => {
  it('lists every missing, unexpected and mis-shaped parameter at once', () => {
    const loaded = { a: mx.zeros([2, 3]), extra: mx.zeros([1]) };
    expect(() => checkParams(mx, 'm.safetensors', loaded, { a: [3, 2], b: [4] })).toThrow(
      /m\.safetensors does not match.*"a" has shape \[2, 3\], expected \[3, 2\]; missing "b" \(expected shape \[4\]\); unexpected "extra"/,
    );
  });

  it('casts matching parameters to float32', () => {
    const params = checkParams(mx, 'm', { a: mx.ones([2], mx.float16) }, { a: [2] });
    expect(params.a!.dtype).toBe(mx.float32);
  });
});
