// The CLI run each checkpoint family's reference test makes: `npm run generate` on a fixture folder with the
// pipeline's recorded initial noise, uncached and unquantized. Test-only.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodePng } from '../../main/engine/io/png.ts';

export interface ReferenceRun {
  readonly steps: number;
  readonly guidance: number;
  readonly width: number;
  readonly height: number;
}

/** `generate --model DIR --noise DIR/noise.safetensors --prompt "a red cat" --no-cache --quantize none` at `run`'s settings: what it printed, its exit status and, when it succeeded, the image's RGB bytes. */
export function generateWithCli(dir: string, run: ReferenceRun): { readonly stderr: string; readonly status: number | null; readonly rgb?: Uint8Array } {
  const out = join(mkdtempSync(join(tmpdir(), 'cli-generate-')), 'out.png');
  const cli = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'main/cli/generate.ts', '--model', dir, '--noise', join(dir, 'noise.safetensors'), '--prompt', 'a red cat',
      '--steps', String(run.steps), '--guidance', String(run.guidance), '--width', String(run.width), '--height', String(run.height), '--no-cache', '--quantize', 'none', '--out', out],
    { encoding: 'utf8' },
  );
  return { stderr: cli.stderr, status: cli.status, ...(cli.status === 0 ? { rgb: decodePng(readFileSync(out)).rgb } : {}) };
}
