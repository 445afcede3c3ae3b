// The memory estimate at FLUX.1's real sizes, and the refusal when it cannot fit.

import { describe, expect, it } from 'vitest';
import { FLUX1_DEV, fluxParamShapes } from '../../../../../main/engine/models/flux/config.ts';
import { estimateFlux1Memory, type Flux1Configs } from '../../../../../main/engine/models/flux1/memory.ts';
import { chooseQuantizationBy, decodeBytes, paramsBytes, wholeDecodeFits } from '../../../../../main/engine/models/memory-estimate.ts';
import type { Quantization } from '../../../../../main/engine/io/materialize.ts';
import { CLIP_L, clipParamShapes } from '../../../../../main/engine/models/text/clip.ts';
import { T5_XXL, t5ParamShapes } from '../../../../../main/engine/models/text/t5.ts';
import { FLUX1_VAE, vaeDecoderParamShapes } from '../../../../../main/engine/models/vae/decoder.ts';

const GB = 1024 ** 3;
const configs: Flux1Configs = { transformer: FLUX1_DEV, t5: T5_XXL, clip: CLIP_L, vae: FLUX1_VAE };
const size = { width: 1024, height: 1024, batch: 1, textTokens: 512 };
/** The choice from FLUX.1's estimate at each level, as Flux1Model.load makes it. */
const chooseQuantization = (c: Flux1Configs, name: string, asked: Quantization | 'auto', at: typeof size, limitBytes: number) =>
  chooseQuantizationBy((q) => estimateFlux1Memory(c, q, at), name, asked, at, limitBytes);

describe('parameter counts at full size', () => {
  it('match FLUX.1’s published sizes: 11.9B transformer, 4.76B T5 encoder, 123M CLIP text, 49.5M decoder', () => {
    const count = (shapes: Record<string, readonly number[]>) => paramsBytes(shapes, 'none') / 4;
    expect(count(fluxParamShapes(FLUX1_DEV)) / 1e9).toBeCloseTo(11.9, 1);
    expect(count(t5ParamShapes(T5_XXL)) / 1e9).toBeCloseTo(4.76, 1);
    expect(count(clipParamShapes(CLIP_L)) / 1e6).toBeCloseTo(123, 0);
    expect(count(vaeDecoderParamShapes(FLUX1_VAE)) / 1e6).toBeCloseTo(49.5, 0);
  });
});

describe('estimateFlux1Memory', () => {
  it('orders the levels and counts the transformer at 4 bits near 6.7 GB', () => {
    const [none, eight, four] = (['none', 8, 4] as const).map((q) => estimateFlux1Memory(configs, q, size));
    expect(none!.peakBytes).toBeGreaterThan(eight!.peakBytes);
    expect(eight!.peakBytes).toBeGreaterThan(four!.peakBytes);
    expect(four!.transformerBytes / GB).toBeGreaterThan(6.3);
    expect(four!.transformerBytes / GB).toBeLessThan(7.2);
    expect(none!.transformerBytes / GB).toBeCloseTo(44.3, 0);
  });

  it('grows with the image once denoising outweighs one decoder tile', () => {
    const at = (side: number) => estimateFlux1Memory(configs, 4, { ...size, width: side, height: side }).activationBytes;
    // Tiled decoding caps the decoder at one 512×512 tile's (3.7 GB measured at 768×768 in four tiles).
    expect(at(512) / GB).toBeCloseTo(3.7, 1);
    expect(at(1024)).toBe(at(512));
    expect(at(2048)).toBeGreaterThan(at(1024));
  });
});

describe('wholeDecodeFits', () => {
  it('decodes 1024² whole where memory allows, as diffusers does, and tiles only where it must', () => {
    const estimate = estimateFlux1Memory(configs, 4, size);
    // Measured 3.4 GB at 512² whole; the attention's scores grow with the square of the latent pixels.
    expect(decodeBytes(FLUX1_VAE, 512 * 512) / GB).toBeCloseTo(3.7, 1);
    expect(decodeBytes(FLUX1_VAE, 2048 * 2048) - decodeBytes(FLUX1_VAE, 1024 * 1024)).toBeGreaterThan(15 * GB);
    expect(wholeDecodeFits(estimate, FLUX1_VAE, 1024, 1024, 64 * GB)).toBe(true);
    expect(wholeDecodeFits(estimate, FLUX1_VAE, 1024, 1024, 16 * GB)).toBe(false);
    expect(wholeDecodeFits(estimate, FLUX1_VAE, 512, 512, 16 * GB)).toBe(true);
  });
});

describe('chooseQuantization', () => {
  it('auto picks the lightest level that fits', () => {
    expect(chooseQuantization(configs, 'FLUX.1 [dev]', 'auto', size, 200 * GB).quantization).toBe('none');
    expect(chooseQuantization(configs, 'FLUX.1 [dev]', 'auto', size, 24 * GB).quantization).toBe(8);
    expect(chooseQuantization(configs, 'FLUX.1 [dev]', 'auto', size, 16 * GB).quantization).toBe(4);
  });

  it('refuses an explicit level that cannot fit, naming every level’s figure and the one that fits', () => {
    expect(() => chooseQuantization(configs, 'FLUX.1 [dev]', 'none', size, 24 * GB)).toThrow(
      /FLUX\.1 \[dev\] at unquantized \(float32\) cannot fit in the 24\.0 GB .* at 1024×1024 \(estimated peak: unquantized \(float32\) about \d+\.\d GB, 8-bit about \d+\.\d GB, 4-bit about \d+\.\d GB\)\. Choose 8-bit quantization \(--quantize 8\)\./,
    );
    expect(() => chooseQuantization(configs, 'FLUX.1 [dev]', 8, size, 16 * GB)).toThrow(/at 8-bit cannot fit .* Choose 4-bit quantization \(--quantize 4\)\./);
  });

  it('says so when nothing fits', () => {
    expect(() => chooseQuantization(configs, 'FLUX.1 [dev]', 'auto', size, 4 * GB)).toThrow(/Even 4-bit does not fit/);
  });
});
