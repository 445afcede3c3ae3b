// The dispatcher picks the model class from a folder's contents, and the
// engine's entry points follow it.

import { cpSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openGenerator } from '../../../../main/engine/engine.ts';
import { Flux1Model } from '../../../../main/engine/models/flux1/flux1-model.ts';
import { checkModelFolder, loadModel } from '../../../../main/engine/models/load-model.ts';
import { builtinModelDir, MANIFEST_FILE, PixelFluxModel, TEXT_ENCODER_FILE, TRANSFORMER_FILE } from '../../../../main/engine/models/pixel-flux/pixel-flux-model.ts';
import { tinyWeights, writeTinyFlux1 } from '../../../support/flux1-fixture.ts';
import { mx } from '../../../support/mlx.ts';

let dir: string;
beforeAll(() => {
  dir = writeTinyFlux1(tinyWeights('schnell'), { transformer: 'bfl', vae: 'bfl' });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadModel', () => {
  it('loads the built-in folder as the pixel model and a FLUX.1 folder as FLUX.1', async () => {
    expect(await loadModel(mx, builtinModelDir())).toBeInstanceOf(PixelFluxModel);
    const model = await loadModel(mx, dir, { quantize: 8 });
    expect(model).toBeInstanceOf(Flux1Model);
    expect((model as Flux1Model).memory.quantization).toBe(8);
  });
});

describe('engine entry points', () => {
  it('openGenerator generates from a FLUX.1 folder', async () => {
    const generator = await openGenerator({ modelDir: dir, backend: 'npm' });
    const result = await generator.generate({ prompt: 'the cat', seed: 2, width: 32, height: 32 });
    expect(result.model.id).toBe('flux1-schnell');
    expect(result.rgb).toHaveLength(32 * 32 * 3);
  });
});

/** A copy of the shipped built-in model folder, to break on purpose. */
function builtinCopy(): string {
  const copy = mkdtempSync(join(tmpdir(), 'builtin-copy-'));
  cpSync(builtinModelDir(), copy, { recursive: true });
  copies.push(copy);
  return copy;
}
const copies: string[] = [];
afterAll(() => copies.forEach((copy) => rmSync(copy, { recursive: true, force: true })));

describe('checkModelFolder on the built-in format (issue 12, item 3)', () => {
  it('accepts the shipped folder', () => {
    expect(checkModelFolder(builtinModelDir())).toEqual({ kind: 'pixel-flux', problems: [] });
  });

  it('refuses a truncated weights file, naming it, before anything loads', () => {
    const copy = builtinCopy();
    truncateSync(join(copy, TRANSFORMER_FILE), 4_000_000);
    const { problems } = checkModelFolder(copy);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ path: join(copy, TRANSFORMER_FILE), message: expect.stringMatching(/truncated/) });
  });

  it('refuses a broken model.json, a missing weights file, and weights that do not fit model.json', () => {
    const broken = builtinCopy();
    writeFileSync(join(broken, MANIFEST_FILE), '{"format": "teacache-studio/pixel-flux@1", ');
    expect(checkModelFolder(broken).problems).toEqual([{ path: join(broken, MANIFEST_FILE), message: expect.stringMatching(/is not valid JSON/) }]);

    const half = builtinCopy();
    rmSync(join(half, TEXT_ENCODER_FILE));
    expect(checkModelFolder(half).problems).toEqual([{ path: join(half, TEXT_ENCODER_FILE), message: expect.stringMatching(/does not exist/) }]);

    const mismatched = builtinCopy();
    const manifest = JSON.parse(readFileSync(join(mismatched, MANIFEST_FILE), 'utf8'));
    manifest.transformer.depth += 1;
    writeFileSync(join(mismatched, MANIFEST_FILE), JSON.stringify(manifest));
    const { problems } = checkModelFolder(mismatched);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ path: join(mismatched, TRANSFORMER_FILE), message: expect.stringMatching(/does not match the transformer model\.json describes: missing/) });
  });

  it('loads only what it accepts: the truncated folder fails the same check on load', () => {
    const copy = builtinCopy();
    truncateSync(join(copy, TRANSFORMER_FILE), 4_000_000);
    expect(() => PixelFluxModel.load(mx, copy)).toThrow(/transformer\.safetensors.*truncated/);
  });
});
