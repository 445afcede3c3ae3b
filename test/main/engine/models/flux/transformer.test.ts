// The FLUX transformer on a tiny configuration: shapes, conditioning, and the
// compiled and lane-split forwards matching the plain one.

import { describe, expect, it } from 'vitest';
import type { MxBackend } from '../../../../../main/engine/mlx/backend.ts';
import { fluxParamShapes, type FluxConfig } from '../../../../../main/engine/models/flux/config.ts';
import { FluxTransformer, type TransformerInput } from '../../../../../main/engine/models/flux/transformer.ts';
import { withCpuLanes } from '../../../../../main/engine/mlx/load-backend.ts';
import { randomParams } from '../../../../../main/engine/models/layers.ts';
import { mx, ramp, values } from '../../../../support/mlx.ts';

const config: FluxConfig = {
  inChannels: 12,
  hiddenSize: 32,
  numHeads: 2,
  mlpRatio: 2,
  depth: 1,
  depthSingle: 2,
  axesDim: [4, 6, 6],
  theta: 10000,
  contextInDim: 8,
  vecInDim: 6,
  qkvBias: true,
  guidanceEmbed: false,
};

const params = randomParams(mx, fluxParamShapes(config), 11);
const input = (batch = 2): TransformerInput => ({
  x: ramp([batch, 12, 12], 1),
  rows: 3,
  cols: 4,
  timestep: 0.7,
  text: { context: ramp([batch, 5, 8], 2), pooled: ramp([batch, 6], 3) },
});

function maxDifference(a: readonly number[], b: readonly number[]): number {
  expect(a.length).toBe(b.length);
  return Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
}

/** The same backend with `compile` hidden, as a backend without it would be; one lane, like the compiled graph. */
const withoutCompile = Object.create(mx, { compile: { value: undefined }, lanes: { value: undefined } }) as MxBackend;
/** Uncompiled, each batch row on its own CPU lane, as the engine runs on the CPU. */
// Ask for two lanes, as the engine takes by default (TEACACHE_LANES).
const onLanes = withCpuLanes(withoutCompile, 2);

describe('FluxTransformer', () => {
  it('predicts one velocity per packed token', () => {
    const out = new FluxTransformer(mx, config, params).forward(input());
    expect(out.shape).toEqual([2, 12, 12]);
  });

  it('gives the plain result compiled, to float32 rounding (fused kernels may contract a multiply-add)', () => {
    const compiled = values(new FluxTransformer(mx, config, params).forward(input()));
    const plain = values(new FluxTransformer(withoutCompile, config, params).forward(input()));
    expect(maxDifference(compiled, plain)).toBeLessThan(1e-5);
  });

  it('gives the batched result with each batch row on its own lane, to float32 rounding', () => {
    expect(onLanes.lanes?.count).toBeGreaterThan(1);
    const batched = values(new FluxTransformer(withoutCompile, config, params).forward(input(3)));
    const split = values(new FluxTransformer(onLanes, config, params).forward(input(3)));
    expect(maxDifference(split, batched)).toBeLessThan(1e-5);
  });

  it('depends on the timestep and the text', () => {
    const model = new FluxTransformer(mx, config, params);
    const base = values(model.forward(input(1)));
    expect(values(model.forward({ ...input(1), timestep: 0.2 }))).not.toEqual(base);
    expect(values(model.forward({ ...input(1), text: { ...input(1).text, pooled: ramp([1, 6], 9) } }))).not.toEqual(base);
  });

  it('needs a guidance value when it embeds guidance', () => {
    const guided = { ...config, guidanceEmbed: true };
    const model = new FluxTransformer(mx, guided, randomParams(mx, fluxParamShapes(guided), 4));
    expect(() => model.forward(input(1))).toThrow(/embeds guidance.*pass a guidance value/);
    const low = values(model.forward({ ...input(1), guidance: 1 }));
    expect(values(model.forward({ ...input(1), guidance: 4 }))).not.toEqual(low);
  });

  it('names a missing parameter', () => {
    const { ['single_blocks.1.linear2.weight']: _, ...incomplete } = params;
    expect(() => new FluxTransformer(mx, config, incomplete)).toThrow('The checkpoint has no parameter "single_blocks.1.linear2.weight".');
  });
});
