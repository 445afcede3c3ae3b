// EngineHost against the real engine on a worker thread: events and stats agree, the main event loop keeps
// turning during a generation, queue order, cancel, surviving a worker crash, rejecting malformed messages, and
// switching the model (refused while busy; otherwise a fresh worker on the new folder).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineHost, type HostEvent } from '../../../main/host/engine-host.ts';
import { StudioError } from '../../../main/ipc/contract.ts';

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
    expect(mine[0]?.type).toBe('queued');
    expect(mine[1]?.type).toBe('started');
    expect(mine.at(-1)?.type).toBe('done');
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
    const started = events.filter((event) => event.type === 'started').map((event) => event.jobId);
    expect(started).toEqual([a.jobId, c.jobId]);
    const done = events.filter((event) => event.type === 'done').map((event) => event.jobId);
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
    expect(events.at(-1)).toMatchObject({ type: 'failed', jobId: long.jobId, error: { code: 'CANCELLED' } });
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
