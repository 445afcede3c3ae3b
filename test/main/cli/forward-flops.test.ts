// The FLOP count behind bench:engine's GFLOP/s: the built-in model's CFG forward at 64 px is the 1.75 GFLOP
// measured by hand (NOTES.md), and attention grows with the square of the tokens.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { forwardFlops } from '../../../main/cli/forward-flops.ts';
import type { FluxConfig } from '../../../main/engine/models/flux/config.ts';

const manifest = JSON.parse(readFileSync(new URL('../../../models/builtin/model.json', import.meta.url), 'utf8')) as { transformer: FluxConfig };

describe('forwardFlops', () => {
  it('counts 1.75 GFLOP for a CFG forward of the built-in model at 64 px (256 image and 16 text tokens)', () => {
    expect(forwardFlops(manifest.transformer, 256, 16, 2) / 1e9).toBeCloseTo(1.75, 2);
  });

  it('scales linearly with the batch and faster than linearly with the tokens', () => {
    const one = forwardFlops(manifest.transformer, 256, 16, 1);
    expect(forwardFlops(manifest.transformer, 256, 16, 2)).toBe(2 * one);
    expect(forwardFlops(manifest.transformer, 1024, 16, 1)).toBeGreaterThan(4 * one);
  });
});
