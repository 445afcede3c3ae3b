// The shipped built-in model computes in the engine what the PyTorch training code computed for the same fixed
// inputs (test/fixtures/builtin-parity.safetensors, written by training/parity_fixture.py; no RNG involved), and
// draws what it is asked for. Needs the trained weights in models/builtin.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { Generator } from '../../../../../main/engine/generate.ts';
import type { BackendInfo, MxArray, MxBackend } from '../../../../../main/engine/mlx/backend.ts';
import { loadNpmBackend } from '../../../../../main/engine/mlx/load-backend.ts';
import { builtinModelDir, PixelFluxModel, VOCAB_FILE } from '../../../../../main/engine/models/pixel-flux/pixel-flux-model.ts';
import { WordTokenizer } from '../../../../../main/engine/models/text/word-encoder.ts';

const FIXTURE = fileURLToPath(new URL('../../../../fixtures/builtin-parity.safetensors', import.meta.url));
const FIXTURE_INFO = FIXTURE.replace(/\.safetensors$/, '.json');

/**
 * PyTorch ran on CPU in float32 and MLX runs in float32 too; they sum in different orders (attention, matmul
 * blocking), which measured 2e-6 at most here. A broken mirror (a swapped modulation chunk, a
 * wrong RoPE pairing, a missing eps) moves outputs by 1e-1 or more.
 */
const TOLERANCE = { absolute: 1e-4, relativeToMax: 1e-4 };

let mx: MxBackend;
let backendInfo: BackendInfo;
let model: PixelFluxModel;
let fixture: Record<string, MxArray>;
let meta: { prompts: string[]; timestep: number; rows: number; cols: number };

function maxAbs(a: MxArray): number {
  const values = (mx.abs(a).tolist() as unknown[]).flat(Infinity) as number[];
  return values.reduce((m, v) => Math.max(m, v), 0);
}

function expectClose(actual: MxArray, expected: MxArray): void {
  expect(actual.shape).toEqual(expected.shape);
  const worst = maxAbs(mx.subtract(actual, expected));
  expect(worst).toBeLessThanOrEqual(TOLERANCE.absolute + TOLERANCE.relativeToMax * maxAbs(expected));
}

beforeAll(() => {
  ({ mx, info: backendInfo } = loadNpmBackend());
  model = PixelFluxModel.load(mx, builtinModelDir());
  fixture = mx.load(FIXTURE) as Record<string, MxArray>;
  meta = JSON.parse(readFileSync(FIXTURE_INFO, 'utf8')) as typeof meta;
});

describe('built-in model parity with the training code', () => {
  it('ships trained weights', () => {
    expect(model.info.trained).toBe(true);
    expect(model.info.notes).toEqual([]);
  });

  it('tokenizes the fixture prompts to the ids the training code used', () => {
    const vocab = JSON.parse(readFileSync(join(builtinModelDir(), VOCAB_FILE), 'utf8')) as string[];
    const tokenizer = new WordTokenizer(vocab);
    const { maxTokens } = model.manifest.textEncoder;
    expect(meta.prompts.map((prompt) => tokenizer.encode(prompt, maxTokens).ids)).toEqual(fixture.ids!.tolist());
    expect(model.encodeText(meta.prompts).unknownWords).toEqual([]);
  });

  it('encodes text as PyTorch did (per-token context and pooled vector)', () => {
    const text = model.encodeText(meta.prompts);
    expectClose(text.context, fixture.context!);
    expectClose(text.pooled, fixture.pooled!);
  });

  it('predicts the same velocity for fixed image tokens, time and prompts', () => {
    const text = model.encodeText(meta.prompts);
    const velocity = model.velocity(fixture.x!, meta.rows, meta.cols, meta.timestep, text);
    expect(maxAbs(fixture.velocity!)).toBeGreaterThan(0.1);
    expectClose(velocity, fixture.velocity!);
  });
});

/** Mean RGB of the central square (the subject) and of the four corner squares (the background), 0–255. */
function regions(rgb: Uint8Array, size: number): { centre: number[]; corners: number[] } {
  const mean = (boxes: [number, number][], side: number): number[] => {
    const sum = [0, 0, 0];
    let count = 0;
    for (const [x0, y0] of boxes) {
      for (let y = y0; y < y0 + side; y++) {
        for (let x = x0; x < x0 + side; x++) {
          for (let c = 0; c < 3; c++) sum[c]! += rgb[(y * size + x) * 3 + c]!;
          count++;
        }
      }
    }
    return sum.map((v) => v / count);
  };
  const side = size / 4;
  const far = size - side / 2;
  return {
    centre: mean([[(size - side) / 2, (size - side) / 2]], side),
    corners: mean([[0, 0], [far, 0], [0, far], [far, far]], side / 2),
  };
}

describe('the shipped model draws what it is asked for', () => {
  const draw = async (prompt: string, negativePrompt = '') => {
    const result = await new Generator(mx, backendInfo, model).generate({ prompt, negativePrompt, seed: 1 });
    return regions(result.rgb, result.width);
  };

  it('a red heart: a red centre on a white background', async () => {
    const { centre, corners } = await draw('red heart');
    const [r, g, b] = centre as [number, number, number];
    expect(r).toBeGreaterThan(180);
    expect(r - Math.max(g, b)).toBeGreaterThan(100);
    expect(Math.min(...corners)).toBeGreaterThan(230);
  });

  it('a grinning face: yellow, not red', async () => {
    const [r, g, b] = (await draw('grinning face')).centre as [number, number, number];
    expect(Math.min(r, g)).toBeGreaterThan(150);
    expect(Math.min(r, g) - b).toBeGreaterThan(80);
  });

  it('a negative prompt of "red" takes the red out of the heart', async () => {
    const [r, , b] = (await draw('red heart', 'red')).centre as [number, number, number];
    expect(r - b).toBeLessThan(100);
  });
});
