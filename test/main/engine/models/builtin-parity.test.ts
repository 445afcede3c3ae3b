// The shipped built-in model computes in the engine what the PyTorch training code computed for the same fixed
// inputs (test/fixtures/builtin-parity.safetensors, written by training/parity_fixture.py); no RNG is involved.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { MxArray, MxBackend } from '../../../../main/engine/mlx/backend.ts';
import { loadNpmBackend } from '../../../../main/engine/mlx/load-backend.ts';
import { builtinModelDir, PixelFluxModel, VOCAB_FILE } from '../../../../main/engine/models/pixel-flux-model.ts';
import { WordTokenizer } from '../../../../main/engine/models/text/word-encoder.ts';

const FIXTURE = fileURLToPath(new URL('../../../fixtures/builtin-parity.safetensors', import.meta.url));
const FIXTURE_INFO = FIXTURE.replace(/\.safetensors$/, '.json');

/**
 * PyTorch ran on CPU in float32 and MLX runs in float32 too; they sum in different orders (attention, matmul
 * blocking), which measured 2e-6 at most here. A broken mirror (a swapped modulation chunk, a
 * wrong RoPE pairing, a missing eps) moves outputs by 1e-1 or more.
 */
const TOLERANCE = { absolute: 1e-4, relativeToMax: 1e-4 };

let mx: MxBackend;
let model: PixelFluxModel;
let fixture: Record<string, MxArray>;
let meta: { prompts: string[]; timestep: number; rows: number; cols: number };

function maxAbs(a: MxArray): number {
  return mx.max(mx.abs(a)).item() as number;
}

function expectClose(actual: MxArray, expected: MxArray): void {
  expect(actual.shape).toEqual(expected.shape);
  const worst = maxAbs(mx.subtract(actual, expected));
  expect(worst).toBeLessThanOrEqual(TOLERANCE.absolute + TOLERANCE.relativeToMax * maxAbs(expected));
}

beforeAll(() => {
  ({ mx } = loadNpmBackend());
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
