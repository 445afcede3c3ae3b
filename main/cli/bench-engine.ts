// `npm run bench:engine`: the engine's transformer forward on each backend present against the same model in
// PyTorch eager (training/model.py, same weights, same thread count), at several sizes: ms, GFLOP/s, % of this
// machine's measured GEMM peak and the ratio to PyTorch, from paired rounds; then the first generation in a fresh
// process with an empty MLX cache against a warm one. Last line: one JSON object.

import { spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { MALLOC_TUNABLES, withoutMallocTunables } from '../../scripts/malloc-tunables.mjs';
import { openGenerator } from '../engine/engine.ts';
import type { MxBackend } from '../engine/mlx/backend.ts';
import { describeBackend, loadBackend, type BackendPreference } from '../engine/mlx/load-backend.ts';
import { releaseUnreferencedArrays } from '../engine/mlx/memory.ts';
import { nativeStatus } from '../engine/mlx/native-addon.ts';
import { builtinModelDir, PixelFluxModel } from '../engine/models/pixel-flux/pixel-flux-model.ts';
import { forwardFlops } from '../engine/models/flux/forward-flops.ts';
import { parseCommandLine, runCli, UsageError } from './options.ts';
import { median, round } from './stats.ts';

const USAGE = `Usage: npm run bench:engine -- [--sizes 32,64,128] [--rounds N] [--no-first-run]

Times one CFG forward (batch 2) of the built-in model on each MLX backend
present and in PyTorch eager, alternating them in --rounds rounds (default 7)
of 5 forwards each, and reports medians. PyTorch runs from TEACACHE_PYTHON,
else python3, when it can import torch. Then measures the first generation in a
new process with an empty MLX cache against a warm one (--no-first-run skips it).`;

const PYTHON_VARIABLE = 'TEACACHE_PYTHON';
const FORWARDS_PER_ROUND = 5;
const CFG_BATCH = 2;
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function timeMs(fn: () => void): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

/** GEMM GFLOP/s with every lane busy: the practical peak a forward could reach here. */
async function gemmPeak(mx: MxBackend): Promise<number> {
  const n = 1024;
  const lanes = mx.lanes?.count ?? 1;
  const a = mx.random.normal([n, n], mx.float32, 0, 1, mx.random.key(1));
  mx.eval(a);
  const run = () => {
    const products = Array.from({ length: lanes }, (_, lane) => (mx.lanes ? mx.lanes.run(lane, () => mx.matmul(a, a)) : mx.matmul(a, a)));
    mx.eval(...products);
  };
  run();
  const times: number[] = [];
  for (let i = 0; i < 7; i++) {
    times.push(timeMs(run));
    await releaseUnreferencedArrays();
  }
  return (lanes * 2 * n ** 3) / (median(times) * 1e6);
}

interface EngineForward {
  readonly name: string;
  readonly describe: string;
  run(size: number, count: number): Promise<number[]>;
}

function engineForward(preference: BackendPreference): EngineForward {
  const { mx, info } = loadBackend(preference);
  const model = PixelFluxModel.load(mx, builtinModelDir());
  const text = model.encodeText(['red heart', '']);
  const { patchSize } = model.manifest.image;
  return {
    name: info.name,
    describe: describeBackend(info),
    async run(size, count) {
      const rows = size / patchSize;
      const x = mx.random.normal([1, rows * rows, model.manifest.transformer.inChannels], mx.float32, 0, 1, mx.random.key(size));
      const batch = mx.concatenate([x, x], 0);
      mx.eval(batch);
      const once = () => mx.eval(model.velocity(batch, rows, rows, 0.5, text));
      once();
      const times: number[] = [];
      for (let i = 0; i < count; i++) {
        times.push(timeMs(once));
        // As the sampler does between steps, so each forward finds memory freed.
        await releaseUnreferencedArrays();
      }
      return times;
    },
  };
}

/** A python that imports torch, or why there is none. */
function findTorchPython(): { python: string } | { missing: string } {
  const candidates = [process.env[PYTHON_VARIABLE], 'python3'].filter((c): c is string => !!c);
  for (const python of candidates) {
    const probe = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' });
    if (probe.status === 0) return { python };
  }
  return {
    missing: `no Python with torch (tried ${candidates.join(', ')}). Set ${PYTHON_VARIABLE} to one, e.g.: python3 -m venv .venv && .venv/bin/pip install torch --index-url https://download.pytorch.org/whl/cpu && ${PYTHON_VARIABLE}=.venv/bin/python npm run bench:engine`,
  };
}

class TorchForward {
  private readonly child: ChildProcessByStdio<Writable, Readable, null>;
  private readonly lines: AsyncIterator<string>;

  constructor(python: string, threads: number) {
    this.child = spawn(python, [join(ROOT, 'training', 'bench_forward.py'), '--model', builtinModelDir(), '--threads', String(threads)], {
      cwd: join(ROOT, 'training'),
      // PyTorch as its user would start it: the allocator settings run-cli gives the engine are the engine's own.
      env: withoutMallocTunables(process.env),
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    this.lines = createInterface({ input: this.child.stdout })[Symbol.asyncIterator]();
  }

  async next(): Promise<Record<string, unknown>> {
    const { value, done } = await this.lines.next();
    if (done) throw new Error('The PyTorch benchmark exited early (its error is above).');
    return JSON.parse(value) as Record<string, unknown>;
  }

  async run(size: number, count: number): Promise<number[]> {
    this.child.stdin.write(`${JSON.stringify({ size, batch: CFG_BATCH, repeats: count })}\n`);
    return (await this.next()).ms as number[];
  }

  close(): void {
    this.child.stdin.end();
  }
}

/** First and second generation in this process: run as a child of the bench, with a fresh temp folder. */
async function firstRunChild(): Promise<void> {
  const generator = await openGenerator({});
  const first = await generator.generate({ prompt: 'red heart', seed: 1 });
  const warm = await generator.generate({ prompt: 'red heart', seed: 2 });
  process.stdout.write(`${JSON.stringify({ firstMs: first.wallMs, warmMs: warm.wallMs, backend: describeBackend(generator.backend) })}\n`);
}

function measureFirstRun(): { firstMs: number; warmMs: number; ratio: number } {
  const temp = mkdtempSync(join(tmpdir(), 'teacache-cold-'));
  try {
    // MLX keeps compiled CPU kernels under the temp folder: an empty one is a fresh install's.
    const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--first-run-child'], {
      encoding: 'utf8',
      env: { ...process.env, TMPDIR: temp },
    });
    if (child.status !== 0) throw new Error(`The first-run measurement failed:\n${child.stderr}`);
    const { firstMs, warmMs } = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as { firstMs: number; warmMs: number };
    return { firstMs: round(firstMs, 1), warmMs: round(warmMs, 1), ratio: round(firstMs / warmMs, 3) };
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

function parseSizes(raw: string): number[] {
  const sizes = raw.split(',').map((part) => Number(part.trim()));
  if (sizes.some((size) => !Number.isInteger(size) || size < 8 || size > 128 || size % 4 !== 0)) {
    throw new UsageError(`--sizes expects multiples of 4 from 8 to 128, comma-separated; got "${raw}".`);
  }
  return sizes;
}

async function main(): Promise<void> {
  const { values } = parseCommandLine(process.argv.slice(2), {
    sizes: { type: 'string' },
    rounds: { type: 'string' },
    'no-first-run': { type: 'boolean' },
    'first-run-child': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (values['first-run-child']) return firstRunChild();
  const sizes = parseSizes(values.sizes ?? '32,64,128');
  const rounds = Number(values.rounds ?? 7);
  if (!Number.isInteger(rounds) || rounds < 1) throw new UsageError(`--rounds expects a positive integer, got "${values.rounds}".`);
  const log = (line: string) => process.stderr.write(`${line}\n`);

  const engines = [engineForward('npm')];
  const native = nativeStatus();
  if (native.available) engines.push(engineForward('native'));
  else log(`native/: not measured (${native.reason.split('\n')[0]}; npm run build:native builds it)`);
  for (const engine of engines) log(`engine: ${engine.describe}`);
  const allocator = process.platform !== 'linux' ? 'system' : process.env.GLIBC_TUNABLES?.includes(MALLOC_TUNABLES) ? 'glibc, tuned' : 'glibc, as given';
  log(`allocator: ${allocator}${allocator === 'glibc, tuned' ? ` (${MALLOC_TUNABLES}; scripts/malloc-tunables.mjs says why; PyTorch runs without it)` : ''}`);

  const threads = availableParallelism();
  const found = findTorchPython();
  const torch = 'python' in found ? new TorchForward(found.python, threads) : undefined;
  if (torch) log(`pytorch: ${JSON.stringify(await torch.next())} from ${'python' in found ? found.python : ''}`);
  else log(`pytorch: not measured, ${'missing' in found ? found.missing : ''}`);

  const peak = await gemmPeak(loadBackend('npm').mx);
  log(`GEMM peak (1024², ${threads} cores): ${peak.toFixed(0)} GFLOP/s`);

  const config = PixelFluxModel.load(loadBackend('npm').mx, builtinModelDir()).manifest;
  const results = [];
  for (const size of sizes) {
    const rows = size / config.image.patchSize;
    const flops = forwardFlops(config.transformer, rows * rows, config.textEncoder.maxTokens, CFG_BATCH);
    const perRound: Record<string, number[]> = {};
    const ratios: Record<string, number[]> = {};
    for (let round = 0; round < rounds; round++) {
      // Alternate who goes first so drift on this shared machine falls on both alike.
      const torchMs = torch && round % 2 === 1 ? median(await torch.run(size, FORWARDS_PER_ROUND)) : undefined;
      const engineMs = new Map<string, number>();
      for (const engine of engines) engineMs.set(engine.name, median(await engine.run(size, FORWARDS_PER_ROUND)));
      const pairedTorch = torchMs ?? (torch ? median(await torch.run(size, FORWARDS_PER_ROUND)) : undefined);
      for (const [name, ms] of engineMs) {
        (perRound[name] ??= []).push(ms);
        if (pairedTorch !== undefined) (ratios[name] ??= []).push(ms / pairedTorch);
      }
      if (pairedTorch !== undefined) (perRound.pytorch ??= []).push(pairedTorch);
    }
    const row = Object.fromEntries(
      Object.entries(perRound).map(([name, times]) => {
        const ms = median(times);
        const gflops = flops / (ms * 1e6);
        return [name, { ms: round(ms, 2), gflops: round(gflops, 1), percentOfPeak: round((100 * gflops) / peak, 1), ...(ratios[name] ? { ratioToPytorch: round(median(ratios[name]), 2) } : {}) }];
      }),
    );
    results.push({ size, gflop: round(flops / 1e9, 3), ...row });
    const cells = Object.entries(row).map(([name, f]) => `${name} ${f.ms} ms, ${f.gflops} GFLOP/s (${f.percentOfPeak}% of peak)${'ratioToPytorch' in f ? `, ×${f.ratioToPytorch} PyTorch` : ''}`);
    process.stdout.write(`${size} px (${round(flops / 1e9, 3)} GFLOP): ${cells.join('; ')}\n`);
  }
  torch?.close();

  const firstRun = values['no-first-run'] ? undefined : measureFirstRun();
  if (firstRun) process.stdout.write(`first generation after install ${firstRun.firstMs} ms, warm ${firstRun.warmMs} ms: ×${firstRun.ratio}\n`);
  process.stdout.write(
    `${JSON.stringify({ threads, allocator, gemmPeakGflops: round(peak, 1), forwardsPerRound: FORWARDS_PER_ROUND, rounds, sizes: results, ...(firstRun ? { firstRun } : {}), ...(torch ? {} : { pytorch: 'missing' }) })}\n`,
  );
}

await runCli(main, USAGE);
