// Whole FLUX.2 klein runs against diffusers' Flux2KleinPipeline on the tiny
// random fixture (training/fixtures/make_flux2_klein_fixture.py): the same
// noise and prompt embeddings through the engine's Generator, step-distilled
// (guidance ignored) and Base (CFG against the negative embeddings), in-process
// and through `npm run generate` with --noise.

import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Generator } from '../../../../../main/engine/generate.ts';
import { runSync } from '../../../../../main/engine/io/materialize.ts';
import { loadNpmBackend } from '../../../../../main/engine/mlx/load-backend.ts';
import type { MxArray } from '../../../../../main/engine/mlx/backend.ts';
import { psnr } from '../../../../../main/engine/metrics/psnr.ts';
import { Flux2ConfigSchema } from '../../../../../main/engine/models/flux2-klein/config.ts';
import { checkKleinFolder, inspectKleinFolder } from '../../../../../main/engine/models/flux2-klein/inspect.ts';
import { Flux2KleinModel, KLEIN_BASE_TEACACHE, qwen3KleinPromptEncoder, type KleinPromptEncoder, type KleinVariant } from '../../../../../main/engine/models/flux2-klein/klein-model.ts';
import { Flux2Transformer } from '../../../../../main/engine/models/flux2-klein/transformer.ts';
import { Flux2Vae, Flux2VaeConfigSchema } from '../../../../../main/engine/models/flux2-klein/vae.ts';
import { loadQwen3Tokenizer } from '../../../../../main/engine/models/text/qwen3-prompt.ts';
import { qwen3FromFolder } from '../../../../../main/engine/models/text/qwen3-text-encoder.ts';
import { resolveRequest } from '../../../../../main/core/resolve-request.ts';
import { CALIBRATION_FORMAT } from '../../../../../main/core/teacache/calibration.ts';
import { weightsFingerprint, writeCalibration } from '../../../../../main/engine/calibration/calibration-file.ts';
import { openGenerator } from '../../../../../main/engine/engine.ts';
import { generateWithCli } from '../../../../support/cli-generate.ts';
import { mx, values } from '../../../../support/mlx.ts';
import { FLUX2_KLEIN_BASE_FIXTURE, FLUX2_KLEIN_FIXTURE, expectedKlein, float32Params, maxRelativeError } from './support.ts';

const { info } = loadNpmBackend();
const e = expectedKlein();
const RUNS = (JSON.parse(readFileSync(join(FLUX2_KLEIN_FIXTURE, 'expected.json'), 'utf8')) as { runs: Record<KleinVariant, { guidance: number; steps: number; width: number; height: number }> }).runs;

function component(name: string): { config: unknown; params: Record<string, MxArray> } {
  const dir = join(FLUX2_KLEIN_FIXTURE, name);
  return { config: JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')), params: float32Params(join(dir, 'diffusion_pytorch_model.safetensors')) };
}

/** The prompt embeddings diffusers' run started from, standing in for the Qwen3 encoder. */
function fixtureEmbeddings(variant: KleinVariant): KleinPromptEncoder {
  const table: Record<string, MxArray> = { 'a red cat': e[`run.${variant}.prompt_embeds`]!, '': e[`run.${variant}.negative_prompt_embeds`]! };
  return {
    // eslint-disable-next-line require-yield
    *encode(prompts) {
      return mx.concatenate(prompts.map((p) => table[p]!), 0);
    },
  };
}

const qwen3 = () => qwen3KleinPromptEncoder(mx, qwen3FromFolder(join(FLUX2_KLEIN_FIXTURE, 'text_encoder')), loadQwen3Tokenizer(join(FLUX2_KLEIN_FIXTURE, 'tokenizer')), 'none');

function fixtureModel(variant: KleinVariant, promptEncoder: KleinPromptEncoder = fixtureEmbeddings(variant)): Flux2KleinModel {
  const t = component('transformer');
  const v = component('vae');
  return new Flux2KleinModel(mx, {
    variant,
    transformer: new Flux2Transformer(mx, Flux2ConfigSchema.parse(t.config), t.params),
    vae: new Flux2Vae(mx, Flux2VaeConfigSchema.parse(v.config), v.params),
    promptEncoder,
  });
}

async function bytesDiff(model: Flux2KleinModel, variant: KleinVariant, key: string): Promise<{ worst: number; psnr: number; mode: string }> {
  const run = RUNS[variant];
  const result = await new Generator(mx, info, model).generate(
    { prompt: 'a red cat', seed: 0, steps: run.steps, guidanceScale: run.guidance, width: run.width, height: run.height, cache: { enabled: false } },
    { noise: e[`run.${variant}.noise`]! },
  );
  const reference = Uint8Array.from(values(e[key]!));
  return { worst: Math.max(...Array.from(result.rgb, (v, i) => Math.abs(v - reference[i]!))), psnr: psnr(result.rgb, reference), mode: result.request.guidanceMode };
}

describe.each(['distilled', 'base'] as const)('klein %s against Flux2KleinPipeline', (variant) => {
  const model = fixtureModel(variant);

  it("reproduces the pipeline's image from the same noise and embeddings within one 8-bit level", async () => {
    const { worst, psnr: db, mode } = await bytesDiff(model, variant, `run.${variant}.rgb`);
    expect(mode).toBe(variant === 'base' ? 'cfg' : 'none');
    expect(worst).toBeLessThanOrEqual(1);
    expect(db).toBeGreaterThan(45);
  });

  it("reproduces Flux2KleinPipeline(prompt=…) through the checkpoint's Qwen3 and tokenizer (\"\" as Base's negative)", async () => {
    const { worst, psnr: db } = await bytesDiff(fixtureModel(variant, qwen3()), variant, `prompt_run.${variant}.rgb`);
    expect(worst).toBeLessThanOrEqual(1);
    expect(db).toBeGreaterThan(45);
  });
});

describe("klein's prompt features against the pipeline's encode_prompt", () => {
  it('stacks Qwen3 hidden states 9, 18 and 27 over all 512 positions (1e-4 relative, float32)', () => {
    const features = runSync(qwen3().encode(['a red cat']));
    expect(features.shape).toEqual([1, 512, 48]);
    expect(maxRelativeError(features, e['prompt.embeds']!)).toBeLessThan(1e-4);
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

  it("starts from the pipeline's patchified latents or the VAE's unpatchified ones, and refuses any other shape", async () => {
    const model = fixtureModel('distilled');
    expect(model.noiseShape(64, 96)).toEqual([1, 128, 6, 4]);
    expect(model.unpatchifiedNoiseShape(64, 96)).toEqual([1, 32, 12, 8]);
    // diffusers' _patchify_latents: channel c·4 + dy·2 + dx holds latent channel c at (2i + dy, 2j + dx).
    const latent = Float32Array.from({ length: 32 * 4 * 6 }, (_, k) => k);
    const at = (c: number, y: number, x: number) => c * 24 + y * 6 + x;
    const patched = model.patchifyNoise(mx.reshape(mx.array(Array.from(latent)), [1, 32, 4, 6]));
    expect(patched.shape).toEqual([1, 128, 2, 3]);
    const out = patched.tolist() as number[][][][];
    for (const [c, dy, dx, i, j] of [[0, 0, 0, 0, 0], [0, 1, 0, 0, 0], [0, 0, 1, 1, 2], [5, 1, 1, 1, 0], [31, 1, 0, 0, 2]] as const) {
      expect(out[0]![c * 4 + dy * 2 + dx]![i]![j]).toBe(at(c, 2 * i + dy, 2 * j + dx));
    }
    // Either layout of the same draw gives the same image.
    const generator = new Generator(mx, info, model);
    const run = { ...request, steps: 1, cache: { enabled: false } };
    const unpatched = mx.random.normal([1, 32, 8, 8], mx.float32, 0, 1, mx.random.key(3));
    const [fromLatent, fromPatched] = [await generator.generate(run, { noise: unpatched }), await generator.generate(run, { noise: model.patchifyNoise(unpatched) })];
    expect(fromLatent.rgb).toEqual(fromPatched.rgb);
    await expect(generator.generate(run, { noise: mx.zeros([1, 32, 4, 4]) })).rejects.toThrow(/starts from \[1, 128, 4, 4\] .*or \[1, 32, 8, 8\] unpatchified/);
  });
});

describe('a klein diffusers folder, loaded whole', () => {
  it('is read as step-distilled from model_index.json and reproduces the pipeline from a prompt', async () => {
    const model = await Flux2KleinModel.load(mx, FLUX2_KLEIN_FIXTURE);
    expect(model.info.id).toBe('flux2-klein-distilled');
    expect(model.defaults).toMatchObject({ steps: 4, guidanceScale: 1, guidanceRule: 'never', empiricalMu: true });
    const { worst } = await bytesDiff(model, 'distilled', 'prompt_run.distilled.rgb');
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('refuses a broken folder naming every problem at once', () => {
    const dir = mkdtempSync(join(tmpdir(), 'klein-broken-'));
    cpSync(FLUX2_KLEIN_FIXTURE, dir, { recursive: true });
    rmSync(join(dir, 'model_index.json'));
    rmSync(join(dir, 'tokenizer'), { recursive: true });
    const transformerConfig = join(dir, 'transformer', 'config.json');
    writeFileSync(transformerConfig, JSON.stringify({ ...JSON.parse(readFileSync(transformerConfig, 'utf8')), num_single_layers: 3 }));
    const problems = checkKleinFolder(dir).problems.map((p) => p.message).join('\n');
    expect(problems).toMatch(/model_index\.json is missing/);
    expect(problems).toMatch(/missing "single_transformer_blocks\.2\.attn\.to_qkv_mlp_proj\.weight"/);
    expect(problems).toMatch(/tokenizer/);
    expect(() => inspectKleinFolder(dir)).toThrow(/is not a usable FLUX\.2 klein folder \(3 problems\)/);
  });
});

describe.each(['distilled', 'base'] as const)('klein %s through the CLI', (variant) => {
  const dir = variant === 'distilled' ? FLUX2_KLEIN_FIXTURE : FLUX2_KLEIN_BASE_FIXTURE;
  const run = RUNS[variant];

  it('`npm run generate -- --model DIR --noise noise.safetensors` reproduces Flux2KleinPipeline(prompt=…) (PSNR ≥ 45 dB)', () => {
    const cli = generateWithCli(dir, run);
    expect(cli.stderr).toContain(variant === 'distilled' ? 'FLUX.2 [klein] on' : 'FLUX.2 [klein] Base on');
    expect(cli.status).toBe(0);
    const reference = Uint8Array.from(values(e[`prompt_run.${variant}.rgb`]!));
    expect(psnr(cli.rgb!, reference)).toBeGreaterThan(45);
  });
});

describe('klein under the cache policies', () => {
  const model = fixtureModel('base');

  it("splits at the blocks into exactly its forward for a CFG batch, with diffusers' first-block modulated input as the signal", () => {
    const x = mx.concatenate([e['transformer.hidden']!, e['transformer.hidden']!], 0);
    const text = { context: mx.concatenate([e['transformer.text']!, e['transformer.text']!], 0), pooled: mx.zeros([2, 1]) };
    const part = model.split(x, 6, 4, 0.3, text);
    expect(maxRelativeError(part.output(part.blocks()), model.velocity(x, 6, 4, 0.3, text))).toBeLessThan(1e-6);
    expect(maxRelativeError(mx.split(part.signal, 2, 0)[0]!, e['transformer.modulated_input']!)).toBeLessThan(1e-4);
  });

  it('runs the teacache policy on that signal', async () => {
    const run = await new Generator(mx, info, model).generate({ prompt: 'a red cat', seed: 3, steps: 6, width: 32, height: 32, guidanceScale: 4, cache: { policy: 'teacache', reuse: 'residual', threshold: 0.5 } });
    expect(run.events.slice(1).every((event) => typeof event.signal === 'number' && event.signal > 0)).toBe(true);
  });

  it("puts a klein folder's calibration.json (as npm run calibrate writes it) in force on the next load", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'klein-calibrated-'));
    cpSync(FLUX2_KLEIN_BASE_FIXTURE, dir, { recursive: true });
    const before = await openGenerator({ modelDir: dir, backend: 'npm' });
    // mlx-teacache's published klein Base polynomial until the folder has its own.
    expect(before.model.defaults.teacache).toMatchObject({ coefficients: [...KLEIN_BASE_TEACACHE.coefficients], signalThreshold: 0.17 });
    await writeCalibration(dir, {
      format: CALIBRATION_FORMAT,
      modelId: before.model.info.id,
      input: 'first-block-modulated-input',
      output: 'velocity',
      coefficients: [5, 4, 3, 2, 1],
      threshold: 0.3,
      weights: weightsFingerprint(dir),
      fit: { rmse: 0.02, relativeError: 0.04, r2: 0.9, samples: 33 },
      runs: { prompts: ['a red cat'], seeds: [1], steps: 50, guidanceScale: 4 },
      createdAt: '2026-12-01T00:00:00.000Z',
      trained: true,
    });
    const after = await openGenerator({ modelDir: dir, backend: 'npm' });
    expect(after.model.defaults.teacache).toMatchObject({ coefficients: [5, 4, 3, 2, 1], signalThreshold: 0.3 });
    expect(resolveRequest(after.model, { prompt: 'x', seed: 1, width: 32, height: 32, cache: { policy: 'teacache' } }).cache.coefficients).toEqual([5, 4, 3, 2, 1]);
    rmSync(dir, { recursive: true, force: true });
  });
});
