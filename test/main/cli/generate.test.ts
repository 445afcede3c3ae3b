// The generate command as a user runs it: files, metadata, progress, errors.

import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodePng } from '../../../main/engine/io/png.ts';

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

  it('reports a broken model folder without a stack trace', () => {
    const run = generate('--prompt', 'x', '--model', join(dir, 'missing'), '--out', join(dir, 'y.png'));
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^error: The model folder .*missing does not exist/m);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
