// The studio store with a fake backend: settings, a run's life (stream, cancel, fail), its uncached reference and
// plain-steps run, resuming, history, and switching model folders (refusals kept with their problems, switches
// reloading the model).

import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { StateStorage } from 'zustand/middleware';
import { draftDefaults, toRequest } from '../../../renderer/lib/draft.ts';
import { errorTitle } from '../../../renderer/lib/errors.ts';
import { UNDO_MS } from '../../../renderer/store/history-slice.ts';
import { isActive } from '../../../renderer/store/run-slice.ts';
import { createStudioStore, bootStudio, type StudioStore } from '../../../renderer/store/store.ts';
import { DEFAULT_CACHE_OPTIONS } from '../../support/cache-options.ts';
import { entry, FakeBackend, flush, liveEventsApplied, loadedStore, MODEL, stepEvent } from '../fixtures.ts';

let backend: FakeBackend;
let store: StudioStore;

beforeEach(async () => {
  backend = new FakeBackend();
  store = await loadedStore(backend);
});

/** The built-in model's cache settings as the draft starts from them (skip-early left to the policy). */
const DRAFT_CACHE = { enabled: true, policy: 'seed', threshold: 0.1, rescaleFactor: 1, skipEarlySteps: null, ...DEFAULT_CACHE_OPTIONS };

describe('settings', () => {
  it('starts from the model’s defaults once the model is known', () => {
    expect(store.getState().draft).toEqual(draftDefaults(MODEL));
    expect(store.getState().draft?.cache).toEqual(DRAFT_CACHE);
  });

  it('clamps slider values into their ranges', () => {
    const { setCache, setDraft } = store.getState();
    setCache({ threshold: 7, rescaleFactor: -1, skipEarlySteps: 2.6 });
    setDraft({ steps: 1000, guidanceScale: 0 });
    const draft = store.getState().draft!;
    expect(draft.cache).toMatchObject({ threshold: 1, rescaleFactor: 0, skipEarlySteps: 3 });
    expect(draft.steps).toBe(100);
    expect(draft.guidanceScale).toBe(1);
  });

  it("keeps Z-Image's guidance 0 (CFG off, its Turbo default) through every edit, and clamps below it", async () => {
    backend.modelResult = { ...MODEL, defaults: { ...MODEL.defaults, guidanceScale: 0, guidanceRule: 'z-image' } };
    store = await loadedStore(backend);
    expect(store.getState().draft!.guidanceScale).toBe(0);
    store.getState().setDraft({ prompt: 'blue star' });
    expect(store.getState().draft!.guidanceScale).toBe(0);
    store.getState().setDraft({ guidanceScale: -2 });
    expect(store.getState().draft!.guidanceScale).toBe(0);
  });

  it('resets threshold, rescale, skip-early and options to the model’s defaults but keeps on/off and policy', () => {
    const { setCache, resetCache } = store.getState();
    setCache({ enabled: false, policy: 'timestep-consecutive', threshold: 0.4, rescaleFactor: 2, skipEarlySteps: 9, reuse: 'taylor', accumulate: 'since-compute', endFraction: 0.8, maxConsecutiveReuses: 2, alwaysComputeLast: true });
    resetCache();
    expect(store.getState().draft!.cache).toEqual({ ...DRAFT_CACHE, enabled: false, policy: 'timestep-consecutive' });
  });

  it('forces the last step for the teacache policy, as the original and the engine do, unless the user chose otherwise', () => {
    const { setCache } = store.getState();
    setCache({ policy: 'teacache' });
    expect(store.getState().draft!.cache.alwaysComputeLast).toBe(true);
    setCache({ policy: 'seed' });
    expect(store.getState().draft!.cache.alwaysComputeLast).toBe(false);
    setCache({ alwaysComputeLast: true });
    setCache({ policy: 'timestep-consecutive' });
    expect(store.getState().draft!.cache.alwaysComputeLast).toBe(true);
  });

  it('moves a default threshold to the new policy’s scale but keeps one the user chose', () => {
    const { setCache } = store.getState();
    setCache({ policy: 'teacache' });
    expect(store.getState().draft!.cache.threshold).toBe(0.4);
    setCache({ policy: 'seed' });
    expect(store.getState().draft!.cache.threshold).toBe(0.1);
    setCache({ threshold: 0.3 });
    setCache({ policy: 'timestep-consecutive' });
    expect(store.getState().draft!.cache.threshold).toBe(0.3);
  });

  it('reads the top of the reuses-in-a-row slider as no cap', () => {
    store.getState().setCache({ maxConsecutiveReuses: 11 });
    expect(store.getState().draft!.cache.maxConsecutiveReuses).toBeNull();
    store.getState().setCache({ maxConsecutiveReuses: 2 });
    expect(store.getState().draft!.cache.maxConsecutiveReuses).toBe(2);
  });

  it('randomizes the seed within the engine’s range', () => {
    store.getState().randomizeSeed();
    expect(store.getState().draft!.seed).toBe(Math.floor(0.5 * 2 ** 32));
  });

  it('keeps the draft across sessions and drops a malformed one', async () => {
    const kept = new Map<string, string>();
    const storage: StateStorage = { getItem: (k) => kept.get(k) ?? null, setItem: (k, v) => void kept.set(k, v), removeItem: (k) => void kept.delete(k) };
    const first = createStudioStore(backend, { storage });
    await first.getState().loadModel();
    first.getState().setDraft({ prompt: 'blue star' });
    first.getState().setCache({ threshold: 0.3 });

    const second = createStudioStore(backend, { storage });
    await second.getState().loadModel();
    expect(second.getState().draft).toMatchObject({ prompt: 'blue star', cache: { threshold: 0.3 } });

    // A draft saved before the cache options existed is completed, not dropped.
    const { reuse: _r, startFraction: _s, endFraction: _e, maxConsecutiveReuses: _m, alwaysComputeLast: _a, ...olderCache } = second.getState().draft!.cache;
    kept.set('teacache-studio:settings', JSON.stringify({ state: { draft: { ...second.getState().draft, cache: olderCache } }, version: 1 }));
    const older = createStudioStore(backend, { storage });
    await older.getState().loadModel();
    expect(older.getState().draft).toEqual(second.getState().draft);

    // Out of range (hand edits): the field is dropped, the valid rest kept, and nothing reaches the engine unchecked.
    kept.set('teacache-studio:settings', JSON.stringify({ state: { draft: { ...second.getState().draft, steps: 1e9, cache: { threshold: 1e6 } } }, version: 1 }));
    const tampered = createStudioStore(backend, { storage });
    await tampered.getState().loadModel();
    expect(tampered.getState().draft).toEqual({ ...draftDefaults(MODEL), prompt: 'blue star' });

    kept.set('teacache-studio:settings', JSON.stringify({ state: { draft: { prompt: 3 } }, version: 1 }));
    const third = createStudioStore(backend, { storage });
    await third.getState().loadModel();
    expect(third.getState().draft).toEqual(draftDefaults(MODEL));
  });

  it('reports a model that cannot load', async () => {
    backend.modelResult = Object.assign(new Error('MLX is missing'), { code: 'BACKEND_UNAVAILABLE' });
    const failing = createStudioStore(backend);
    await failing.getState().loadModel();
    expect(failing.getState().modelError).toEqual({ code: 'BACKEND_UNAVAILABLE', message: 'MLX is missing' });
    expect(failing.getState().draft).toBeNull();
  });
});

describe('a run', () => {
  it('sends the draft as a request, streams steps and previews, then files the entry in history', async () => {
    store.getState().setCache({ threshold: 0.25 });
    const done = store.getState().generate();
    await flush();
    const job = backend.last();
    expect(job.input).toEqual(toRequest(store.getState().draft!));
    expect(store.getState().run).toMatchObject({ status: 'running', jobId: job.jobId, total: 30, events: [] });

    const runs: unknown[] = [];
    const unsubscribe = store.subscribe((state, previous) => {
      if (state.run !== previous.run) runs.push(state.run);
    });
    job.callbacks.onSteps([stepEvent(0, true), stepEvent(1, true)]);
    job.callbacks.onSteps([stepEvent(2, false)]);
    job.callbacks.onPreview(2, { width: 32, height: 32, src: 'data:image/png;base64,p' });
    // Gathered, not applied one by one: a fast run would otherwise re-render the charts faster than the page can.
    expect(store.getState().run?.events).toEqual([]);
    await liveEventsApplied();
    unsubscribe();
    expect(runs).toHaveLength(1);
    const run = store.getState().run!;
    expect(run.events.map((e) => [e.index, e.computed])).toEqual([[0, true], [1, true], [2, false]]);
    expect(run.preview?.src).toBe('data:image/png;base64,p');

    const stored = entry('run1');
    job.resolve(stored);
    await done;
    expect(store.getState().run).toBeNull();
    expect(store.getState().history).toEqual([stored]);
    expect(store.getState().selectedId).toBe('run1');
  });

  it('ignores a second Generate while one runs', async () => {
    void store.getState().generate();
    await flush();
    void store.getState().generate();
    await flush();
    expect(backend.jobs_).toHaveLength(1);
  });

  it('cancels a running job and shows it as cancelled, not as an error', async () => {
    const done = store.getState().generate();
    await flush();
    const job = backend.last();
    job.callbacks.onSteps([stepEvent(0, true)]);
    await store.getState().cancel();
    expect(backend.cancelled).toEqual([job.jobId]);
    expect(store.getState().run?.status).toBe('cancelling');
    job.reject({ code: 'CANCELLED', message: 'The generation was cancelled.' });
    await done;
    expect(store.getState().run).toMatchObject({ status: 'cancelled', events: [expect.objectContaining({ index: 0 })] });
    expect(store.getState().error).toBeNull();
    expect(store.getState().history).toEqual([]);
  });

  it('honours Cancel pressed before the host named the job', async () => {
    let open!: () => void;
    backend.gate = new Promise((resolve) => (open = resolve));
    const done = store.getState().generate();
    await flush();
    await store.getState().cancel();
    expect(backend.cancelled).toEqual([]);
    open();
    await flush();
    expect(backend.cancelled).toEqual([backend.last().jobId]);
    backend.last().reject({ code: 'CANCELLED', message: 'cancelled' });
    await done;
    expect(store.getState().run?.status).toBe('cancelled');
  });

  it('surfaces a failure as {code, message, details}', async () => {
    const done = store.getState().generate();
    await flush();
    backend.last().reject({ code: 'WORKER_CRASHED', message: 'The engine worker exited (code 1).', details: { exitCode: 1 } });
    await done;
    expect(store.getState().run?.status).toBe('failed');
    expect(store.getState().error).toEqual({ code: 'WORKER_CRASHED', message: 'The engine worker exited (code 1).', details: { exitCode: 1 } });
    store.getState().dismissError();
    expect(store.getState().error).toBeNull();
  });

  it('runs the uncached reference of a stored run without moving the selection', async () => {
    const cached = entry('run1');
    backend.entries = [cached];
    await store.getState().loadHistory();
    const done = store.getState().generateReference('run1');
    await flush();
    const job = backend.last();
    expect(job).toMatchObject({ kind: 'baseline', input: 'run1' });
    expect(store.getState().run).toMatchObject({ purpose: 'reference', request: { cache: { enabled: false } } });

    const reference = entry('run2', { baselineOf: 'run1', request: { ...cached.request, cache: { ...cached.request.cache, enabled: false } } });
    job.resolve(reference);
    await done;
    // The host's historyChanged brings the run rewritten with its baseline linked.
    store.getState().applyHistoryDelta({ added: [reference], updated: [{ ...cached, baseline: { id: 'run2', wallMs: 3000, speedup: 2.5, psnr: 31.5 } }], removed: [] });
    expect(store.getState().selectedId).toBe('run1');
    expect(store.getState().history.find((e) => e.id === 'run1')?.baseline?.speedup).toBe(2.5);
  });

  it('runs a stored run’s forwards as plain steps without moving the selection', async () => {
    // 10 forwards of 30 steps.
    const cached = entry('run1');
    backend.entries = [cached];
    await store.getState().loadHistory();
    const done = store.getState().generateFewerSteps('run1');
    await flush();
    const job = backend.last();
    expect(job).toMatchObject({ kind: 'fewer-steps', input: 'run1' });
    expect(store.getState().run).toMatchObject({ purpose: 'fewer-steps', total: 10, request: { steps: 10, seed: 42, prompt: 'red heart', guidanceScale: 4, cache: { enabled: false } } });

    const plain = entry('run2', { fewerStepsOf: 'run1', request: { ...cached.request, steps: 10, cache: { ...cached.request.cache, enabled: false } } });
    job.resolve(plain);
    await done;
    store.getState().applyHistoryDelta({ added: [plain], updated: [{ ...cached, fewerSteps: { id: 'run2', steps: 10, wallMs: 400 } }], removed: [] });
    expect(store.getState().selectedId).toBe('run1');
    expect(store.getState().history.find((e) => e.id === 'run1')?.fewerSteps?.id).toBe('run2');
  });

  it('says why a run that computed every step has no plain-steps run, and starts none', async () => {
    backend.entries = [entry('run1', { stats: { hits: 0, misses: 30, forwards: 30 } })];
    await store.getState().loadHistory();
    await store.getState().generateFewerSteps('run1');
    expect(backend.jobs_).toEqual([]);
    expect(store.getState().run).toBeNull();
    expect(store.getState().error).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/computed every one of its 30 steps.*nothing to compare/) });
  });

  it('shows the host’s refusal (another model loaded) as baseline refusals are shown', async () => {
    backend.entries = [entry('run1')];
    await store.getState().loadHistory();
    const done = store.getState().generateFewerSteps('run1');
    await flush();
    backend.last().reject({ code: 'BAD_REQUEST', message: 'Run run1 was made with Built-in emoji model, but Other is loaded: load that model to make its plain-steps run.' });
    await done;
    expect(store.getState().run?.status).toBe('failed');
    expect(store.getState().error?.message).toMatch(/load that model to make its plain-steps run/);
  });
});

describe('resuming', () => {
  it('picks up the job the host is still running after a reload, and files it when done', async () => {
    backend.hostJobs = [{ jobId: 'job-9', running: true, request: { prompt: 'blue star', seed: 7, steps: 20 }, baselineOf: null }];
    const stop = bootStudio(store, backend);
    await flush();
    await flush();
    const job = backend.last();
    expect(job).toMatchObject({ kind: 'attach', jobId: 'job-9' });
    expect(store.getState().run).toMatchObject({ status: 'running', jobId: 'job-9', total: 20, request: { prompt: 'blue star' } });
    job.callbacks.onSteps([stepEvent(12, false, 20)]);
    await liveEventsApplied();
    expect(store.getState().run?.events.map((e) => e.index)).toEqual([12]);
    job.resolve(entry('job-9'));
    await flush();
    expect(store.getState().run).toBeNull();
    expect(store.getState().selectedId).toBe('job-9');
    stop();
  });

  it('marks a run the restarted server no longer has as lost, with Generate working again (running or cancelling)', async () => {
    const stop = bootStudio(store, backend);
    await flush();
    for (const cancelFirst of [false, true]) {
      void store.getState().generate();
      await flush();
      const job = backend.last();
      job.callbacks.onSteps(Array.from({ length: 25 }, (_, i) => stepEvent(i, true, 100)));
      if (cancelFirst) {
        await store.getState().cancel();
        expect(store.getState().run?.status).toBe('cancelling');
      }
      backend.setConnected(false);
      backend.hostJobs = [];
      backend.setConnected(true);
      await flush();
      await flush();
      const { run, error } = store.getState();
      expect(run?.status).toBe('failed');
      expect(isActive(run)).toBe(false);
      expect(error).toMatchObject({ code: 'RUN_LOST', message: expect.stringMatching(/restarted while this run was in progress \(step 25 of 100\).*Press Generate/) });
      expect(errorTitle(error!)).toBe('The run was lost');
    }
    // Generate is live again.
    void store.getState().generate();
    await flush();
    expect(store.getState().run?.status).toBe('running');
    stop();
  });

  it('keeps a run the host still has after a reconnect, and files one that finished meanwhile', async () => {
    const stop = bootStudio(store, backend);
    await flush();
    void store.getState().generate();
    await flush();
    const job = backend.last();
    backend.setConnected(false);
    backend.hostJobs = [{ jobId: job.jobId, running: true, request: toRequest(store.getState().draft!), baselineOf: null }];
    backend.setConnected(true);
    await flush();
    await flush();
    expect(store.getState().run).toMatchObject({ status: 'running', jobId: job.jobId });
    expect(store.getState().error).toBeNull();

    backend.setConnected(false);
    backend.hostJobs = [];
    backend.entries = [entry(job.jobId)];
    backend.setConnected(true);
    await flush();
    await flush();
    expect(store.getState().run).toBeNull();
    expect(store.getState().error).toBeNull();
    expect(store.getState().selectedId).toBe(job.jobId);
    stop();
  });

  it('does nothing when the host has no unfinished job', async () => {
    await store.getState().resumeJobs();
    expect(store.getState().run).toBeNull();
    expect(backend.jobs_).toEqual([]);
  });

  it('picks a plain-steps job back up as one, leaving the selection alone when it ends', async () => {
    backend.entries = [entry('run1')];
    await store.getState().loadHistory();
    backend.hostJobs = [{ jobId: 'job-4', running: true, request: { prompt: 'red heart', seed: 42, steps: 10 }, baselineOf: null, fewerStepsOf: 'run1' }];
    const resumed = store.getState().resumeJobs();
    await flush();
    expect(store.getState().run).toMatchObject({ purpose: 'fewer-steps', total: 10 });
    backend.hostJobs = [];
    backend.last().resolve(entry('job-4', { fewerStepsOf: 'run1' }));
    await resumed;
    expect(store.getState().run).toBeNull();
    expect(store.getState().selectedId).toBe('run1');
  });
});

describe('history', () => {
  it('lists newest first, opens the newest run that is not a reference, and follows host changes', async () => {
    const older = entry('run1');
    const reference = entry('run3', { baselineOf: 'run1' });
    const newer = entry('run2');
    backend.entries = [older, reference, newer];
    const stop = bootStudio(store, backend);
    await flush();
    expect(store.getState().history.map((e) => e.id)).toEqual(['run3', 'run2', 'run1']);
    expect(store.getState().selectedId).toBe('run2');

    const calls = backend.historyCalls.length;
    backend.emitHistoryChanged({ added: [], updated: [], removed: ['run2', 'run3'] });
    expect(store.getState().history.map((e) => e.id)).toEqual(['run1']);
    expect(store.getState().selectedId).toBe('run1');
    const linked = { ...older, baseline: { id: 'run5', wallMs: 20, speedup: 2, psnr: 31 } };
    backend.emitHistoryChanged({ added: [entry('run5', { baselineOf: 'run1' })], updated: [linked], removed: [] });
    expect(store.getState().history).toEqual([entry('run5', { baselineOf: 'run1' }), linked]);
    // Applied from the event itself: no history was downloaded again.
    expect(backend.historyCalls.length).toBe(calls);
    stop();
  });

  it('loads the history a page at a time, and starts over when the run it pages from is gone', async () => {
    backend.entries = Array.from({ length: 120 }, (_, i) => entry(`run${i + 1}`));
    backend.pageSize = 50;
    const stop = bootStudio(store, backend);
    await flush();
    const ids = () => store.getState().history.map((e) => e.id);
    expect(ids()).toHaveLength(50);
    expect(ids()[0]).toBe('run120');
    expect(store.getState().historyMore).toBe(true);
    await store.getState().loadMoreHistory();
    expect(ids()).toHaveLength(100);
    expect(backend.historyCalls.at(-1)).toBe('run71');
    // The run paged from was deleted meanwhile (by another window): start again from the newest.
    backend.entries = backend.entries.filter((e) => e.id !== 'run21');
    store.setState({ history: store.getState().history.map((e) => (e.id === 'run21' ? entry('run21') : e)) });
    await store.getState().loadMoreHistory();
    expect(ids()).toHaveLength(50);
    expect(backend.historyCalls.at(-1)).toBeUndefined();
    await store.getState().loadMoreHistory();
    await store.getState().loadMoreHistory();
    expect(ids()).toHaveLength(119);
    expect(new Set(ids()).size).toBe(119);
    expect(store.getState().historyMore).toBe(false);
    stop();
  });

  it('shows a dropped event stream and catches up on history when it returns', async () => {
    const stop = bootStudio(store, backend);
    await flush();
    backend.setConnected(false);
    expect(store.getState().connected).toBe(false);
    backend.entries = [entry('run1')];
    backend.setConnected(true);
    await flush();
    expect(store.getState().connected).toBe(true);
    expect(store.getState().history.map((e) => e.id)).toEqual(['run1']);
    stop();
  });

  it('deletes a run and moves the selection to the next', async () => {
    backend.entries = [entry('run1'), entry('run2')];
    await store.getState().loadHistory();
    store.getState().selectRun('run2');
    await store.getState().removeRun('run2');
    expect(backend.removed).toEqual(['run2']);
    expect(store.getState().history.map((e) => e.id)).toEqual(['run1']);
    expect(store.getState().selectedId).toBe('run1');
  });

  it('compares a plain-steps run with the baseline it is named against, and opens neither kind of reference first', async () => {
    backend.entries = [entry('run1'), entry('run2', { baselineOf: 'run1' }), entry('run3', { fewerStepsOf: 'run1' })];
    await store.getState().loadHistory();
    expect(store.getState().selectedId).toBe('run1');
    backend.psnrs.set('run3:run2', 22);
    await store.getState().loadComparison('run3', 'run2');
    expect(backend.compareCalls).toEqual([['run3', 'run2']]);
    expect(store.getState().comparisons['run3:run2']).toMatchObject({ state: 'ready', value: { psnr: 22 } });
    // A pending delete of the run hides its plain-steps run too.
    store.getState().removeRunUndoable('run1');
    expect(store.getState().selectedId).toBeNull();
    store.getState().undoRemove();
    expect(store.getState().selectedId).toBe('run1');
  });

  it('fetches each image once', async () => {
    let calls = 0;
    const image = backend.image.bind(backend);
    backend.image = async (id) => {
      calls++;
      return image(id);
    };
    await Promise.all([store.getState().loadImage('run1'), store.getState().loadImage('run1')]);
    await store.getState().loadImage('run1');
    expect(calls).toBe(1);
    expect(store.getState().images.run1).toEqual({ state: 'ready', value: { width: 32, height: 32, src: 'data:image/png;base64,run1' } });
  });
});

describe('model folders', () => {
  it('keeps a refused folder’s problems and leaves the loaded model alone', async () => {
    backend.refusals.set('/models/broken', [{ path: '/models/broken/vae', message: 'missing: the autoencoder folder' }]);
    const ok = await store.getState().openModelFolder('/models/broken');
    expect(ok).toBe(false);
    expect(store.getState().modelRefusal).toEqual({ dir: '/models/broken', problems: [{ path: '/models/broken/vae', message: 'missing: the autoencoder folder' }] });
    expect(store.getState().model).toEqual(MODEL);
    expect(store.getState().modelSwitching).toBe(false);
  });

  it('reloads the model after a switch, keeping the prompt, and clears an earlier refusal', async () => {
    backend.refusals.set('/bad', [{ path: '/bad', message: 'does not exist' }]);
    await store.getState().openModelFolder('/bad');
    store.getState().setDraft({ prompt: 'yellow face' });
    const other = { ...MODEL, info: { ...MODEL.info, id: 'flux1-schnell', name: 'FLUX.1 schnell' }, defaults: { ...MODEL.defaults, steps: 4 } };
    backend.modelResult = other;
    expect(await store.getState().openModelFolder('/models/schnell')).toBe(true);
    const state = store.getState();
    expect(state.modelRefusal).toBeNull();
    expect(state.modelSource).toEqual({ kind: 'folder', dir: '/models/schnell', note: null });
    expect(state.model?.info.id).toBe('flux1-schnell');
    expect(state.draft?.steps).toBe(4);
    expect(state.draft?.prompt).toBe('yellow face');
    expect(backend.folderCalls).toEqual(['/bad', '/models/schnell']);
  });

  it('boots with the host’s model source, note included, and follows switches made elsewhere', async () => {
    backend.source = { kind: 'builtin', dir: null, note: 'The remembered model folder /gone cannot be used (/gone: does not exist).' };
    const stop = bootStudio(store, backend);
    await flush();
    expect(store.getState().modelSource?.note).toContain('/gone: does not exist');
    backend.modelResult = { ...MODEL, info: { ...MODEL.info, id: 'other' } };
    await backend.setModelFolder('/elsewhere');
    await flush();
    expect(store.getState().modelSource?.dir).toBe('/elsewhere');
    expect(store.getState().model?.info.id).toBe('other');
    stop();
  });
});

describe('everyday history actions', () => {
  it('"Use these settings" puts a run’s prompt, seed, size and cache settings in the draft', () => {
    const run = entry('run-7');
    store.getState().applySettings({ ...run.request, prompt: 'blue fish', seed: 1234, width: 64, height: 32, cache: { ...run.request.cache, threshold: 0.25, skipEarlySteps: 2 } });
    expect(store.getState().draft).toMatchObject({ prompt: 'blue fish', seed: 1234, width: 64, height: 32, cache: { threshold: 0.25, skipEarlySteps: 2 } });
  });

  it('a delete can be undone until the offer lapses; then the host deletes it', async () => {
    vi.useFakeTimers();
    try {
      backend.entries = [entry('b', { createdAt: '2026-01-02T00:00:00Z' }), entry('a', { createdAt: '2026-01-01T00:00:00Z' })];
      await store.getState().loadHistory();
      store.getState().selectRun('b');
      store.getState().removeRunUndoable('b');
      expect(store.getState().pendingRemoval?.id).toBe('b');
      expect(store.getState().selectedId).toBe('a');
      store.getState().undoRemove();
      expect(store.getState().pendingRemoval).toBeNull();
      expect(store.getState().selectedId).toBe('b');
      vi.advanceTimersByTime(UNDO_MS + 1);
      expect(backend.removed).toEqual([]);

      store.getState().removeRunUndoable('b');
      vi.advanceTimersByTime(UNDO_MS + 1);
      await vi.runAllTimersAsync();
      expect(backend.removed).toEqual(['b']);
      expect(store.getState().history.map((e) => e.id)).toEqual(['a']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a second delete commits the first at once', async () => {
    backend.entries = [entry('b', { createdAt: '2026-01-02T00:00:00Z' }), entry('a', { createdAt: '2026-01-01T00:00:00Z' })];
    await store.getState().loadHistory();
    store.getState().removeRunUndoable('b');
    store.getState().removeRunUndoable('a');
    await flush();
    expect(backend.removed).toEqual(['b']);
    expect(store.getState().pendingRemoval?.id).toBe('a');
    store.getState().undoRemove();
  });
});

describe('undoable delete with history deltas', () => {
  it('a delta opens no run hidden by a pending delete, and one deleting it elsewhere ends the offer', async () => {
    backend.entries = [entry('b', { createdAt: '2026-01-02T00:00:00Z' }), entry('a', { createdAt: '2026-01-01T00:00:00Z' })];
    const stop = bootStudio(store, backend);
    await flush();
    store.getState().selectRun('b');
    store.getState().removeRunUndoable('b');
    // Another window deletes "a", the only run left on screen.
    backend.emitHistoryChanged({ added: [], updated: [], removed: ['a'] });
    expect(store.getState().selectedId).toBeNull();
    expect(store.getState().pendingRemoval?.id).toBe('b');
    backend.emitHistoryChanged({ added: [], updated: [], removed: ['b'] });
    expect(store.getState().pendingRemoval).toBeNull();
    expect(store.getState().history).toEqual([]);
    stop();
  });
});
