// Generation end to end on the built-in model (trained or random weights):
// defaults, guidance modes, caching that matches its prediction, and
// `threshold 0` identical to no cache.

import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openGenerator } from '../../../main/engine/engine.ts';
import { Generator } from '../../../main/engine/generate.ts';
import { loadNpmBackend } from '../../../main/engine/mlx/load-backend.ts';
import { builtinModelDir, PixelFluxModel } from '../../../main/engine/models/pixel-flux/pixel-flux-model.ts';
import { resolveRequest } from '../../../main/core/resolve-request.ts';
import { scheduleFor } from '../../../main/core/schedule.ts';
import { predictDecisions } from '../../../main/core/teacache/predict.ts';
import { SeedPolicy } from '../../../main/core/teacache/seed-policy.ts';

let generator: Generator;
beforeAll(async () => {
  generator = await openGenerator();
});

const base = { prompt: 'red heart', seed: 7, steps: 8 };

describe('resolveRequest', () => {
  it('fills defaults from the model and uses the seed caller’s skip-early 3 under CFG', () => {
    const resolved = resolveRequest(generator.model, { prompt: 'x', seed: 1 });
    const { defaults } = generator.model;
    expect(resolved).toMatchObject({
      steps: defaults.steps,
      width: defaults.width,
      height: defaults.height,
      guidanceScale: defaults.guidanceScale,
      guidanceMode: 'cfg',
      negativePrompt: '',
      cache: { enabled: true, policy: 'seed', threshold: defaults.teacache.threshold, skipEarlySteps: 3 },
    });
  });

  it('runs a single forward without CFG at guidance 1, and then skips no early steps', () => {
    expect(resolveRequest(generator.model, { prompt: 'x', seed: 1, guidanceScale: 1 })).toMatchObject({
      guidanceMode: 'none',
      cache: { skipEarlySteps: 0 },
    });
  });

  it('rejects sizes the model cannot make, saying which sizes it can', () => {
    const { sizeMultiple, maxSize } = generator.model.info;
    expect(() => resolveRequest(generator.model, { prompt: 'x', seed: 1, width: sizeMultiple + 1 })).toThrow(
      new RegExp(`width ${sizeMultiple + 1} .* multiple of ${sizeMultiple} up to ${maxSize}`),
    );
  });
});

describe('Generator', () => {
  it('gives the same image for the same seed and another for another seed', async () => {
    const a = await generator.generate(base);
    const b = await generator.generate(base);
    const c = await generator.generate({ ...base, seed: 8 });
    expect(a.rgb).toEqual(b.rgb);
    expect(a.rgb).not.toEqual(c.rgb);
    expect(a.rgb).toHaveLength(a.width * a.height * 3);
  });

  it('is bit-identical to the uncached run at threshold 0', async () => {
    const uncached = await generator.generate({ ...base, cache: { enabled: false } });
    const zero = await generator.generate({ ...base, cache: { threshold: 0 } });
    expect(zero.stats).toMatchObject({ hits: 0, misses: 8, forwards: 8 });
    expect(Buffer.from(zero.rgb).equals(Buffer.from(uncached.rgb))).toBe(true);
  });

  it('makes exactly the decisions the UI predicts, and reuses to save forwards', async () => {
    const request = { ...base, steps: 20, cache: { threshold: 0.15 } };
    const result = await generator.generate(request);
    const resolved = resolveRequest(generator.model, request);
    const predicted = predictDecisions(new SeedPolicy(resolved.cache), scheduleFor(resolved, generator.model.info.sizeMultiple));
    expect(result.events.map((e) => e.computed)).toEqual(predicted.decisions.map((d) => d.compute));
    expect(result.stats.forwards).toBe(predicted.forwards);
    expect(result.stats.hits).toBeGreaterThan(0);
    expect(result.events.slice(0, 3).every((e) => e.computed)).toBe(true);
  });

  it('counts what a First-Block Cache run cost: its forwards, and the first block of every reused step', async () => {
    // A high threshold past the first two steps, so most steps reuse; 64 px is 256 image and 16 text tokens.
    const result = await generator.generate({ ...base, cache: { policy: 'first-block', threshold: 10, skipEarlySteps: 2 } });
    const { hits, misses, forwards, forwardEquivalents } = result.stats;
    expect(hits).toBeGreaterThan(0);
    expect(forwards).toBe(misses);
    // The built-in model's first block, with the embedders and final layer, is 0.173 of a forward (forward-flops.ts).
    expect(forwardEquivalents).toBeCloseTo(misses + hits * 0.17337, 4);
    const seed = await generator.generate({ ...base, cache: { threshold: 0.15 } });
    expect(seed.stats.forwardEquivalents).toBe(seed.stats.forwards);
  });

  it('lets the negative prompt and the guidance scale change the image', async () => {
    const plain = await generator.generate(base);
    const negative = await generator.generate({ ...base, negativePrompt: 'blue' });
    const stronger = await generator.generate({ ...base, guidanceScale: 8 });
    expect(negative.rgb).not.toEqual(plain.rgb);
    expect(stronger.rgb).not.toEqual(plain.rgb);
  });

  it('reports each step with a renderable preview and stops when cancelled', async () => {
    const signal = { aborted: false };
    const previews: number[] = [];
    const run = generator.generate(base, {
      signal,
      onStep: (event, preview) => {
        previews.push(preview().length);
        if (event.index === 1) signal.aborted = true;
      },
    });
    await expect(run).rejects.toMatchObject({ code: 'CANCELLED' });
    const pixels = generator.model.defaults.width * generator.model.defaults.height;
    expect(previews).toEqual([pixels * 3, pixels * 3]);
  });

  it('names prompt words the model does not know', async () => {
    const result = await generator.generate({ ...base, steps: 1, prompt: 'red zzyzx heart' });
    expect(result.unknownWords).toEqual(['zzyzx']);
  });
});

describe('embedded guidance (FLUX-dev style)', () => {
  it('runs one forward per step with the guidance value embedded', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'embedded-model-'));
    const source = builtinModelDir();
    const manifest = JSON.parse(readFileSync(join(source, 'model.json'), 'utf8'));
    manifest.transformer.guidanceEmbed = true;
    writeFileSync(join(dir, 'model.json'), JSON.stringify(manifest));
    cpSync(join(source, 'vocab.json'), join(dir, 'vocab.json'));
    const { mx, info } = loadNpmBackend();
    const embedded = new Generator(mx, info, PixelFluxModel.load(mx, dir));

    const low = await embedded.generate({ ...base, guidanceScale: 2 });
    const high = await embedded.generate({ ...base, guidanceScale: 5 });
    expect(low.request.guidanceMode).toBe('embedded');
    expect(low.request.cache.skipEarlySteps).toBe(0);
    expect(low.rgb).not.toEqual(high.rgb);
  });
});

describe('memory in a long-lived engine', () => {
  // Issue 12: arrays that outlive a step reach V8's old generation, which a small JS heap never collects, so each
  // generation left ~4 MiB behind. Small and short runs keep this quick; the leak is per generation, not per pixel.
  it('stays flat over 100 generations: RSS and MLX active memory at run 100 within 10% of run 10', async () => {
    const sample = () => ({ rss: process.memoryUsage.rss(), active: generator.mx.metal?.getActiveMemory() ?? 0 });
    let atTen = sample();
    for (let run = 1; run <= 100; run++) {
      await generator.generate({ prompt: 'red heart', seed: run, steps: 2, width: 32, height: 32 });
      if (run === 10) atTen = sample();
    }
    const atHundred = sample();
    expect(atHundred.rss).toBeLessThanOrEqual(atTen.rss * 1.1);
    expect(atHundred.active).toBeLessThanOrEqual(atTen.active * 1.1);
  }, 300_000);
});
