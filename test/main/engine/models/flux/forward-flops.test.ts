// The FLOP count behind bench:engine's GFLOP/s and First-Block Cache's honest cost: the built-in model's CFG
// forward at 64 px is the 1.75 GFLOP measured by hand (NOTES.md), attention grows with the square of the
// tokens, and a step that stops after the first block costs that block with the embedders and final layer.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { firstBlockShare, forwardFlops, forwardFlopsByPart } from '../../../../../main/engine/models/flux/forward-flops.ts';
import { FLUX1_DEV, type FluxConfig } from '../../../../../main/engine/models/flux/config.ts';

const manifest = JSON.parse(readFileSync(new URL('../../../../../models/builtin/model.json', import.meta.url), 'utf8')) as { transformer: FluxConfig };

describe('forwardFlops', () => {
  it('counts 1.75 GFLOP for a CFG forward of the built-in model at 64 px (256 image and 16 text tokens)', () => {
    expect(forwardFlops(manifest.transformer, 256, 16, 2) / 1e9).toBeCloseTo(1.75, 2);
  });

  it('scales linearly with the batch and faster than linearly with the tokens', () => {
    const one = forwardFlops(manifest.transformer, 256, 16, 1);
    expect(forwardFlops(manifest.transformer, 256, 16, 2)).toBe(2 * one);
    expect(forwardFlops(manifest.transformer, 1024, 16, 1)).toBeGreaterThan(4 * one);
  });

  it('is the sum of its parts: the embedders, every block and the final layer', () => {
    const parts = forwardFlopsByPart(manifest.transformer, 256, 16);
    expect(parts.embedders + 2 * parts.doubleBlock + 4 * parts.singleBlock + parts.finalLayer).toBe(parts.total);
    expect(parts.total).toBe(forwardFlops(manifest.transformer, 256, 16, 1));
  });
});

describe('firstBlockShare', () => {
  it('is a little over a sixth of the built-in model’s forward (1 of its 6 blocks, with the embedders and final layer)', () => {
    // 2 double + 4 single blocks of nearly equal cost; the embedders and final layer add 0.8%.
    expect(firstBlockShare(manifest.transformer, 256, 16)).toBeCloseTo(0.17337, 5);
    expect(firstBlockShare(manifest.transformer, 256, 16)).toBeGreaterThan(1 / 6);
  });

  it('is a little over a 57th of FLUX.1’s forward at 1024² (4096 image and 512 text tokens)', () => {
    expect(firstBlockShare(FLUX1_DEV, 4096, 512)).toBeCloseTo(0.017758, 6);
    expect(firstBlockShare(FLUX1_DEV, 4096, 512)).toBeGreaterThan(1 / 57);
  });

  it('counts a single-stream block first where the model has no double-stream ones', () => {
    const singles: FluxConfig = { ...manifest.transformer, depth: 0, depthSingle: 4 };
    const parts = forwardFlopsByPart(singles, 256, 16);
    expect(firstBlockShare(singles, 256, 16)).toBeCloseTo((parts.embedders + parts.singleBlock + parts.finalLayer) / parts.total, 12);
    expect(() => firstBlockShare({ ...singles, depthSingle: 0 }, 256, 16)).toThrow(/no first block/);
  });
});
