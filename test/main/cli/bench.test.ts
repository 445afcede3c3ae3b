// The benchmark's contract: a readable table, then one JSON object of figures.

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

function bench(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'main/cli/bench.ts', ...args], { encoding: 'utf8' });
}

describe('npm run bench', () => {
  it('ends with one JSON object of the figures it printed', () => {
    const run = bench('--repeats', '1', '--steps', '6', '--threshold', '0.3', '--backend', 'npm');
    expect(run.status).toBe(0);
    const lines = run.stdout.trim().split('\n');
    const figures = JSON.parse(lines.at(-1)!);
    expect(figures).toMatchObject({ backend: 'npm', steps: 6, repeats: 1, cache: { threshold: 0.3 } });
    expect(figures.forwards).toBeGreaterThan(0);
    expect(figures.forwards).toBeLessThan(6);
    // The seed's rule runs nothing on a reused step: the run cost its forwards.
    expect(figures.forwardEquivalents).toBe(figures.forwards);
    expect(figures.idealSpeedup).toBeCloseTo(6 / figures.forwards, 3);
    for (const key of ['forwardMs', 'uncachedWallMs', 'cachedWallMs', 'speedup', 'bookkeepingFractionOfForward']) {
      expect(figures[key], key).toBeGreaterThan(0);
    }
    expect(lines.find((line) => line.startsWith('forwards computed'))).toContain(`${figures.forwards} of 6`);
  });

  it("runs a model's preset, with a cache flag beside it overriding the preset's value, as generate does", () => {
    const run = bench('--repeats', '1', '--steps', '6', '--preset', 'fast', '--threshold', '0.6', '--backend', 'npm');
    expect(run.status).toBe(0);
    const figures = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
    expect(figures.cache).toMatchObject({ policy: 'easycache', reuse: 'output', skipEarlySteps: 2, threshold: 0.6 });
    const unknown = bench('--preset', 'fastest');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown preset "fastest": pick quality, balanced, fast/);
  });

  it('refuses an unknown backend, listing the valid ones', () => {
    const run = bench('--backend', 'cuda');
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/native.*npm.*auto/);
  });
});
