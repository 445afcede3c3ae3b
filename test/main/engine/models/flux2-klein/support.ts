// The FLUX.2 klein fixture's files and the comparisons its parity tests share.

import { join } from 'node:path';
import { expect } from 'vitest';
import type { MxArray } from '../../../../../main/engine/mlx/backend.ts';
import { mx, values } from '../../../../support/mlx.ts';

export const FLUX2_KLEIN_FIXTURE = new URL('../../../../fixtures/flux2-klein/', import.meta.url).pathname;
/** The same weights with model_index.json's is_distilled false; its expected images are in FLUX2_KLEIN_FIXTURE's expected.safetensors. */
export const FLUX2_KLEIN_BASE_FIXTURE = new URL('../../../../fixtures/flux2-klein-base/', import.meta.url).pathname;

export function expectedKlein(): Record<string, MxArray> {
  return mx.load(join(FLUX2_KLEIN_FIXTURE, 'expected.safetensors')) as Record<string, MxArray>;
}

/** A safetensors file's tensors in float32 (the fixture stores bf16, as the release does). */
export function float32Params(file: string): Record<string, MxArray> {
  const loaded = mx.load(file) as Record<string, MxArray>;
  return Object.fromEntries(Object.entries(loaded).map(([k, v]) => [k, v.astype(mx.float32)]));
}

export function maxRelativeError(actual: MxArray, reference: MxArray): number {
  const a = values(actual);
  const b = values(reference);
  expect(a.length).toBe(b.length);
  const scale = Math.max(...b.map(Math.abs));
  return Math.max(...a.map((v, i) => Math.abs(v - b[i]!))) / scale;
}
