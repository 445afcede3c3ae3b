// Whole FLUX.2 klein runs against diffusers' Flux2KleinPipeline on the tiny
// random fixture (training/fixtures/make_flux2_klein_fixture.py): the same
// noise and prompt embeddings through the engine's Generator, step-distilled
// (guidance ignored) and Base (CFG against the negative embeddings).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Generator } from '../../../../../main/engine/generate.ts';
import { loadNpmBackend } from '../../../../../main/engine/mlx/load-backend.ts';
import type { MxArray } from '../../../../../main/engine/mlx/backend.ts';
import { psnr } from '../../../../../main/engine/metrics/psnr.ts';
import { Flux2ConfigSchema } from '../../../../../main/engine/models/flux2-klein/config.ts';
import { Flux2KleinModel, type KleinVariant } from '../../../../../main/engine/models/flux2-klein/klein-model.ts';
import { Flux2Transformer } from '../../../../../main/engine/models/flux2-klein/transformer.ts';
import { Flux2Vae, Flux2VaeConfigSchema } from '../../../../../main/engine/models/flux2-klein/vae.ts';
import { resolveRequest } from '../../../../../main/engine/resolve-request.ts';
import { mx, values } from '../../../../support/mlx.ts';
import { FLUX2_KLEIN_FIXTURE, expectedKlein, float32Params } from './support.ts';

const { info } = loadNpmBackend();
const e = expectedKlein();
const RUNS = (JSON.parse(readFileSync(join(FLUX2_KLEIN_FIXTURE, 'expected.json'), 'utf8')) as { runs: Record<KleinVariant, { guidance: number; steps: number; width: number; height: number }> }).runs;

function component(name: string): { config: unknown; params: Record<string, MxArray> } {
  const dir = join(FLUX2_KLEIN_FIXTURE, name);
  return { config: JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')), params: float32Params(join(dir, 'diffusion_pytorch_model.safetensors')) };
}

function fixtureModel(variant: KleinVariant): Flux2KleinModel {
  const t = component('transformer');
  const v = component('vae');
  const table: Record<string, MxArray> = { 'a red cat': e[`run.${variant}.prompt_embeds`]!, '': e[`run.${variant}.negative_prompt_embeds`]! };
  return new Flux2KleinModel(mx, {
    variant,
    transformer: new Flux2Transformer(mx, Flux2ConfigSchema.parse(t.config), t.params),
    vae: new Flux2Vae(mx, Flux2VaeConfigSchema.parse(v.config), v.params),
    promptEncoder: {
      // eslint-disable-next-line require-yield
      *encode(prompts) {
        return mx.concatenate(prompts.map((p) => table[p]!), 0);
      },
    },
  });
}

describe.each(['distilled', 'base'] as const)('klein %s against Flux2KleinPipeline', (variant) => {
  const model = fixtureModel(variant);
  const run = RUNS[variant];

  it("reproduces the pipeline's image from the same noise within one 8-bit level", async () => {
    const result = await new Generator(mx, info, model).generate(
      { prompt: 'a red cat', seed: 0, steps: run.steps, guidanceScale: run.guidance, width: run.width, height: run.height, cache: { enabled: false } },
      { noise: e[`run.${variant}.noise`]! },
    );
    expect(result.request.guidanceMode).toBe(variant === 'base' ? 'cfg' : 'none');
    const reference = Uint8Array.from(values(e[`run.${variant}.rgb`]!));
    const worst = Math.max(...Array.from(result.rgb, (v, i) => Math.abs(v - reference[i]!)));
    expect(worst).toBeLessThanOrEqual(1);
    expect(psnr(result.rgb, reference)).toBeGreaterThan(45);
  });
});

describe("klein's guidance rule (the pipeline's do_classifier_free_guidance)", () => {
  const request = { prompt: 'a red cat', seed: 0, width: 64, height: 64 };

  it('never runs CFG on the step-distilled model, whatever the guidance', () => {
    const model = fixtureModel('distilled');
    for (const guidanceScale of [0, 1, 4]) expect(resolveRequest(model, { ...request, guidanceScale }).guidanceMode).toBe('none');
  });

  it('runs CFG on Base only above 1', () => {
    const model = fixtureModel('base');
    expect(resolveRequest(model, { ...request, guidanceScale: 1 }).guidanceMode).toBe('none');
    expect(resolveRequest(model, { ...request, guidanceScale: 0.5 }).guidanceMode).toBe('none');
    expect(resolveRequest(model, { ...request, guidanceScale: 1.5 }).guidanceMode).toBe('cfg');
  });

  it('starts from noise of the pipeline\'s patchified latent shape, and refuses any other', async () => {
    const model = fixtureModel('distilled');
    expect(model.noiseShape(64, 96)).toEqual([1, 128, 6, 4]);
    await expect(new Generator(mx, info, model).generate({ ...request, steps: 1, cache: { enabled: false } }, { noise: mx.zeros([1, 32, 8, 8]) })).rejects.toThrow(/starts from \[1, 128, 4, 4\]/);
  });
});
