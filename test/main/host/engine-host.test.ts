// EngineHost against the real engine on a worker thread: events and stats agree, the main event loop keeps
// turning during a generation, queue order, cancel, surviving a worker crash, rejecting malformed messages,
// switching the model (refused while busy; otherwise a fresh worker on the new folder), and calibration (queued
// with generations, progress batched, the fit saved and in force at once, cancel and read-only folders).

import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calibrationPath, readCalibrationFile } from '../../../main/engine/calibration/calibration-file.ts';
import { LANES_VARIABLE } from '../../../main/engine/mlx/load-backend.ts';
import { builtinModelDir } from '../../../main/engine/models/pixel-flux/pixel-flux-model.ts';
import { EngineHost, type HostEvent } from '../../../main/host/engine-host.ts';
import { StudioError, type CalibrationSummary } from '../../../main/core/contract.ts';

const small = { prompt: 'red heart', seed: 3, steps: 6, width: 32, height: 32 } as const;

/** Collects a host's events until the returned stop() is called. */
function record(host: EngineHost): { events: HostEvent[]; stop: () => void } {
  const events: HostEvent[] = [];
  const stop = host.on((event) => events.push(event));
  return { events, stop };
}

async function rejection(promise: Promise<unknown>): Promise<StudioError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(StudioError);
    return error as StudioError;
  }
  throw new Error('expected the job to fail');
}

/** Resolves at the first event that matches. */
function waitFor(host: EngineHost, match: (event: HostEvent) => boolean): Promise<HostEvent> {
  return new Promise((resolve) => {
    const stop = host.on((event) => {
      if (match(event)) {
        stop();
        resolve(event);
      }
    });
  });
}

describe('EngineHost with the real engine', () => {
  let host: EngineHost;
  beforeAll(async () => {
    host = new EngineHost({ testHooks: true, previewIntervalMs: 0 });
    await host.info();
  });
  afterAll(() => host.close());

  it('reports the backend and the model with its defaults', async () => {
    const info = await host.info();
    expect(info.backend.package.length).toBeGreaterThan(0);
    expect(info.model.sizeMultiple).toBeGreaterThan(0);
    expect(info.model.defaults.steps).toBeGreaterThan(0);
  });

  it('streams every step, in order, in batches, and the stats match the steps it reported', async () => {
    const { events, stop } = record(host);
    const job = host.submit(small);
    const result = await job.done;
    stop();
    const mine = events.filter((event) => event.jobId === job.jobId);
    expect(mine[0]?.type).toBe('jobQueued');
    expect(mine[1]?.type).toBe('jobStarted');
    expect(mine.at(-1)?.type).toBe('result');
    const steps = mine.flatMap((event) => (event.type === 'steps' ? event.events : []));
    expect(steps.map((step) => step.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(steps.filter((step) => step.computed).length).toBe(result.stats.misses);
    expect(steps.filter((step) => !step.computed).length).toBe(result.stats.hits);
    expect(result.events).toEqual(steps);
    // With previews after every step but the last, the UI sees the image form.
    expect(mine.filter((event) => event.type === 'preview').length).toBe(5);
    // The PNG carries its parameters.
    expect(Buffer.from(result.png).includes(Buffer.from('parameters'))).toBe(true);
  });

  // Under `nice -n 10` or more the host's thread is already where the worker would go, and there is nothing to see.
  it.runIf(process.platform === 'linux' && getPriority(0) < 10)('runs the engine at a lower priority than the thread that hosts it, MLX and BLAS threads included', async () => {
    await host.submit({ ...small, steps: 2 }).done;
    const niceOf = (tid: string) => {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      // Fields after the parenthesised name, counted from the state (field 3): nice is field 19.
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
    };
    const nices = readdirSync('/proc/self/task').map(niceOf);
    expect(niceOf(String(process.pid))).toBeLessThan(10);
    // The worker's own thread, MLX's stream threads (one per lane) and OpenBLAS's: at least the worker and one more.
    expect(nices.filter((nice) => nice === 10).length).toBeGreaterThanOrEqual(2);
    expect(Math.max(...nices)).toBe(10);
  });

  it('keeps the main event loop turning while the worker generates', async () => {
    let ticks = 0;
    const stepsSeenAtTick: number[] = [];
    let stepsSeen = 0;
    const stop = host.on((event) => {
      if (event.type === 'steps') stepsSeen += event.events.length;
    });
    const timer = setInterval(() => {
      ticks++;
      stepsSeenAtTick.push(stepsSeen);
    }, 5);
    const job = host.submit({ ...small, steps: 12, cache: { enabled: false } });
    await job.done;
    clearInterval(timer);
    stop();
    console.log(`main-thread timer ticks during a 12-step generation: ${ticks}`);
    // Ticks fired while steps were still arriving: some tick saw part of the run but not all of it.
    expect(stepsSeenAtTick.some((seen) => seen > 0 && seen < 12)).toBe(true);
    expect(ticks).toBeGreaterThan(1);
  });

  it('runs jobs in the order they were queued, and cancels a queued one without running it', async () => {
    const { events, stop } = record(host);
    const a = host.submit({ ...small, steps: 2 });
    const b = host.submit({ ...small, steps: 2 });
    const c = host.submit({ ...small, steps: 2 });
    expect(host.jobs().map((job) => job.jobId)).toEqual([a.jobId, b.jobId, c.jobId]);
    expect(host.cancel(b.jobId)).toBe(true);
    expect((await rejection(b.done)).code).toBe('CANCELLED');
    await Promise.all([a.done, c.done]);
    stop();
    const started = events.filter((event) => event.type === 'jobStarted').map((event) => event.jobId);
    expect(started).toEqual([a.jobId, c.jobId]);
    const done = events.filter((event) => event.type === 'result').map((event) => event.jobId);
    expect(done).toEqual([a.jobId, c.jobId]);
    expect(host.cancel(a.jobId)).toBe(false);
  });

  it('cancels a running job at the next step boundary with CANCELLED, and runs the next job normally', async () => {
    const { events, stop } = record(host);
    const long = host.submit({ ...small, steps: 200, cache: { enabled: false } });
    await waitFor(host, (event) => event.type === 'steps' && event.jobId === long.jobId);
    expect(host.cancel(long.jobId)).toBe(true);
    const error = await rejection(long.done);
    expect(error.code).toBe('CANCELLED');
    const stepsRun = events.flatMap((event) => (event.type === 'steps' && event.jobId === long.jobId ? event.events : [])).length;
    expect(stepsRun).toBeLessThan(200);
    expect(events.at(-1)).toMatchObject({ type: 'jobFailed', jobId: long.jobId, error: { code: 'CANCELLED' } });
    stop();
    const after = await host.submit({ ...small, steps: 2 }).done;
    expect(after.stats.hits + after.stats.misses).toBe(2);
  });

  it('rejects a request the model cannot serve with BAD_REQUEST', async () => {
    const info = await host.info();
    const error = await rejection(host.submit({ ...small, width: info.model.maxSize + info.model.sizeMultiple }).done);
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toMatch(/multiple of/);
  });

  it('refuses a request that does not fit the schema before queueing it', () => {
    let thrown: unknown;
    try {
      host.submit({ ...small, steps: -1 });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(StudioError);
    expect((thrown as StudioError).code).toBe('INVALID_PAYLOAD');
    expect((thrown as StudioError).message).toMatch(/steps/);
    expect(host.jobs()).toEqual([]);
  });
});

describe('EngineHost when the worker dies', () => {
  it('rejects the job in flight with WORKER_CRASHED, starts a fresh worker and keeps serving', async () => {
    const host = new EngineHost({ testHooks: true });
    try {
      await host.info();
      const doomed = host.submit({ ...small, steps: 200, cache: { enabled: false } });
      const queued = host.submit({ ...small, steps: 3 });
      await waitFor(host, (event) => event.type === 'steps' && event.jobId === doomed.jobId);
      host.crashWorkerForTest(70);
      const error = await rejection(doomed.done);
      expect(error.code).toBe('WORKER_CRASHED');
      expect(error.message).toMatch(/exited with code 70/);
      // The job behind it runs on the fresh worker.
      const result = await queued.done;
      expect(result.stats.hits + result.stats.misses).toBe(3);
      expect(host.workersStarted).toBe(2);
      expect((await host.info()).model.id).toBeTruthy();
    } finally {
      await host.close();
    }
  });
});

describe('two EngineHosts in one process', () => {
  it('gives CPU lanes to the first engine only, and both generate side by side without stalling each other', async () => {
    // Lanes switch MLX's process-wide default stream: two engines doing so at once stalled past the test timeout.
    // Both ask for two lanes (workers copy this process's environment as they start).
    const asked = process.env[LANES_VARIABLE];
    process.env[LANES_VARIABLE] = '2';
    const hosts = [new EngineHost(), new EngineHost()];
    try {
      const infos = await Promise.all(hosts.map((each) => each.info()));
      const cpu = infos[0]!.backend.device === 'cpu';
      expect(infos.map((info) => info.backend.lanes ?? 1)).toEqual([cpu ? Math.min(2, availableParallelism()) : 1, 1]);
      const request = { ...small, steps: 12, width: 64, height: 64 };
      const [first, second] = await Promise.all(hosts.map((each) => each.submit(request).done));
      // Lanes change where the work runs, never its result.
      expect(first!.stats).toEqual(second!.stats);
    } finally {
      await Promise.all(hosts.map((each) => each.close()));
      if (asked === undefined) delete process.env[LANES_VARIABLE];
      else process.env[LANES_VARIABLE] = asked;
    }
  });
});

describe('EngineHost checks what the worker sends', () => {
  it('ends the job with INTERNAL when a message does not fit the protocol', async () => {
    const host = new EngineHost({ workerUrl: new URL('./fixtures/malformed-worker.ts', import.meta.url) });
    try {
      expect((await host.info()).model.id).toBe('fake');
      const events: HostEvent[] = [];
      host.on((event) => events.push(event));
      const error = await rejection(host.submit({ prompt: 'x', seed: 1 }).done);
      expect(error.code).toBe('INTERNAL');
      expect(error.message).toMatch(/malformed/);
      expect(events.some((event) => event.type === 'steps')).toBe(false);
    } finally {
      await host.close();
    }
  });
});

describe('EngineHost.switchModel', () => {
  it('refuses while a job is queued or running, then restarts the worker on the new folder once idle', async () => {
    const host = new EngineHost();
    try {
      await host.info();
      const job = host.submit(small);
      const busy = await rejection(host.switchModel('/elsewhere'));
      expect(busy.code).toBe('BAD_REQUEST');
      expect(busy.message).toMatch(/still queued or running.*then switch the model/);
      expect(host.currentModelDir).toBeUndefined();
      await job.done;
      const started = host.workersStarted;
      await host.switchModel('/no/such/model');
      expect(host.workersStarted).toBe(started + 1);
      expect(host.currentModelDir).toBe('/no/such/model');
      // The new worker really loads that folder: it says the folder is missing.
      const failed = await rejection(host.info());
      expect(failed.message).toContain('/no/such/model');
    } finally {
      await host.close();
    }
  });
});

describe('EngineHost.calibrate on the built-in model', () => {
  let dataDir: string;
  let host: EngineHost;
  // One prompt of 21 steps: the 20 step pairs a degree-4 fit needs at least.
  const tiny = { prompts: ['red apple'], steps: 21 };
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'teacache-host-calibration-'));
    host = new EngineHost({ calibrationDir: dataDir });
    await host.info();
  });
  afterAll(async () => {
    await host.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** The calibration saved in the data folder and in force, made now unless an earlier case already saved one. */
  async function savedCalibration(): Promise<CalibrationSummary> {
    const inForce = (await host.info()).model.calibration;
    if (inForce?.location === 'user-data') return inForce;
    await host.calibrate(tiny).done;
    return (await host.info()).model.calibration!;
  }

  it('reports progress, saves the fit in the data folder and puts it in force for the next teacache run', async () => {
    const builtinFile = calibrationPath(builtinModelDir());
    const builtinBefore = existsSync(builtinFile) ? readFileSync(builtinFile, 'utf8') : null;
    const { events, stop } = record(host);
    const job = host.calibrate(tiny);
    const result = await job.done;
    stop();
    const mine = events.filter((event) => event.jobId === job.jobId);
    expect(mine[0]).toMatchObject({ type: 'calibrationQueued', request: tiny, position: 0 });
    expect(mine.at(-1)).toEqual({ type: 'calibrationDone', jobId: job.jobId, result });
    const progress = mine.flatMap((event) => (event.type === 'calibrationProgress' ? [event] : []));
    expect(progress.length).toBeGreaterThan(0);
    // Never more than one event per step (several may fold into one), and the last says the run finished.
    expect(progress.length).toBeLessThanOrEqual(22);
    expect(progress.at(-1)).toEqual({ type: 'calibrationProgress', jobId: job.jobId, run: 1, runs: 1, prompt: 'red apple', seed: 1, step: 21, steps: 21 });
    expect(events.some((event) => event.type === 'steps' || event.type === 'jobFailed')).toBe(false);

    expect(result.coefficients).toHaveLength(5);
    expect(result.coefficients.every(Number.isFinite)).toBe(true);
    expect(result.fit.samples).toBe(20);
    expect(result.flux1.relativeError).toBeGreaterThanOrEqual(0);
    expect(result.runs).toMatchObject({ prompts: ['red apple'], seeds: [1], steps: 21 });
    // The built-in model's folder ships inside the app: never written, whatever its permissions.
    expect(result.location).toBe('user-data');
    expect(result.file.startsWith(dataDir)).toBe(true);
    expect(readCalibrationFile(result.file).coefficients).toEqual(result.coefficients);
    expect(existsSync(builtinFile) ? readFileSync(builtinFile, 'utf8') : null).toBe(builtinBefore);

    const info = await host.info();
    expect(info.model.defaults.teacache.coefficients).toEqual(result.coefficients);
    expect(info.model.calibration).toMatchObject({ file: result.file, location: 'user-data', coefficients: result.coefficients });
    expect(result.model).toEqual(info.model);
    const run = await host.submit({ ...small, cache: { policy: 'teacache' } }).done;
    expect(run.request.cache.coefficients).toEqual(result.coefficients);
  });

  it('finds the saved calibration again when a fresh engine loads the model', async () => {
    const saved = await savedCalibration();
    const fresh = new EngineHost({ calibrationDir: dataDir });
    const other = new EngineHost({ calibrationDir: join(dataDir, 'elsewhere') });
    try {
      const [reloaded, elsewhere] = await Promise.all([fresh.info(), other.info()]);
      expect(reloaded.model.calibration).toEqual(saved);
      expect(reloaded.model.defaults.teacache.coefficients).toEqual(saved.coefficients);
      // Another data folder knows nothing of it: at most the model folder's own calibration applies there.
      expect(elsewhere.model.calibration?.location ?? 'model-folder').toBe('model-folder');
      expect(elsewhere.model.defaults.teacache.coefficients).not.toEqual(saved.coefficients);
    } finally {
      await Promise.all([fresh.close(), other.close()]);
    }
  });

  it('never runs beside a generation: jobs run in the order queued', async () => {
    const { events, stop } = record(host);
    const before = host.submit({ ...small, steps: 3 });
    const calibration = host.calibrate(tiny);
    const after = host.submit({ ...small, steps: 3 });
    expect(host.jobs().map((job) => job.jobId)).toEqual([before.jobId, after.jobId]);
    await Promise.all([before.done, calibration.done, after.done]);
    stop();
    const order = events.filter((event) => ['jobStarted', 'result', 'calibrationProgress', 'calibrationDone'].includes(event.type)).map((event) => `${event.type}:${event.jobId}`);
    const first = (type: string, jobId: string) => order.indexOf(`${type}:${jobId}`);
    const last = (type: string, jobId: string) => order.lastIndexOf(`${type}:${jobId}`);
    expect(first('calibrationProgress', calibration.jobId)).toBeGreaterThan(first('result', before.jobId));
    expect(first('jobStarted', after.jobId)).toBeGreaterThan(last('calibrationProgress', calibration.jobId));
    expect(first('jobStarted', after.jobId)).toBeGreaterThan(first('calibrationDone', calibration.jobId));
  });

  it('cancels at a step boundary with CANCELLED and leaves the earlier calibration on disk and in force', async () => {
    const earlier = await savedCalibration();
    const bytes = readFileSync(earlier.file);
    const long = host.calibrate({ prompts: ['blue fish', 'green tree', 'pink flower'], steps: 60 });
    await waitFor(host, (event) => event.type === 'calibrationProgress' && event.jobId === long.jobId && event.step >= 1);
    expect(host.cancel(long.jobId)).toBe(true);
    const error = await rejection(long.done);
    expect(error.code).toBe('CANCELLED');
    expect(error.message).toMatch(/calibration was cancelled/);
    expect(readFileSync(earlier.file)).toEqual(bytes);
    expect(readdirSync(dataDir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    const info = await host.info();
    expect(info.model.calibration).toEqual(earlier);
    const run = await host.submit({ ...small, steps: 3, cache: { policy: 'teacache' } }).done;
    expect(run.request.cache.coefficients).toEqual(earlier.coefficients);
  });

  it('cancels a queued calibration without running it', async () => {
    const blocker = host.submit({ ...small, steps: 3 });
    const queued = host.calibrate(tiny);
    expect(host.cancel(queued.jobId)).toBe(true);
    const error = await rejection(queued.done);
    expect(error.code).toBe('CANCELLED');
    expect(error.message).toMatch(/calibration was cancelled before it started/);
    await blocker.done;
  });

  it('refuses a malformed calibration request before queueing it', () => {
    const thrown = (() => {
      try {
        host.calibrate({ prompts: [], steps: 21 });
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(thrown).toBeInstanceOf(StudioError);
    expect((thrown as StudioError).code).toBe('INVALID_PAYLOAD');
    expect((thrown as StudioError).message).toMatch(/prompts/);
  });
});

/** Makes `dir` refuse new files even to root (which ignores permission bits): chmod, and chattr +i where it works. */
function makeReadOnly(dir: string): () => void {
  chmodSync(dir, 0o555);
  const immutable = process.getuid?.() === 0 && spawnSync('chattr', ['+i', dir]).status === 0;
  return () => {
    if (immutable) spawnSync('chattr', ['-i', dir]);
    chmodSync(dir, 0o755);
  };
}

function canWrite(dir: string): boolean {
  const probe = join(dir, '.probe');
  try {
    writeFileSync(probe, '');
    rmSync(probe);
    return true;
  } catch {
    return false;
  }
}

describe('EngineHost.calibrate on a model folder', () => {
  it('writes a writable folder’s calibration.json, and falls back to the data folder for a read-only one', async () => {
    const root = mkdtempSync(join(tmpdir(), 'teacache-host-folder-'));
    const writable = join(root, 'writable');
    const readOnly = join(root, 'read-only');
    const dataDir = join(root, 'data');
    for (const dir of [writable, readOnly]) {
      mkdirSync(dir);
      for (const name of readdirSync(builtinModelDir()).filter((name) => /\.(json|safetensors)$/.test(name) && name !== 'calibration.json')) {
        copyFileSync(join(builtinModelDir(), name), join(dir, name));
      }
    }
    const restore = makeReadOnly(readOnly);
    const hosts = [new EngineHost({ modelDir: writable, calibrationDir: dataDir }), new EngineHost({ modelDir: readOnly, calibrationDir: dataDir })];
    try {
      expect(canWrite(readOnly)).toBe(false);
      const [inFolder, fellBack] = await Promise.all(hosts.map((host) => host.calibrate({ prompts: ['red apple'], steps: 21 }).done));
      expect(inFolder).toMatchObject({ location: 'model-folder', file: calibrationPath(writable) });
      expect(readCalibrationFile(calibrationPath(writable)).coefficients).toEqual(inFolder!.coefficients);
      expect(fellBack!.location).toBe('user-data');
      expect(fellBack!.file.startsWith(dataDir)).toBe(true);
      expect(existsSync(calibrationPath(readOnly))).toBe(false);
      // A fresh engine on the read-only folder finds it in the data folder.
      await hosts[1]!.switchModel(readOnly);
      expect((await hosts[1]!.info()).model.calibration).toMatchObject({ file: fellBack!.file, coefficients: fellBack!.coefficients });
    } finally {
      await Promise.all(hosts.map((host) => host.close()));
      restore();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
