// The parameter layout must be BFL's, so real FLUX.1 checkpoints load into it.

import { describe, expect, it } from 'vitest';
import { FLUX1_DEV, FluxConfigSchema, fluxParamShapes } from '../../../../../main/engine/models/flux/config.ts';

const count = (shapes: Readonly<Record<string, readonly number[]>>) =>
  Object.values(shapes).reduce((sum, shape) => sum + shape.reduce((a, b) => a * b, 1), 0);

describe('fluxParamShapes', () => {
  it('gives FLUX.1-dev its published 11,901,408,320 parameters in 780 tensors', () => {
    const shapes = fluxParamShapes(FLUX1_DEV);
    expect(Object.keys(shapes)).toHaveLength(780);
    expect(count(shapes)).toBe(11_901_408_320);
  });

  it('drops only guidance_in for schnell', () => {
    const dev = fluxParamShapes(FLUX1_DEV);
    const schnell = fluxParamShapes({ ...FLUX1_DEV, guidanceEmbed: false });
    expect(Object.keys(dev).filter((k) => !(k in schnell))).toEqual([
      'guidance_in.in_layer.weight',
      'guidance_in.in_layer.bias',
      'guidance_in.out_layer.weight',
      'guidance_in.out_layer.bias',
    ]);
  });

  it('names parameters as BFL checkpoints do', () => {
    const shapes = fluxParamShapes(FLUX1_DEV);
    expect(shapes['double_blocks.0.img_attn.qkv.weight']).toEqual([9216, 3072]);
    expect(shapes['double_blocks.18.txt_mlp.2.weight']).toEqual([3072, 12288]);
    expect(shapes['single_blocks.37.linear1.weight']).toEqual([21504, 3072]);
    expect(shapes['single_blocks.0.norm.key_norm.scale']).toEqual([128]);
    expect(shapes['final_layer.adaLN_modulation.1.weight']).toEqual([6144, 3072]);
    expect(shapes['img_in.weight']).toEqual([3072, 64]);
  });

  it('rejects a head layout whose RoPE axes do not sum to the head dimension', () => {
    const result = FluxConfigSchema.safeParse({ ...FLUX1_DEV, axesDim: [16, 56, 48] });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/axesDim must sum to the head dimension/);
  });
});
