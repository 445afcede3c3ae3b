// `npm run calibrate` on a Z-Image-Turbo folder (the tiny diffusers fixture, at a small size): it fits the
// first modulated block input against the velocity and writes calibration.json, which the next load then puts in
// force, for the CLI (openGenerator) and for the app's engine worker (loadEngine, which it starts from). Needs MLX.

import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { calibrationPath, readCalibrationFile } from '../../../main/engine/calibration/calibration-file.ts';
import type { Calibration } from '../../../main/core/teacache/calibration.ts';
import { loadEngine, openGenerator } from '../../../main/engine/engine.ts';
import { FLUX1_COEFFICIENTS } from '../../../main/core/teacache/teacache-policy.ts';

const FIXTURES = new URL('../../fixtures/', import.meta.url).pathname;

let dir: string;
let cli: SpawnSyncReturns<string>;
let calibration: Calibration;

beforeAll(() => {
  // Named as the download is, so the folder is recognised as Turbo; a copy, so the fixture stays as committed.
  dir = join(mkdtempSync(join(tmpdir(), 'calibrate-cli-')), 'Z-Image-Turbo');
  cpSync(join(FIXTURES, 'z-image-turbo'), dir, { recursive: true });
  const prompts = join(dir, '..', 'prompts.txt');
  writeFileSync(prompts, '# two prompts, two seeds: 4 runs of 9 steps, 32 step pairs\na red cat\na blue house\n');
  cli = spawnSync(process.execPath, ['--import', 'tsx', 'main/cli/calibrate.ts', '--model', dir, '--prompts', prompts, '--seeds', '1,2', '--width', '32', '--height', '32'], {
    encoding: 'utf8',
  });
  calibration = readCalibrationFile(calibrationPath(dir));
}, 120_000);

describe('npm run calibrate -- --model <Z-Image-Turbo folder>', () => {
  it("fits Turbo's 9-step uncached runs at the size asked and saves the fit in the folder", () => {
    expect(cli.stderr).toContain('Z-Image-Turbo');
    expect(cli.status).toBe(0);
    const summary = JSON.parse(cli.stdout.trim().split('\n').at(-1)!) as { model: string; file: string; coefficients: number[]; threshold?: number };
    expect(summary).toMatchObject({ model: 'z-image-turbo', file: calibrationPath(dir) });
    expect(calibration).toMatchObject({
      modelId: 'z-image-turbo',
      input: 'first-block-modulated-input',
      output: 'velocity',
      coefficients: summary.coefficients,
      runs: { prompts: ['a red cat', 'a blue house'], seeds: [1, 2], steps: 9, guidanceScale: 0, width: 32, height: 32 },
      fit: { samples: 32 },
    });
    expect(calibration.coefficients).toHaveLength(5);
    expect(calibration.coefficients).not.toEqual(FLUX1_COEFFICIENTS);
    expect(calibration.magRatios).toHaveLength(9);
    // Runs at 32×32 do not speak for the default 1024×1024 run: no default threshold, and the CLI says why.
    expect(calibration.threshold).toBeUndefined();
    expect(cli.stdout).toMatch(/teacache default threshold\s+none: runs at other steps, guidance or size/);
    // The fingerprint covers the diffusers folder's weights one level down.
    expect(Object.keys(calibration.weights ?? {})).toEqual(expect.arrayContaining(['transformer/diffusion_pytorch_model.safetensors', 'vae/diffusion_pytorch_model.safetensors']));
  });

  it("is in force on the CLI's next load", async () => {
    const generator = await openGenerator({ modelDir: dir, quantize: 'none' });
    expect(generator.model.info.id).toBe('z-image-turbo');
    expect(generator.model.defaults.teacache.coefficients).toEqual(calibration.coefficients);
    expect(generator.model.defaults.teacache.magRatios).toEqual(calibration.magRatios);
    // Turbo's own default, the seed rule at ollama's 0.15, is unchanged by it.
    expect(generator.model.defaults.teacache).toMatchObject({ threshold: 0.15, rescaleFactor: 1 });
  }, 60_000);

  it("is in force on the engine worker's next load (the lookup it starts from)", async () => {
    // As the worker calls it: the folder and the app's calibrations folder, nothing else.
    const { loaded, calibration: inForce } = await loadEngine({ modelDir: dir, calibrationDir: join(dir, '..', 'calibrations') });
    expect(loaded.model.info.id).toBe('z-image-turbo');
    expect(inForce.stored).toMatchObject({ location: 'model-folder', file: calibrationPath(dir), calibration: { coefficients: calibration.coefficients } });
    expect(inForce.model.defaults.teacache.coefficients).toEqual(calibration.coefficients);
    expect(inForce.weights).toEqual(calibration.weights);
  }, 60_000);
});
