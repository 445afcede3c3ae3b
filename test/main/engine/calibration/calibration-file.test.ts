// The weights fingerprint a calibration is keyed by: every weights file the
// loaders read, at the top of the folder or one folder down (diffusers). Node only.

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sameWeights, weightsFingerprint } from '../../../../main/engine/calibration/calibration-file.ts';

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'fingerprint-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
}

describe('weightsFingerprint', () => {
  it('covers weights one folder down, as a diffusers checkpoint keeps them, and nothing else', () => {
    const dir = folder({ 'transformer/part-1.safetensors': 'a', 'vae/model.safetensors': 'b', 'model.json': '{}', '.cache/x.safetensors': 'c', 'a/b/deep.safetensors': 'd' });
    expect(Object.keys(weightsFingerprint(dir))).toEqual(['transformer/part-1.safetensors', 'vae/model.safetensors']);
  });

  it('tells two checkpoints apart that differ only below the top folder', () => {
    const one = weightsFingerprint(folder({ 'transformer/model.safetensors': 'fine-tune A' }));
    const other = weightsFingerprint(folder({ 'transformer/model.safetensors': 'fine-tune B' }));
    expect(sameWeights(one, other)).toBe(false);
    expect(sameWeights(one, weightsFingerprint(folder({ 'transformer/model.safetensors': 'fine-tune A' })))).toBe(true);
  });

  it('keeps the names it gave top-level weights, so calibrations saved before still match', () => {
    expect(Object.keys(weightsFingerprint(folder({ 'transformer.safetensors': 'w', 'text_encoder.safetensors': 'v' })))).toEqual(['text_encoder.safetensors', 'transformer.safetensors']);
  });
});
