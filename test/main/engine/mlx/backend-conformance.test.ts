// One conformance suite for every MLX backend present: the same op-level
// checks (shapes, dtypes and values against known results) run on the npm
// package always and on the native addon when it is built, and the two must
// draw the same image from the same seed. Prints which backends ran and why
// one was skipped; TEACACHE_REQUIRE_NATIVE=1 turns a missing addon into a failure.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { openGenerator } from '../../../../main/engine/engine.ts';
import { missingOps, type LoadedBackend, type MxArray, type MxBackend } from '../../../../main/engine/mlx/backend.ts';
import { loadNativeBackend, loadNpmBackend } from '../../../../main/engine/mlx/load-backend.ts';
import { nativeStatus, type NativeAddon } from '../../../../main/engine/mlx/native-addon.ts';
import { psnr } from '../../../../main/engine/metrics/psnr.ts';
import { mx as writer } from '../../../support/mlx.ts';

const native = nativeStatus();
const requireNative = process.env.TEACACHE_REQUIRE_NATIVE === '1';
const backends: Array<[string, LoadedBackend]> = [['npm', loadNpmBackend()]];
if (native.available) backends.push(['native', loadNativeBackend()]);

console.log(
  `backend conformance: npm ran; native ${native.available ? `ran (MLX ${native.addon.version}, ${native.addon.device}, ${native.path})` : `skipped: ${native.reason}`}`,
);

const repoRoot = resolve(import.meta.dirname, '../../../..');
const scratch = mkdtempSync(join(tmpdir(), 'mx-conformance-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function flat(value: unknown): unknown[] {
  return Array.isArray(value) ? (value.flat(Infinity) as unknown[]) : [value];
}

/** MxBackend types array() for numbers; both backends take booleans too. */
function bools(...values: boolean[]): number[] {
  return values as unknown as number[];
}

function expectClose(array: MxArray, expected: number[], tolerance = 1e-5): void {
  const actual = flat(array.tolist()) as number[];
  expect(actual).toHaveLength(expected.length);
  actual.forEach((value, i) => expect(Math.abs(value - expected[i]!), `element ${i}: ${value} vs ${expected[i]}`).toBeLessThanOrEqual(tolerance));
}

function maxAbsDiff(a: MxArray, b: MxArray, mx: MxBackend): number {
  return Math.max(...(flat(mx.abs(mx.subtract(a, b)).tolist()) as number[]));
}

describe('the native backend', () => {
  it(native.available ? 'is built and loads' : `is reported unavailable with a reason (${requireNative ? 'required here' : 'optional here'})`, () => {
    if (native.available) {
      expect(native.addon.version).toMatch(/^\d+\.\d+\.\d+/);
      expect(missingOps(native.addon)).toEqual([]);
      return;
    }
    expect(native.reason).toMatch(/^native backend (not built|failed to load): /);
    expect(native.fixes.join('\n')).toMatch(/npm run build:native|MLX/);
    expect(requireNative, `TEACACHE_REQUIRE_NATIVE=1 but ${native.reason}`).toBe(false);
  });
});

describe.each(backends)('%s backend', (name, { mx, info }) => {
  it('reports itself', () => {
    expect(info.name).toBe(name);
    expect(['cpu', 'gpu']).toContain(info.device);
  });

  describe('arrays', () => {
    it('builds from numbers, booleans and nested lists', () => {
      const a = mx.array([[1, 2, 3], [4, 5, 6]]);
      expect(a.shape).toEqual([2, 3]);
      expect(a.ndim).toBe(2);
      expect(a.size).toBe(6);
      expect(a.dtype).toBe(mx.float32);
      expect(a.tolist()).toEqual([[1, 2, 3], [4, 5, 6]]);
      expect(mx.array(2.5).item()).toBe(2.5);
      expect(mx.array(2.5).shape).toEqual([]);
      expect(mx.array(bools(true, false)).tolist()).toEqual([true, false]);
      expect(String(mx.array(bools(true)).dtype)).toBe('bool');
      expect(mx.array([[7]]).item()).toBe(7);
    });

    it('honours the dtype and reads back integers and half floats', () => {
      const ids = mx.array([[1, 2], [3, 40000]], mx.int32);
      expect(ids.dtype).toBe(mx.int32);
      expect(ids.tolist()).toEqual([[1, 2], [3, 40000]]);
      expect(mx.array([1, 2, 255], mx.uint8).tolist()).toEqual([1, 2, 255]);
      expect(mx.array([1.5, -2], mx.bfloat16).tolist()).toEqual([1.5, -2]);
      expect(mx.array(1.3, mx.bfloat16).item()).toBeCloseTo(1.296875, 6);
      expect(mx.float32.size).toBe(4);
      expect(mx.bfloat16.size).toBe(2);
      expect(mx.int32.size).toBe(4);
      expect(String(mx.float16)).toBe('float16');
      expect(mx.ones([2]).astype(mx.bfloat16).dtype).toBe(mx.bfloat16);
    });

    it('rejects ragged lists', () => {
      expect(() => mx.array([[1, 2], [3]] as unknown as number[][])).toThrow();
    });

    it('makes zeros, ones and ranges', () => {
      expect(mx.zeros([2, 2]).tolist()).toEqual([[0, 0], [0, 0]]);
      expect(mx.ones([3], mx.int32).dtype).toBe(mx.int32);
      expect(mx.ones([3]).tolist()).toEqual([1, 1, 1]);
      expect(mx.arange(5).tolist()).toEqual([0, 1, 2, 3, 4]);
      expect(mx.arange(5).dtype).toBe(mx.float32);
      expect(mx.arange(1, 2, 0.25).tolist()).toEqual([1, 1.25, 1.5, 1.75]);
      expect(mx.arange(0, 4, 1, mx.int32).dtype).toBe(mx.int32);
    });

    it('reshapes and transposes through methods too', () => {
      const a = mx.arange(6);
      expect(a.reshape(2, 3).shape).toEqual([2, 3]);
      expect(a.reshape([3, 2]).shape).toEqual([3, 2]);
      expect(a.reshape(2, 3).T.tolist()).toEqual([[0, 3], [1, 4], [2, 5]]);
      expect(mx.zeros([2, 3, 4]).transpose(2, 0, 1).shape).toEqual([4, 2, 3]);
      expect(mx.zeros([2, 3, 4]).transpose([1, 0, 2]).shape).toEqual([3, 2, 4]);
    });
  });

  describe('arithmetic', () => {
    const a = () => mx.array([[1, 2], [3, 4]]);

    it('adds, subtracts, multiplies and divides with broadcasting and scalars', () => {
      expect(mx.add(a(), mx.array([10, 20])).tolist()).toEqual([[11, 22], [13, 24]]);
      expect(mx.subtract(1, a()).tolist()).toEqual([[0, -1], [-2, -3]]);
      expect(mx.multiply(a(), 2).tolist()).toEqual([[2, 4], [6, 8]]);
      expect(mx.divide(a(), 4).tolist()).toEqual([[0.25, 0.5], [0.75, 1]]);
    });

    it('types bare numbers after the array beside them', () => {
      expect(mx.multiply(mx.array([1, 2], mx.bfloat16), 2).dtype).toBe(mx.bfloat16);
      expect(mx.subtract(2, mx.array([1], mx.float16)).dtype).toBe(mx.float16);
      expect(mx.add(mx.array([1, 2], mx.int32), 0.5).dtype).toBe(mx.float32);
      expect(mx.add(mx.array([1, 2], mx.int32), 0.5).tolist()).toEqual([1.5, 2.5]);
    });

    it('multiplies matrices; addmm(c, a, b, alpha, beta) = alpha·a@b + beta·c', () => {
      expect(mx.matmul(a(), a()).tolist()).toEqual([[7, 10], [15, 22]]);
      const c = mx.ones([2, 2]);
      expect(mx.addmm(c, a(), a()).tolist()).toEqual([[8, 11], [16, 23]]);
      expect(mx.addmm(c, a(), a(), 2, 3).tolist()).toEqual([[17, 23], [33, 47]]);
    });

    it('applies elementwise functions', () => {
      const x = mx.array([-1, 0, 0.5, 2]);
      expectClose(mx.exp(x), [-1, 0, 0.5, 2].map(Math.exp));
      expectClose(mx.tanh(x), [-1, 0, 0.5, 2].map(Math.tanh));
      expectClose(mx.sigmoid(x), [-1, 0, 0.5, 2].map((v) => 1 / (1 + Math.exp(-v))));
      expect(mx.abs(x).tolist()).toEqual([1, 0, 0.5, 2]);
      expectClose(mx.sqrt(mx.array([4, 2])), [2, Math.SQRT2]);
      expect(mx.square(x).tolist()).toEqual([1, 0, 0.25, 4]);
      expect(mx.clip(mx.array([-1, 0.5, 2]), 0, 1).tolist()).toEqual([0, 0.5, 1]);
    });

    it('reduces over all, one or several axes', () => {
      expect(mx.sum(a()).item()).toBe(10);
      expect(mx.sum(a(), 0).tolist()).toEqual([4, 6]);
      expect(mx.sum(a(), [0, 1], true).shape).toEqual([1, 1]);
      expect(mx.mean(a(), 1).tolist()).toEqual([1.5, 3.5]);
      expect(mx.mean(a(), -1, true).shape).toEqual([2, 1]);
    });

  });

  describe('shapes', () => {
    it('reshapes with numbers, lists and -1', () => {
      const a = mx.arange(6);
      expect(mx.reshape(a, 2, 3).shape).toEqual([2, 3]);
      expect(mx.reshape(a, [3, 2]).shape).toEqual([3, 2]);
      expect(mx.reshape(a, -1, 2).shape).toEqual([3, 2]);
      expect(() => mx.reshape(a, 4, 2)).toThrow();
    });

    it('transposes, expands, concatenates and broadcasts', () => {
      expect(mx.transpose(mx.zeros([2, 3, 4])).shape).toEqual([4, 3, 2]);
      expect(mx.transpose(mx.zeros([2, 3, 4]), 2, 0, 1).shape).toEqual([4, 2, 3]);
      expect(mx.transpose(mx.zeros([2, 3, 4]), [2, 0, 1]).shape).toEqual([4, 2, 3]);
      expect(mx.expandDims(mx.zeros([2, 3]), 0).shape).toEqual([1, 2, 3]);
      expect(mx.expandDims(mx.zeros([2, 3]), [0, 3]).shape).toEqual([1, 2, 3, 1]);
      expect(mx.expandDims(mx.zeros([2, 3]), -1).shape).toEqual([2, 3, 1]);
      const x = mx.array([[1, 2], [3, 4]]);
      expect(mx.concatenate([x, x]).shape).toEqual([8]);
      expect(mx.concatenate([x, x], 0).tolist()).toEqual([[1, 2], [3, 4], [1, 2], [3, 4]]);
      expect(mx.concatenate([x, x], -1).tolist()).toEqual([[1, 2, 1, 2], [3, 4, 3, 4]]);
      expect(mx.broadcastTo(mx.array([1, 2]), [3, 2]).tolist()).toEqual([[1, 2], [1, 2], [1, 2]]);
    });

    it('splits into sections or at indices', () => {
      expect(mx.split(mx.arange(6), 3).map((p) => p.tolist())).toEqual([[0, 1], [2, 3], [4, 5]]);
      expect(mx.split(mx.arange(6), [1, 4]).map((p) => p.tolist())).toEqual([[0], [1, 2, 3], [4, 5]]);
      expect(mx.split(mx.zeros([2, 6]), 2, -1).map((p) => p.shape)).toEqual([[2, 3], [2, 3]]);
      expect(mx.split(mx.zeros([2, 6]), [4], 1).map((p) => p.shape)).toEqual([[2, 4], [2, 2]]);
    });

    it('takes rows by integer indices', () => {
      const table = mx.reshape(mx.arange(0, 10, 1, mx.int32), 5, 2);
      const ids = mx.array([0, 3], mx.int32);
      expect(mx.take(table, ids, 0).tolist()).toEqual([[0, 1], [6, 7]]);
      expect(mx.take(table, ids).tolist()).toEqual([0, 3]);
      expect(mx.take(table, mx.array([[1], [4]], mx.int32), 0).shape).toEqual([2, 1, 2]);
    });
  });

  describe('convolution and quantization', () => {
    it('convolves channels-last with stride and padding', () => {
      const x = mx.ones([1, 4, 4, 2]);
      const w = mx.ones([3, 3, 3, 2]);
      expect(mx.conv2d(x, w).shape).toEqual([1, 2, 2, 3]);
      expect(mx.conv2d(x, w, 1, 1).shape).toEqual([1, 4, 4, 3]);
      expect(mx.conv2d(x, w, [2, 1], [1, 0]).shape).toEqual([1, 2, 2, 3]);
      // A corner with padding 1 sees 2×2 of the 3×3 window over 2 channels.
      expect((mx.conv2d(x, w, 1, 1).tolist() as number[][][][])[0]![0]![0]).toEqual([8, 8, 8]);
      expect((mx.conv2d(x, w).tolist() as number[][][][])[0]![0]![0]).toEqual([18, 18, 18]);
    });

    it('quantizes to [weights, scales, biases] and multiplies close to the float product', () => {
      const w = mx.random.normal([32, 256], mx.float32, 0, 1, mx.random.key(0));
      const [wq, scales, biases] = mx.quantize(w, 64, 4);
      expect(wq.shape).toEqual([32, 32]);
      expect(scales.shape).toEqual([32, 4]);
      expect(biases.shape).toEqual([32, 4]);
      const x = mx.random.normal([2, 256], mx.float32, 0, 1, mx.random.key(1));
      const exact = mx.matmul(x, w.T);
      const approx = mx.quantizedMatmul(x, wq, scales, biases, true, 64, 4);
      expect(approx.shape).toEqual([2, 32]);
      const relative = (mx.divide(mx.sqrt(mx.mean(mx.square(mx.subtract(approx, exact)))), mx.sqrt(mx.mean(mx.square(exact)))).item() as number);
      expect(relative).toBeLessThan(0.15);
    });
  });

  describe('random', () => {
    it('makes threefry keys and splits them', () => {
      expect(mx.random.key(42).tolist()).toEqual([0, 42]);
      expect(mx.random.split(mx.random.key(42)).shape).toEqual([2, 2]);
      expect(mx.random.split(mx.random.key(42), 3).shape).toEqual([3, 2]);
      expect(mx.random.split(mx.random.key(1)).tolist()).toEqual(mx.random.split(mx.random.key(1)).tolist());
    });

    it('draws the same numbers as MLX for a given key', () => {
      // Reference values from @frost-beta/mlx 0.0.7; MLX's generator is stable across releases.
      expectClose(mx.random.normal([3], mx.float32, 0, 1, mx.random.key(42)), [0.1869356483221054, -1.28065025806427, -1.5593127012252808]);
      // The draw depends on the shape, so [2] is not a prefix of [3]; loc and scale apply after.
      expectClose(mx.random.normal([2], mx.float32, 0, 1, mx.random.key(42)), [-2.1698243618011475, 0.4648009240627289]);
      expectClose(mx.random.normal([2], mx.float32, 3, 2, mx.random.key(42)), [3 + 2 * -2.1698243618011475, 3 + 2 * 0.4648009240627289], 1e-5);
      expect(mx.random.normal([2, 3]).shape).toEqual([2, 3]);
    });
  });

  describe('fast', () => {
    it('normalizes by RMS and by mean and variance', () => {
      expectClose(mx.fast.rmsNorm(mx.array([[1, 2, 3]]), mx.ones([3]), 1e-5), [0.46290955, 0.9258191, 1.3887286]);
      expectClose(mx.fast.layerNorm(mx.array([[1, 2, 3]]), null, null, 1e-5), [-1.2247354, 0, 1.2247354]);
      expectClose(mx.fast.layerNorm(mx.array([[1, 2, 3]]), mx.array([1, 2, 3]), mx.array([1, 1, 1]), 1e-5), [-0.22473538, 1, 4.6742063]);
    });

    it('attends like softmax(q·kᵀ·scale + mask)·v', () => {
      const q = mx.random.normal([1, 2, 3, 4], mx.float32, 0, 1, mx.random.key(3));
      const k = mx.random.normal([1, 2, 5, 4], mx.float32, 0, 1, mx.random.key(4));
      const v = mx.random.normal([1, 2, 5, 4], mx.float32, 0, 1, mx.random.key(5));
      const mask = mx.array([[0, 0, 0, -1e9, -1e9]]);
      // The reference softmax from the backend's own exp and sum (scores are small: no need to subtract the max).
      const softmax = (scores: MxArray) => {
        const e = mx.exp(scores);
        return mx.divide(e, mx.sum(e, -1, true));
      };
      const scores = mx.add(mx.multiply(mx.matmul(q, mx.transpose(k, 0, 1, 3, 2)), 0.5), mask);
      const expected = mx.matmul(softmax(scores), v);
      const actual = mx.fast.scaledDotProductAttention(q, k, v, 0.5, mask);
      expect(actual.shape).toEqual([1, 2, 3, 4]);
      expect(maxAbsDiff(actual, expected, mx)).toBeLessThan(1e-5);
      const unmasked = mx.matmul(softmax(mx.multiply(mx.matmul(q, mx.transpose(k, 0, 1, 3, 2)), 0.5)), v);
      expect(maxAbsDiff(mx.fast.scaledDotProductAttention(q, k, v, 0.5), unmasked, mx)).toBeLessThan(1e-5);
    });
  });

  describe('compile', () => {
    it('traces once per shape and gives the uncompiled results', () => {
      expect(mx.compile).toBeTypeOf('function');
      let traces = 0;
      const gelu = mx.compile!((x: MxArray) => {
        traces++;
        return mx.multiply(mx.multiply(x, 0.5), mx.add(mx.tanh(mx.multiply(mx.add(x, mx.multiply(mx.multiply(mx.square(x), x), 0.044715)), 0.7978845608)), 1));
      });
      const reference = (v: number): number => 0.5 * v * (1 + Math.tanh(0.7978845608 * (v + 0.044715 * v ** 3)));
      const values = [-2, -0.5, 0, 1, 3];
      expectClose(gelu(mx.array(values)), values.map(reference), 1e-5);
      expectClose(gelu(mx.multiply(mx.array(values), 2)), values.map((v) => reference(2 * v)), 1e-5);
      gelu(mx.array([7, 8, 9, 10, 11]));
      expect(traces).toBe(1);
      gelu(mx.array([1, 2]));
      expect(traces).toBe(2);
    });
  });

  describe('evaluation and files', () => {
    it('evaluates arrays nested in lists and records', () => {
      const x = mx.add(mx.ones([2]), 1);
      expect(() => mx.eval(x, [x, { y: x }], 3)).not.toThrow();
      expect(x.tolist()).toEqual([2, 2]);
    });

    it('loads a safetensors file as a record, with its dtypes', () => {
      // Written by the npm package (the engine itself never writes weights), read by the backend under test.
      const file = join(scratch, `${name}.safetensors`);
      writer.saveSafetensors(file, { a: writer.array([[1, 2], [3, 4]]), b: writer.array([1.5, 2], writer.bfloat16), c: writer.array([7], writer.int32) }, { note: 'x' });
      const loaded = mx.load(file) as Record<string, MxArray>;
      expect(Object.keys(loaded).sort()).toEqual(['a', 'b', 'c']);
      expect(loaded.a!.tolist()).toEqual([[1, 2], [3, 4]]);
      expect(loaded.b!.dtype).toBe(mx.bfloat16);
      expect(loaded.b!.tolist()).toEqual([1.5, 2]);
      expect(loaded.c!.dtype).toBe(mx.int32);
    });

    it('names the file it cannot open', () => {
      const missing = join(scratch, 'missing.safetensors');
      expect(() => mx.eval(Object.values(mx.load(missing) as Record<string, MxArray>))).toThrow(/missing\.safetensors/);
    });
  });
});

describe.skipIf(!native.available)('native-only behaviour', () => {
  const addon = () => (native as { addon: NativeAddon }).addon;

  it('gives MLX memory back once arrays are garbage collected', async () => {
    const mx = addon();
    const { releaseUnreferencedArrays } = await import('../../../../main/engine/mlx/memory.ts');
    await releaseUnreferencedArrays();
    mx.metal.clearCache();
    const before = mx.metal.getActiveMemory();
    for (let i = 0; i < 50; i++) mx.eval(mx.add(mx.zeros([256, 1024]), i)); // 1 MiB each
    await releaseUnreferencedArrays();
    await releaseUnreferencedArrays();
    expect(mx.metal.getActiveMemory() - before).toBeLessThan(4 * 1024 * 1024);
  });

  it('shares a process with the npm backend when it loads first (key-less random on both)', () => {
    // A fresh process, so the addon really is the first MLX loaded; see loadNpmBinaryFirst.
    const script = `
      const { nativeStatus } = await import('./main/engine/mlx/native-addon.ts');
      const { loadNpmBackend } = await import('./main/engine/mlx/load-backend.ts');
      const native = nativeStatus();
      native.addon.eval(native.addon.random.normal([2]));
      const { mx } = loadNpmBackend();
      mx.eval(mx.random.normal([2]), native.addon.random.normal([2]));
      console.log('both drew');`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: repoRoot, encoding: 'utf8' });
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    expect(child.stdout.trim()).toBe('both drew');
  });

  it('runs in worker threads, each with its own instance, beside the main thread', async () => {
    // The engine runs in a worker_threads Worker; two at once must not share streams or keys.
    const source = `
      const { parentPort, workerData } = require('node:worker_threads');
      const mx = require(workerData);
      let x = mx.random.normal([64, 64], mx.float32, 0, 1, mx.random.key(5));
      for (let i = 0; i < 5; i++) x = mx.tanh(mx.matmul(x, x));
      mx.eval(x);
      parentPort.postMessage(mx.sum(x).item());`;
    const run = () =>
      new Promise<number>((done, fail) => {
        const worker = new Worker(source, { eval: true, workerData: native.path });
        worker.once('message', (value: number) => void worker.terminate().then(() => done(value)));
        worker.once('error', fail);
      });
    const [a, b] = await Promise.all([run(), run()]);
    const mx = addon();
    let x = mx.random.normal([64, 64], mx.float32, 0, 1, mx.random.key(5));
    for (let i = 0; i < 5; i++) x = mx.tanh(mx.matmul(x, x));
    expect(a).toBe(b);
    expect(Math.abs(a - (mx.sum(x).item() as number))).toBeLessThan(1e-3);
  });

  it('says what was wrong with a bad argument', () => {
    const mx = addon();
    expect(() => mx.add(mx.ones([2]), 'x' as unknown as number)).toThrow(/add: argument 2/);
    expect(() => mx.reshape(mx.ones([2]), 'x' as unknown as number)).toThrow(/reshape: argument 2 must be a shape/);
    expect(() => mx.array(mx.ones([2]).tolist() as number[]).item()).toThrow(/exactly one element/);
    expect(() => mx.zeros([2], 'float32' as unknown as never)).toThrow(/dtype such as mx\.float32/);
  });
});

describe.skipIf(!native.available)('native and npm backends agree', () => {
  it('on random normal draws used for noise', () => {
    const npm = loadNpmBackend().mx;
    const mx = loadNativeBackend().mx;
    const a = npm.random.normal([1, 3, 16, 16], npm.float32, 0, 1, npm.random.key(123)).tolist();
    const b = mx.random.normal([1, 3, 16, 16], mx.float32, 0, 1, mx.random.key(123)).tolist();
    const diff = Math.max(...(flat(a) as number[]).map((v, i) => Math.abs(v - (flat(b)[i] as number))));
    expect(diff).toBeLessThan(1e-5);
  });

  // Same request and seed through the built-in model on each backend. The two
  // MLX builds may order float sums differently, so the bar is a tolerance:
  // PSNR ≥ 40 dB and no pixel channel more than 8 levels apart.
  it('on the image the built-in model draws from one seed', async () => {
    const request = { prompt: 'red heart', seed: 1234, steps: 4, width: 32, height: 32 };
    const fromNpm = await (await openGenerator({ backend: 'npm' })).generate(request);
    const fromNative = await (await openGenerator({ backend: 'native' })).generate(request);
    expect(fromNative.backend.name).toBe('native');
    expect(fromNpm.backend.name).toBe('npm');
    expect(fromNative.rgb.length).toBe(fromNpm.rgb.length);
    let worst = 0;
    fromNpm.rgb.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - fromNative.rgb[i]!))));
    const quality = psnr(fromNpm.rgb, fromNative.rgb);
    console.log(`native vs npm image: PSNR ${quality.toFixed(1)} dB, worst channel difference ${worst}`);
    expect(quality).toBeGreaterThanOrEqual(40);
    expect(worst).toBeLessThanOrEqual(8);
  });
});
