// The contract adapter routes broadcast job events to the right run, even ones that beat generate()'s reply.

import { describe, expect, it } from 'vitest';
import type { EventName, EventPayload, StudioApi } from '../../../main/core/contract.ts';
import { createBackend } from '../../../renderer/lib/backend.ts';
import type { JobCallbacks, StepEvent } from '../../../renderer/lib/types.ts';
import { entry, flush, stepEvent } from '../fixtures.ts';

/** A StudioApi whose events the test emits by hand and whose generate() answers when told. */
function fakeApi() {
  const listeners = new Map<EventName, Set<(payload: never) => void>>();
  const on =
    <K extends EventName>(name: K) =>
    (listener: (payload: EventPayload<K>) => void) => {
      const set = listeners.get(name) ?? new Set();
      listeners.set(name, set);
      set.add(listener as (payload: never) => void);
      return () => void set.delete(listener as (payload: never) => void);
    };
  let answer: (jobId: string) => void = () => {};
  const calls: string[] = [];
  const api = {
    getInfo: async () => ({
      backend: { name: 'npm', package: '@frost-beta/mlx', version: '0.0.7', device: 'cpu' },
      model: { id: 'm', name: 'Model', trained: true, notes: [], guidanceEmbedded: false, sizeMultiple: 4, maxSize: 128, defaults: { steps: 30, width: 32, height: 32, guidanceScale: 4, shift: false, teacache: { threshold: 0.1, rescaleFactor: 1 } } },
    }),
    generate: () => new Promise<{ jobId: string }>((resolve) => (answer = (jobId) => resolve({ jobId }))),
    generateBaseline: async (runId: string) => ({ jobId: `base-of-${runId}` }),
    generateFewerSteps: async (runId: string) => ({ jobId: `fewer-of-${runId}`, steps: 7 }),
    cancel: async (jobId: string) => {
      calls.push(`cancel ${jobId}`);
      return { cancelled: true };
    },
    listJobs: async () => ({ jobs: [] }),
    listHistory: async () => ({ entries: [entry('run1')], more: false }),
    getImage: async (id: string) => {
      calls.push(`image ${id}`);
      return { width: 32, height: 32, dataUrl: `data:image/png;base64,${id}` };
    },
    deleteRun: async () => ({ deleted: true }),
    compare: async (id: string) => ({ id, against: 'b', psnr: 'identical' as const, maxDifference: 0, meanDifference: 0, difference: { width: 32, height: 32, dataUrl: 'data:image/png;base64,d' } }),
    onJobQueued: on('jobQueued'),
    onJobStarted: on('jobStarted'),
    onSteps: on('steps'),
    onPreview: on('preview'),
    onJobDone: on('jobDone'),
    onJobFailed: on('jobFailed'),
    onHistoryChanged: on('historyChanged'),
    getModelSource: async () => ({ kind: 'builtin' as const, dir: null, note: null }),
    setModelFolder: async (dir: string | null) => {
      calls.push(`setModelFolder ${dir}`);
      return dir === '/bad'
        ? { accepted: false, problems: [{ path: '/bad/vae', message: 'missing' }], source: { kind: 'builtin' as const, dir: null, note: null } }
        : { accepted: true, problems: [], source: { kind: 'folder' as const, dir, note: null } };
    },
    onModelChanged: on('modelChanged'),
    calibrate: async (request = {}) => {
      calls.push(`calibrate ${JSON.stringify(request)}`);
      return { jobId: 'cal-1' };
    },
    onCalibrationQueued: on('calibrationQueued'),
    onCalibrationProgress: on('calibrationProgress'),
    onCalibrationDone: on('calibrationDone'),
    onCalibrationFailed: on('calibrationFailed'),
    onConnectionChange: () => () => {},
  } satisfies StudioApi;
  const emit = <K extends EventName>(name: K, payload: EventPayload<K>) => listeners.get(name)?.forEach((l) => (l as (p: EventPayload<K>) => void)(payload));
  return { api, emit, answer: (jobId: string) => answer(jobId), calls };
}

function recorder() {
  const steps: StepEvent[] = [];
  const previews: number[] = [];
  const callbacks: JobCallbacks = { onSteps: (events) => steps.push(...events), onPreview: (index) => previews.push(index) };
  return { steps, previews, callbacks };
}

describe('createBackend', () => {
  it('replays events that arrived before generate() named the job, then streams the rest', async () => {
    const { api, emit, answer } = fakeApi();
    const backend = createBackend(api);
    const { steps, previews, callbacks } = recorder();
    const handle = backend.generate({ prompt: 'x', seed: 1 }, callbacks);
    emit('steps', { jobId: 'j1', events: [stepEvent(0, true), stepEvent(1, false)] });
    emit('preview', { jobId: 'j1', index: 1, image: { width: 32, height: 32, dataUrl: 'data:image/png;base64,a' } });
    emit('steps', { jobId: 'other', events: [stepEvent(0, true)] });
    answer('j1');
    const { jobId, finished } = await handle;
    expect(jobId).toBe('j1');
    emit('steps', { jobId: 'j1', events: [stepEvent(2, true)] });
    expect(steps.map((s) => s.index)).toEqual([0, 1, 2]);
    expect(previews).toEqual([1]);
    const done = entry('j1');
    emit('jobDone', { jobId: 'j1', entry: done });
    await expect(finished).resolves.toEqual(done);
  });

  it('settles a job that finished before generate() answered', async () => {
    const { api, emit, answer } = fakeApi();
    const backend = createBackend(api);
    const handle = backend.generate({ prompt: 'x', seed: 1 }, recorder().callbacks);
    emit('jobFailed', { jobId: 'j2', error: { code: 'BAD_REQUEST', message: 'width 30 does not suit', details: { field: 'width' } } });
    answer('j2');
    const { finished } = await handle;
    await expect(finished).rejects.toEqual({ code: 'BAD_REQUEST', message: 'width 30 does not suit', details: { field: 'width' } });
  });

  it('rejects with CANCELLED when the host reports the job cancelled', async () => {
    const { api, emit } = fakeApi();
    const backend = createBackend(api);
    const { finished } = await backend.generateBaseline('run1', recorder().callbacks);
    emit('jobFailed', { jobId: 'base-of-run1', error: { code: 'CANCELLED', message: 'The generation was cancelled.' } });
    await expect(finished).rejects.toMatchObject({ code: 'CANCELLED' });
  });

  it('turns the contract’s model info into what resolveRequest needs', async () => {
    const model = await createBackend(fakeApi().api).model();
    expect(model.defaults.steps).toBe(30);
    expect(model.info.sizeMultiple).toBe(4);
    expect(model.backendLabel).toBe('@frost-beta/mlx 0.0.7 · CPU');
    expect(model.calibration).toBeNull();
  });

  it('fetches a run’s image once and keeps it', async () => {
    const { api, calls } = fakeApi();
    const backend = createBackend(api);
    const [a, b] = await Promise.all([backend.image('run1'), backend.image('run1')]);
    await flush();
    expect(a).toEqual({ width: 32, height: 32, src: 'data:image/png;base64,run1' });
    expect(b).toBe(a);
    expect(calls.filter((c) => c.startsWith('image'))).toEqual(['image run1']);
  });
});

describe('createBackend model folders', () => {
  it('passes folder switches and their refusals through, and model-changed events as their source', async () => {
    const { api, emit, calls } = fakeApi();
    const backend = createBackend(api);
    expect(backend.pickModelFolder).toBeUndefined();
    expect(await backend.modelSource()).toEqual({ kind: 'builtin', dir: null, note: null });
    expect(await backend.setModelFolder('/bad')).toMatchObject({ accepted: false, problems: [{ path: '/bad/vae', message: 'missing' }] });
    expect(calls).toContain('setModelFolder /bad');
    const seen: unknown[] = [];
    const stop = backend.onModelChanged((source) => seen.push(source));
    emit('modelChanged', { source: { kind: 'folder', dir: '/m', note: null } });
    stop();
    emit('modelChanged', { source: { kind: 'builtin', dir: null, note: null } });
    expect(seen).toEqual([{ kind: 'folder', dir: '/m', note: null }]);
  });

  it('offers the native picker only when the transport has one', async () => {
    const { api } = fakeApi();
    const backend = createBackend({ ...api, pickModelFolder: async () => '/picked' });
    expect(await backend.pickModelFolder!()).toBe('/picked');
  });
});

describe('createBackend calibration', () => {
  it('sends calibrate requests and turns the four calibration events into one stream', async () => {
    const { api, emit, calls } = fakeApi();
    const backend = createBackend(api);
    expect(await backend.calibrate({ prompts: ['red apple'], steps: 6 })).toEqual({ jobId: 'cal-1' });
    expect(calls).toContain('calibrate {"prompts":["red apple"],"steps":6}');
    const seen: unknown[] = [];
    const stop = backend.onCalibration((event) => seen.push(event));
    emit('calibrationQueued', { jobId: 'cal-1', request: { prompts: ['red apple'] }, position: 0 });
    emit('calibrationProgress', { jobId: 'cal-1', run: 1, runs: 1, prompt: 'red apple', seed: 1, step: 2, steps: 6 });
    emit('calibrationFailed', { jobId: 'cal-1', error: { code: 'CANCELLED', message: 'stopped' } });
    stop();
    emit('calibrationQueued', { jobId: 'cal-2', request: {}, position: 0 });
    expect(seen).toEqual([
      { type: 'calibrationQueued', jobId: 'cal-1', request: { prompts: ['red apple'] }, position: 0 },
      { type: 'calibrationProgress', jobId: 'cal-1', run: 1, runs: 1, prompt: 'red apple', seed: 1, step: 2, steps: 6 },
      { type: 'calibrationFailed', jobId: 'cal-1', error: { code: 'CANCELLED', message: 'stopped' } },
    ]);
  });
});

describe('queued jobs and saving', () => {
  it('keeps a queued job’s events until attach() follows it, and says when the queue changes', async () => {
    const { api, emit, answer } = fakeApi();
    const backend = createBackend(api);
    let changes = 0;
    const stop = backend.onJobsChanged(() => changes++);
    const queued = backend.enqueue({ prompt: 'x', seed: 2 });
    answer('q1');
    expect(await queued).toBe('q1');
    emit('jobQueued', { jobId: 'q1', request: { prompt: 'x', seed: 2 }, baselineOf: null, position: 1 });
    emit('steps', { jobId: 'q1', events: [stepEvent(0, true)] });
    emit('jobDone', { jobId: 'other', entry: entry('other') });
    expect(changes).toBe(2);
    const { steps, callbacks } = recorder();
    backend.attach('q1', callbacks);
    expect(steps.map((s) => s.index)).toEqual([0]);
    stop();
    emit('jobQueued', { jobId: 'q2', request: { prompt: 'x', seed: 3 }, baselineOf: null, position: 2 });
    expect(changes).toBe(2);
  });

  it('offers the native save only where the transport has it', async () => {
    const { api } = fakeApi();
    expect(createBackend(api).saveImage).toBeUndefined();
    const saved: unknown[] = [];
    const withSave = createBackend({ ...api, saveImage: async (input) => (saved.push(input), '/tmp/x.png') });
    expect(await withSave.saveImage!('run1', 'x-seed-1.png')).toBe('/tmp/x.png');
    expect(saved).toEqual([{ id: 'run1', fileName: 'x-seed-1.png' }]);
  });
});
