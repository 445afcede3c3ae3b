// klein's memory estimate at its real sizes (4B, 9B), and the choice and
// refusal the loader makes from it before any weight is read.

import { describe, expect, it } from 'vitest';
import { flux2ParamShapes, KLEIN_4B, KLEIN_9B } from '../../../../../main/engine/models/flux2-klein/config.ts';
import { inspectKleinFolder } from '../../../../../main/engine/models/flux2-klein/inspect.ts';
import { Flux2KleinModel } from '../../../../../main/engine/models/flux2-klein/klein-model.ts';
import { estimateKleinMemory, KLEIN_TEXT_TOKENS, type KleinConfigs } from '../../../../../main/engine/models/flux2-klein/memory.ts';
import { Flux2VaeConfigSchema } from '../../../../../main/engine/models/flux2-klein/vae.ts';
import { paramsBytes } from '../../../../../main/engine/models/memory-estimate.ts';
import { QWEN3_4B, QWEN3_8B } from '../../../../../main/engine/models/text/qwen3.ts';
import { mx } from '../../../../support/mlx.ts';
import { FLUX2_KLEIN_FIXTURE } from './support.ts';

const GB = 1024 ** 3;
const vae = Flux2VaeConfigSchema.parse({});
const SIZES: Record<'4B' | '9B', KleinConfigs> = {
  '4B': { transformer: KLEIN_4B, vae, textEncoder: QWEN3_4B },
  '9B': { transformer: KLEIN_9B, vae, textEncoder: QWEN3_8B },
};
const size = { width: 1024, height: 1024, batch: 1, textTokens: KLEIN_TEXT_TOKENS };

describe('estimateKleinMemory', () => {
  it("counts the released transformers' 3.88B and 9.08B parameters", () => {
    const count = (shapes: Record<string, readonly number[]>) => paramsBytes(shapes, 'none') / 4;
    expect(count(flux2ParamShapes(KLEIN_4B)) / 1e9).toBeCloseTo(3.88, 2);
    expect(count(flux2ParamShapes(KLEIN_9B)) / 1e9).toBeCloseTo(9.08, 2);
  });

  it.each(['4B', '9B'] as const)('orders the levels for %s, and counts only the Qwen3 layers up to hidden state 27', (name) => {
    const [none, eight, four] = (['none', 8, 4] as const).map((q) => estimateKleinMemory(SIZES[name], q, size));
    expect(none!.peakBytes).toBeGreaterThan(eight!.peakBytes);
    expect(eight!.peakBytes).toBeGreaterThan(four!.peakBytes);
    // Qwen3-4B's 36 layers at float32 are 16 GB; its first 27 and the embeddings are 11.6 GB.
    if (name === '4B') expect(none!.textEncoderBytes / GB).toBeCloseTo(11.6, 1);
    expect(none!.transformerBytes / GB).toBeCloseTo(name === '4B' ? 14.44 : 33.82, 1);
  });

  it("grows under Base's CFG batch and with the image", () => {
    const at = (batch: number, side: number) => estimateKleinMemory(SIZES['4B'], 4, { ...size, batch, width: side, height: side }).peakBytes;
    expect(at(2, 1024)).toBeGreaterThan(at(1, 1024));
    expect(at(1, 2048)).toBeGreaterThan(at(1, 1024));
  });
});

describe("the loader's choice", () => {
  const parts = inspectKleinFolder(FLUX2_KLEIN_FIXTURE);
  const configs = { transformer: parts.transformer.config, vae: parts.vae.config, textEncoder: parts.textEncoder.config };
  const [none, eight] = (['none', 8] as const).map((q) => estimateKleinMemory(configs, q, size));

  it('auto takes the lightest level that fits, and says which in the notes', () => {
    expect(Flux2KleinModel.loadSync(mx, FLUX2_KLEIN_FIXTURE, { quantize: 'auto', memoryLimitBytes: 64 * GB }).info.notes[0]).toMatch(/^Unquantized \(float32\) weights; estimated peak memory/);
    const between = (none!.peakBytes + eight!.peakBytes) / 2;
    expect(Flux2KleinModel.loadSync(mx, FLUX2_KLEIN_FIXTURE, { quantize: 'auto', memoryLimitBytes: between }).info.notes[0]).toMatch(/^8-bit quantized weights/);
  });

  it('refuses, before loading, a level that cannot fit, naming what would', () => {
    expect(() => Flux2KleinModel.loadSync(mx, FLUX2_KLEIN_FIXTURE, { quantize: 'none', memoryLimitBytes: eight!.peakBytes })).toThrow(
      /FLUX\.2 \[klein\] at unquantized \(float32\) cannot fit in the .* Choose 8-bit quantization \(--quantize 8\)/,
    );
    expect(() => Flux2KleinModel.loadSync(mx, FLUX2_KLEIN_FIXTURE, { quantize: 'auto', memoryLimitBytes: GB })).toThrow(/cannot fit .*Even 4-bit does not fit/);
  });
});
