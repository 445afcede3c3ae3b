// The dispatcher picks the model class from a folder's contents, and the
// engine's entry points follow it.

import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGenerator, openGenerator } from '../../../../main/engine/engine.ts';
import { Flux1Model } from '../../../../main/engine/models/flux1/flux1-model.ts';
import { loadModel } from '../../../../main/engine/models/load-model.ts';
import { builtinModelDir, PixelFluxModel } from '../../../../main/engine/models/pixel-flux-model.ts';
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
  it('openGenerator generates from a FLUX.1 folder; createGenerator points there instead of misreading it', async () => {
    const generator = await openGenerator({ modelDir: dir, backend: 'npm' });
    const result = await generator.generate({ prompt: 'the cat', seed: 2, width: 32, height: 32 });
    expect(result.model.id).toBe('flux1-schnell');
    expect(result.rgb).toHaveLength(32 * 32 * 3);
    expect(() => createGenerator({ modelDir: dir, backend: 'npm' })).toThrow(/is a FLUX\.1 folder, which loads asynchronously .*use openGenerator\(\)/);
  });
});
