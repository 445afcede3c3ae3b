// A batch of images with consecutive seeds, followed one after another as the host runs them; the queue as the
// host reports it, and cancelling a queued job. Fake backend.

import { beforeEach, describe, expect, it } from 'vitest';
import { bootStudio, type StudioStore } from '../../../renderer/store/store.ts';
import { MAX_BATCH } from '../../../renderer/store/queue-slice.ts';
import { entry, FakeBackend, flush, loadedStore } from '../fixtures.ts';

let backend: FakeBackend;
let store: StudioStore;

beforeEach(async () => {
  backend = new FakeBackend();
  store = await loadedStore(backend);
});

describe('a batch', () => {
  it('queues N images with consecutive seeds, in order, then follows each as the host starts it', async () => {
    store.getState().setDraft({ seed: 41 });
    store.getState().setBatchCount(3);
    backend.hostJobs = [
      { jobId: 'queued-1', running: true, request: { prompt: 'red heart', seed: 41 }, baselineOf: null },
      { jobId: 'queued-2', running: false, request: { prompt: 'red heart', seed: 42 }, baselineOf: null },
      { jobId: 'queued-3', running: false, request: { prompt: 'red heart', seed: 43 }, baselineOf: null },
    ];
    // Resolves only when the followed runs end; the test drives them.
    void store.getState().generateBatch();
    await flush();
    await flush();
    expect(backend.enqueued.map((r) => (r as { seed: number }).seed)).toEqual([41, 42, 43]);
    expect(store.getState().jobs.map((j) => j.jobId)).toEqual(['queued-1', 'queued-2', 'queued-3']);
    expect(backend.last()).toMatchObject({ kind: 'attach', jobId: 'queued-1' });

    // The first finishes: the host runs the second, and this window follows it without a press.
    backend.hostJobs = backend.hostJobs.slice(1).map((j, i) => ({ ...j, running: i === 0 }));
    backend.last().resolve(entry('queued-1'));
    await flush();
    await flush();
    expect(backend.last()).toMatchObject({ kind: 'attach', jobId: 'queued-2' });
    expect(store.getState().run).toMatchObject({ jobId: 'queued-2' });
  });

  it('keeps the count between 1 and MAX_BATCH, and a count of 1 is a plain Generate', async () => {
    store.getState().setBatchCount(0);
    expect(store.getState().batchCount).toBe(1);
    store.getState().setBatchCount(99);
    expect(store.getState().batchCount).toBe(MAX_BATCH);
    store.getState().setBatchCount(1);
    void store.getState().generateBatch();
    await flush();
    expect(backend.enqueued).toEqual([]);
    expect(backend.last()).toMatchObject({ kind: 'generate' });
  });

  it('cancels a queued job through the host, and the running one through the run', async () => {
    void store.getState().generate();
    await flush();
    const running = backend.last().jobId;
    await store.getState().cancelJob('queued-7');
    expect(backend.cancelled).toEqual(['queued-7']);
    await store.getState().cancelJob(running);
    expect(backend.cancelled).toEqual(['queued-7', running]);
    expect(store.getState().run?.status).toBe('cancelling');
  });

  it('refreshes the queue whenever the host says jobs changed', async () => {
    const stop = bootStudio(store, backend);
    await flush();
    backend.hostJobs = [{ jobId: 'job-5', running: false, request: { prompt: 'x', seed: 1 }, baselineOf: null }];
    backend.emitJobsChanged();
    await flush();
    expect(store.getState().jobs.map((j) => j.jobId)).toEqual(['job-5']);
    stop();
  });
});
