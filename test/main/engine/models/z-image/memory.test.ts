// The Z-Image memory estimate at full size: the 6.15B transformer's layout,
// and the order the levels must come in for `auto` to pick the lightest fit.

import { describe, expect, it } from 'vitest';
import { QWEN3_4B, qwen3ParamShapes } from '../../../../../main/engine/models/text/qwen3.ts';
import { FLUX1_VAE } from '../../../../../main/engine/models/vae/decoder.ts';
import { Z_IMAGE_FULL, zImageParamShapes, diffusersZImageParamShapes } from '../../../../../main/engine/models/z-image/config.ts';
import { estimateZImageMemory } from '../../../../../main/engine/models/z-image/memory.ts';

const count = (shapes: Readonly<Record<string, readonly number[]>>) => Object.values(shapes).reduce((a, s) => a + s.reduce((x, y) => x * y, 1), 0);

describe('Z-Image at full size', () => {
  it('has the released transformer’s 6.15B parameters in both layouts', () => {
    expect(count(zImageParamShapes(Z_IMAGE_FULL)) / 1e9).toBeCloseTo(6.15, 2);
    expect(count(diffusersZImageParamShapes(Z_IMAGE_FULL))).toBe(count(zImageParamShapes(Z_IMAGE_FULL)));
  });

  it('needs less at each lighter level, and the text phase counts the Qwen3-4B encoder', () => {
    const configs = { transformer: Z_IMAGE_FULL, vae: FLUX1_VAE, textEncoder: { shapes: qwen3ParamShapes(QWEN3_4B, 35), hiddenSize: 2560 } };
    const size = { width: 1024, height: 1024, batch: 1, textTokens: 512 };
    const [none, q8, q4] = (['none', 8, 4] as const).map((q) => estimateZImageMemory(configs, q, size));
    expect(none!.peakBytes).toBeGreaterThan(q8!.peakBytes);
    expect(q8!.peakBytes).toBeGreaterThan(q4!.peakBytes);
    expect(q4!.transformerBytes / 1024 ** 3).toBeGreaterThan(3);
    // Measured: 3.51 GB of Qwen3-4B parameters at 4-bit, the float32 embedding included (scripts/measure-z-image-memory.ts).
    expect(q4!.textEncoderBytes / 1024 ** 3).toBeCloseTo(3.5, 1);
  });
});
