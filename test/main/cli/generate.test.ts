// The generate command as a user runs it: files, metadata, progress, errors.

import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodePng } from '../../../main/engine/io/png.ts';
import { psnr } from '../../../main/engine/metrics/psnr.ts';
import { ssim } from '../../../main/engine/metrics/ssim.ts';

const dir = mkdtempSync(join(tmpdir(), 'cli-generate-'));

function generate(...args: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'main/cli/generate.ts', ...args], { encoding: 'utf8' });
  return { status: result.status, stderr: result.stderr, stdout: result.stdout };
}

describe('npm run generate', () => {
  it('writes a PNG with its parameters and a JSON record of every step', () => {
    const out = join(dir, 'heart.png');
    const run = generate('--prompt', 'red heart', '--negative', 'blue', '--seed', '3', '--steps', '6', '--threshold', '0.2', '--out', out);
    expect(run.stderr).toContain('step   6/6');
    expect(run.status).toBe(0);
    // An addon that was never built is no fault (issue 12, low item): nothing to say about it.
    expect(run.stderr).not.toMatch(/native (unavailable|backend not built)/);
    // Which guidance applies, in one line (issue 12, item 9).
    expect(run.stderr).toMatch(/^guidance: True CFG at \d/m);

    const png = decodePng(readFileSync(out));
    expect(png.text.parameters).toMatch(/^red heart\nNegative prompt: blue\nSteps: 6, .*Seed: 3, .*TeaCache: seed threshold 0.2 rescale 1 skip-early 3/);
    const record = JSON.parse(readFileSync(join(dir, 'heart.json'), 'utf8'));
    expect(record.request).toMatchObject({ prompt: 'red heart', negativePrompt: 'blue', seed: 3, steps: 6 });
    expect(record.events).toHaveLength(6);
    expect(record.stats.hits + record.stats.misses).toBe(6);
    expect(record.wallMs).toBeGreaterThan(0);
    expect(JSON.parse(png.text['teacache-studio']!).stats).toEqual(record.stats);
  });

  it('runs the policy and reuse mode asked for', () => {
    const out = join(dir, 'teacache.png');
    expect(generate('--prompt', 'red heart', '--seed', '2', '--steps', '8', '--policy', 'teacache', '--reuse', 'residual', '--out', out).status).toBe(0);
    const record = JSON.parse(readFileSync(join(dir, 'teacache.json'), 'utf8'));
    expect(record.request.cache).toMatchObject({ policy: 'teacache', reuse: 'residual', alwaysComputeLast: true });
    expect(record.events.at(-1).computed).toBe(true);
  });

  it('gives byte-identical images for --threshold 0 and --no-cache', () => {
    const zero = join(dir, 'zero.png');
    const off = join(dir, 'off.png');
    expect(generate('--prompt', 'cat', '--seed', '5', '--steps', '5', '--threshold', '0', '--out', zero).status).toBe(0);
    expect(generate('--prompt', 'cat', '--seed', '5', '--steps', '5', '--no-cache', '--out', off).status).toBe(0);
    expect(decodePng(readFileSync(zero)).rgb).toEqual(decodePng(readFileSync(off)).rgb);
  });

  it.each([
    [['--seed', '1', '--out', 'x.png'], /--prompt is required/],
    [['--prompt', 'x', '--out', 'x.jpg'], /--out must name a \.png file/],
    [['--prompt', 'x', '--steps', 'many', '--out', 'x.png'], /--steps expects a number, got "many"/],
    [['--prompt', 'x', '--no-cache', '--threshold', '0.1', '--out', 'x.png'], /--no-cache cannot be combined/],
    [['--prompt', 'x', '--seed=-1', '--out', 'x.png'], /--seed: .*>=0/],
    [['--prompt', 'x', '--colour', 'red', '--out', 'x.png'], /Unknown option '--colour'/],
    [['--prompt', 'x', '--policy', 'magic', '--out', 'x.png'], /--policy: .*"seed"\|"timestep-consecutive"\|"teacache"/],
  ])('rejects %j with a usage message', (args, message) => {
    const run = generate(...args);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).toContain('Usage: npm run generate');
  });

  // Issue 12, item 7: these ran the whole generation, then died with a raw stack trace.
  const unwritable = (): Array<[string, string, RegExp]> => {
    const folder = join(dir, 'a-folder.png');
    mkdirSync(folder, { recursive: true });
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    const locked = join(dir, 'locked');
    mkdirSync(locked, { recursive: true });
    chmodSync(locked, 0o500);
    // root may write anywhere it has mode bits to ignore; sysfs refuses even root a new file.
    const denied = process.getuid?.() === 0 ? '/sys/out.png' : join(locked, 'out.png');
    return [
      ['EISDIR', folder, /it is a folder/],
      ['ENOTDIR', join(file, 'out.png'), /part of its path is a file/],
      ['EACCES', denied, /permission denied/],
    ];
  };
  it.each(unwritable())('refuses an unwritable --out (%s) before generating, in one line', (_code, out, why) => {
    const run = generate('--prompt', 'x', '--steps', '2', '--out', out);
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(new RegExp(`^error: cannot write ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
    expect(run.stderr).toMatch(why);
    expect(run.stderr).not.toMatch(/step|\n\s+at /);
  });

  describe('--compare', () => {
    // 12 steps at 32 px and threshold 0.3: the seed rule computes 6 of them (CCCRRCRRCRRC), a second or two a run.
    const small = ['--prompt', 'red heart', '--seed', '1', '--steps', '12', '--width', '32', '--height', '32'];
    const quality = (rgb: Uint8Array, reference: Uint8Array) => ({ psnr: psnr(reference, rgb), ssim: ssim(reference, rgb, 32, 32) });

    it('runs the uncached reference and as many plain steps as the cache computed forwards, and prints what the cache bought', () => {
      const out = join(dir, 'compare', 'heart.png');
      const run = generate(...small, '--threshold', '0.3', '--compare', '--out', out);
      expect(run.stderr).not.toMatch(/error/);
      expect(run.status).toBe(0);
      const uncachedFile = join(dir, 'compare', 'heart.uncached.png');
      const plainFile = join(dir, 'compare', 'heart.steps6.png');
      const record = JSON.parse(readFileSync(join(dir, 'compare', 'heart.json'), 'utf8'));
      expect(record.stats.forwards).toBe(6);
      expect(record.events).toHaveLength(12);

      // The figures are the images' own: recomputed here from the files written.
      const [cached, uncached, plain] = [out, uncachedFile, plainFile].map((file) => decodePng(readFileSync(file)));
      const cache = quality(cached!.rgb, uncached!.rgb);
      const steps = quality(plain!.rgb, uncached!.rgb);
      expect(Number.isFinite(cache.psnr)).toBe(true);
      // On the built-in model caching beats fewer steps by several dB at this setting (8.1 dB when written).
      expect(cache.psnr).toBeGreaterThan(steps.psnr + 3);
      expect(cache.ssim).toBeGreaterThan(steps.ssim);
      expect(record.baseline).toMatchObject({ file: uncachedFile, steps: 12, psnr: cache.psnr, ssim: cache.ssim });
      expect(record.baseline.speedup).toBeCloseTo(record.baseline.wallMs / record.wallMs, 10);
      expect(record.fewerSteps).toMatchObject({ file: plainFile, steps: 6, psnr: steps.psnr, ssim: steps.ssim });
      expect(record.fewerSteps.cacheLeadDb).toBeCloseTo(cache.psnr - steps.psnr, 10);
      expect(uncached!.text.parameters).toMatch(/Steps: 12, .*Seed: 1, .*TeaCache: off, Forwards: 12\/12/);
      expect(plain!.text.parameters).toMatch(/Steps: 6, .*Seed: 1, .*TeaCache: off, Forwards: 6\/6/);

      expect(run.stderr).toContain('6 forwards of 12 steps, 2.00× ideal');
      expect(run.stderr).toContain(`PSNR ${cache.psnr.toFixed(2)} dB  SSIM ${cache.ssim.toFixed(4)}`);
      expect(run.stderr).toContain(`PSNR ${steps.psnr.toFixed(2)} dB  SSIM ${steps.ssim.toFixed(4)}`);
      expect(run.stderr).toContain(`At the same 6 forwards the cache came ${(cache.psnr - steps.psnr).toFixed(2)} dB closer to the uncached image than 6 plain steps`);
      expect(run.stderr).toContain(`wrote ${uncachedFile} (the uncached reference) and ${plainFile} (the 6 plain steps)`);

      // Same seed, same noise: the two extra images are the plain runs of those settings, byte for byte.
      const offFile = join(dir, 'compare', 'off12.png');
      const sixFile = join(dir, 'compare', 'off6.png');
      expect(generate(...small, '--no-cache', '--out', offFile).status).toBe(0);
      expect(generate(...small, '--steps', '6', '--no-cache', '--out', sixFile).status).toBe(0);
      expect(decodePng(readFileSync(offFile)).rgb).toEqual(uncached!.rgb);
      expect(decodePng(readFileSync(sixFile)).rgb).toEqual(plain!.rgb);
    });

    it('refuses --no-cache before loading anything, saying what to do', () => {
      const run = generate(...small, '--no-cache', '--compare', '--out', join(dir, 'nc.png'));
      expect(run.status).toBe(2);
      expect(run.stderr).toMatch(/^--compare cannot be combined with --no-cache: .*Drop --no-cache/);
      expect(run.stderr).not.toMatch(/Built-in emoji model|step +1\/12/);
    });

    it('refuses, before running, a schedule-only rule that would compute every step', () => {
      const out = join(dir, 'every.png');
      const run = generate(...small, '--threshold', '0', '--compare', '--out', out);
      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(/^error: --compare: at threshold 0 \(seed rule\) this 12-step run computes every step, .*Raise --threshold/m);
      expect(run.stderr).not.toMatch(/step +1\/12/);
      expect(existsSync(out)).toBe(false);
    });

    it('refuses after the run where the decisions depend on it and it computed every step, keeping its image', () => {
      const out = join(dir, 'teacache-every.png');
      const run = generate(...small, '--policy', 'teacache', '--threshold', '0', '--compare', '--out', out);
      expect(run.status).toBe(1);
      expect(run.stderr).toContain('step  12/12');
      expect(run.stderr).toMatch(/^error: --compare: this run computed every one of its 12 steps \(the cache reused none\).*Raise --threshold/m);
      expect(run.stderr).toContain(`(${out} and ${out.replace(/png$/, 'json')} are written.)`);
      expect(existsSync(out)).toBe(true);
      expect(existsSync(out.replace(/png$/, 'uncached.png'))).toBe(false);
    });
  });

  it('reports a broken model folder without a stack trace', () => {
    const run = generate('--prompt', 'x', '--model', join(dir, 'missing'), '--out', join(dir, 'y.png'));
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^error: The model folder .*missing does not exist/m);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
