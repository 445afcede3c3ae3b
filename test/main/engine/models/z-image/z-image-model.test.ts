// Z-Image against diffusers itself, on the tiny random checkpoints that
// training/fixtures/make_z_image_fixture.py builds with diffusers' own classes:
// the transformer's output, the decoded image and whole few-step runs
// (ZImagePipeline from fixed noise, from prompt embeddings and from a prompt,
// in-process and through the CLI), Turbo and Base.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Generator } from '../../../../../main/engine/generate.ts';
import { loadNpmBackend } from '../../../../../main/engine/mlx/load-backend.ts';
import type { MxArray } from '../../../../../main/engine/mlx/backend.ts';
import { runSync } from '../../../../../main/engine/io/materialize.ts';
import { psnr } from '../../../../../main/engine/metrics/psnr.ts';
import { staticShiftSchedule } from '../../../../../main/core/schedule.ts';
import { modelTime, patchify, unpatchify, ZImageModel, type ZImagePromptEncoder } from '../../../../../main/engine/models/z-image/z-image-model.ts';
import { generateWithCli } from '../../../../support/cli-generate.ts';
import { mx, values } from '../../../../support/mlx.ts';

const { info } = loadNpmBackend();
export const Z_IMAGE_FIXTURES = new URL('../../../../fixtures/', import.meta.url).pathname;

function expected(variant: string): Record<string, MxArray> {
  return mx.load(join(Z_IMAGE_FIXTURES, variant, 'expected.safetensors')) as Record<string, MxArray>;
}

/** The prompt embeddings diffusers' run started from, standing in for the Qwen3 encoder. */
export function fixturePromptEncoder(variant: string): ZImagePromptEncoder {
  const e = expected(variant);
  const table: Record<string, MxArray> = {
    'a red cat': mx.expandDims(e['run.prompt_embeds']!, 0),
    '': mx.expandDims(e['run.negative_prompt_embeds']!, 0),
  };
  return {
    // eslint-disable-next-line require-yield
    *encode(prompts) {
      return prompts.map((p) => table[p]!);
    },
  };
}

function maxRelativeError(actual: MxArray, reference: MxArray): number {
  const a = values(actual);
  const b = values(reference);
  expect(a.length).toBe(b.length);
  const scale = Math.max(...b.map(Math.abs));
  return Math.max(...a.map((v, i) => Math.abs(v - b[i]!))) / scale;
}

const RUNS = {
  'z-image-turbo': { steps: 3, guidanceScale: 0, width: 64, height: 96 },
  'z-image-base': { steps: 3, guidanceScale: 4, width: 96, height: 64 },
} as const;

describe.each(Object.keys(RUNS) as (keyof typeof RUNS)[])('%s against diffusers', (variant) => {
  const dir = join(Z_IMAGE_FIXTURES, variant);
  const model = runSync(ZImageModel.loadStepwise(mx, dir, { quantize: 'none', promptEncoder: fixturePromptEncoder(variant) }));
  const e = expected(variant);

  it('is recognised with its own defaults', () => {
    expect(model.info.id).toBe(variant);
    expect(model.defaults).toMatchObject(variant === 'z-image-turbo' ? { steps: 9, guidanceScale: 0, flowShift: 3 } : { steps: 50, guidanceScale: 4, flowShift: 3 });
  });

  it('gives the transformer output diffusers gives (1e-4 relative, float32): pads, positions and caption refiner included', () => {
    const latents = e['transformer.latents']!;
    const caption = mx.expandDims(e['transformer.caption']!, 0);
    const [, , h, w] = latents.shape as [number, number, number, number];
    const out = model.transformer.forward({ x: patchify(mx, latents, 2), caption }, 0.3, h / 2, w / 2);
    expect(maxRelativeError(unpatchify(mx, out, 2, h, w), e['transformer.output']!)).toBeLessThan(1e-4);
  });

  it('decodes latents as diffusers does (z / 0.3611 + 0.1159, 1e-4 relative)', () => {
    const latents = e['decode.latents']!;
    const [, , h, w] = latents.shape as [number, number, number, number];
    const rgb = model.decodeLatents(patchify(mx, latents, 2), w * 8, h * 8);
    expect(maxRelativeError(mx.array(Array.from(rgb)), e['decode.image']!)).toBeLessThan(1e-4);
  });

  it('runs the schedule diffusers runs (linspace(1, 1/N, N) shifted by 3, then 0)', () => {
    expect(staticShiftSchedule(RUNS[variant].steps, 3)).toEqual(values(e['run.sigmas']!));
    expect(modelTime(1)).toBe(0);
  });

  it("reproduces ZImagePipeline's image from the same noise within one 8-bit level", async () => {
    const run = RUNS[variant];
    const noise = (mx.load(join(dir, 'noise.safetensors')) as Record<string, MxArray>)['noise']!;
    const result = await new Generator(mx, info, model).generate(
      { prompt: 'a red cat', seed: 0, ...run, cache: { enabled: false } },
      { noise },
    );
    expect(result.request.guidanceMode).toBe(run.guidanceScale > 0 ? 'cfg' : 'none');
    const reference = Uint8Array.from(values(e['run.rgb']!));
    const worst = Math.max(...Array.from(result.rgb, (v, i) => Math.abs(v - reference[i]!)));
    expect(worst).toBeLessThanOrEqual(1);
    expect(psnr(result.rgb, reference)).toBeGreaterThan(45);
  });
});

describe.each(Object.keys(RUNS) as (keyof typeof RUNS)[])('%s from a prompt, as the CLI runs it', (variant) => {
  const dir = join(Z_IMAGE_FIXTURES, variant);
  const reference = Uint8Array.from(values(expected(variant)['prompt_run.rgb']!));
  const run = RUNS[variant];

  it('encodes with the checkpoint\'s Qwen3 and tokenizer and reproduces ZImagePipeline(prompt=…)', async () => {
    const model = await ZImageModel.load(mx, dir, { quantize: 'none' });
    const noise = (mx.load(join(dir, 'noise.safetensors')) as Record<string, MxArray>)['noise']!;
    const result = await new Generator(mx, info, model).generate({ prompt: 'a red cat', seed: 0, ...run, cache: { enabled: false } }, { noise });
    expect(psnr(result.rgb, reference)).toBeGreaterThan(45);
  });

  it('`npm run generate -- --model DIR --noise noise.safetensors` reproduces it (PSNR ≥ 45 dB)', () => {
    const cli = generateWithCli(dir, { ...run, guidance: run.guidanceScale });
    expect(cli.stderr).toContain(variant === 'z-image-turbo' ? 'Z-Image-Turbo' : 'Z-Image');
    expect(cli.status).toBe(0);
    expect(psnr(cli.rgb!, reference)).toBeGreaterThan(45);
  });
});

describe('Z-Image with TeaCache and quantization', () => {
  const dir = join(Z_IMAGE_FIXTURES, 'z-image-base');
  const model = runSync(ZImageModel.loadStepwise(mx, dir, { quantize: 'none', promptEncoder: fixturePromptEncoder('z-image-base') }));
  const request = { prompt: 'a red cat', seed: 4, steps: 6, width: 32, height: 48, guidanceScale: 4 };

  it('splits at the main blocks into exactly its forward, for a CFG batch whose captions differ in length', () => {
    const text = model.encodeText(['a red cat', '']);
    const x = patchify(mx, mx.random.normal([2, 16, 6, 4], mx.float32, 0, 1, mx.random.key(2)), 2);
    const part = model.split(x, 3, 2, 0.7, text);
    expect(maxRelativeError(part.output(part.blocks()), model.velocity(x, 3, 2, 0.7, text))).toBeLessThan(1e-6);
    // Both images' joint streams side by side: 32 image + 32 caption tokens each.
    expect(part.signal.shape).toEqual([1, 128, 64]);
  });

  it("runs the teacache policy on the first main block's modulated input, and the seed rule with 3 forced steps under CFG", async () => {
    const generator = new Generator(mx, info, model);
    const teacache = await generator.generate({ ...request, cache: { policy: 'teacache', reuse: 'residual', threshold: 0.5 } });
    expect(teacache.events.slice(1).every((e) => typeof e.signal === 'number' && e.signal > 0)).toBe(true);
    const seed = await generator.generate(request);
    expect(seed.request.cache).toMatchObject({ policy: 'seed', threshold: 0.15, skipEarlySteps: 3 });
    expect(seed.events.slice(0, 3).every((e) => e.computed)).toBe(true);
  });

  it('quantizes on load (8-bit stays close to float32) and refuses, before loading, what cannot fit', async () => {
    const generator = (m: ZImageModel) => new Generator(mx, info, m).generate({ ...request, cache: { enabled: false } });
    const q8 = runSync(ZImageModel.loadStepwise(mx, dir, { quantize: 8, promptEncoder: fixturePromptEncoder('z-image-base') }));
    expect(q8.info.notes[0]).toMatch(/8-bit quantized/);
    expect(psnr((await generator(q8)).rgb, (await generator(model)).rgb)).toBeGreaterThan(30);
    expect(() => runSync(ZImageModel.loadStepwise(mx, dir, { quantize: 'auto', memoryLimitBytes: 1024 ** 3 }))).toThrow(/Z-Image cannot fit in the 1\.0 GB .*Even 4-bit does not fit/);
  });
});
