// `npm run bench:policies` end to end at smoke-test size (one prompt, 8 steps):
// one variant of every policy measured beside the fewer-steps baseline, speedups
// counting what the steps cost, the report and plot written, the last line a JSON summary. The figures
// themselves belong to the full run, not to this test.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodePng } from '../../../main/engine/io/png.ts';

describe('npm run bench:policies', () => {
  it('measures every policy and the fewer-steps baseline and writes the report, the plot and a JSON last line', () => {
    const out = mkdtempSync(join(tmpdir(), 'bench-policies-'));
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'main/cli/bench-policies.ts', '--quick', '--steps', '8', '--repeats', '1', '--out', out], { encoding: 'utf8' });
    expect(run.stderr).toContain('timing repeat 1/1');
    expect(run.status).toBe(0);

    const summary = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
    expect(Object.keys(summary.bestSpeedupAtBar).sort()).toEqual(['easycache', 'first-block', 'magcache', 'seed', 'teacache']);
    expect(summary.qualityBarDb).toBe(30);
    expect(summary.fewerStepsSpeedupAtBar).toBeGreaterThanOrEqual(1);
    expect(Object.keys(summary.minLeadOverFewerStepsDb).sort()).toEqual(Object.keys(summary.bestSpeedupAtBar).sort());

    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    const variants = new Set(report.results.map((r: { variant: string }) => r.variant));
    for (const variant of ['seed/output', 'teacache/residual', 'magcache/residual', 'first-block-early2/residual', 'easycache/output']) {
      expect(variants, variant).toContain(variant);
    }
    // The fewer-steps baseline: one entry per forward count, each that many plain steps.
    expect(report.fewerSteps.length).toBeGreaterThan(0);
    for (const point of report.fewerSteps) {
      expect(point.speedup).toBeCloseTo(8 / point.steps, 12);
      expect(point.minPsnr).toBeLessThanOrEqual(point.meanPsnr);
    }
    for (const result of report.results) {
      expect(result.images).toHaveLength(1);
      // Speedups count what the steps cost: a reused First-Block Cache step still ran its first block.
      const [image] = result.images;
      expect(result.speedup).toBeCloseTo(8 / image.forwardEquivalents, 12);
      expect(result.forwardsSpeedup).toBeCloseTo(8 / image.forwards, 12);
      if (result.policy === 'first-block') expect(image.forwardEquivalents - image.forwards).toBeCloseTo((8 - image.forwards) * 0.17337, 4);
      else expect(image.forwardEquivalents).toBe(image.forwards);
      expect(result.meanPsnr).toBeGreaterThan(0);
      expect(result.minSsim).toBeLessThanOrEqual(result.meanSsim);
    }
    expect(report.timing.length).toBeGreaterThan(0);
    for (const timing of report.timing) {
      expect(timing.realisedSpeedup).toBeGreaterThan(0);
      expect(timing.idealSpeedup).toBeCloseTo(8 / timing.forwardEquivalents, 2);
    }
    expect(decodePng(readFileSync(join(out, 'speedup-vs-psnr.png')))).toMatchObject({ width: 900, height: 560 });
  }, 120_000);
});
