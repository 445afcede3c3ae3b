// The calibration slice with a fake backend: a calibration's life (request, run i of n, the fit put in force on
// the model's defaults), events that beat the reply, cancel (before and after the host named the job), failures
// on the error banner, and calibrations started by another window.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveRequest } from '../../../main/core/resolve-request.ts';
import { bootStudio, createStudioStore, type StudioStore } from '../../../renderer/store/store.ts';
import { calibrationResult, FakeBackend, flush, MODEL } from '../fixtures.ts';

let backend: FakeBackend;
let store: StudioStore;
let stop: () => void;

beforeEach(async () => {
  backend = new FakeBackend();
  store = createStudioStore(backend);
  stop = bootStudio(store, backend);
  await flush();
});
afterEach(() => stop());

const progress = (jobId: string, run: number, step: number) =>
  backend.emitCalibration({ type: 'calibrationProgress', jobId, run, runs: 2, prompt: run === 1 ? 'red apple' : 'blue fish', seed: 1, step, steps: 6 });

describe('calibrating from the app', () => {
  it('sends the request, follows run i of n, then puts the fitted polynomial in force on the model', async () => {
    await store.getState().calibrate({ prompts: ['red apple', 'blue fish'], steps: 6 });
    expect(backend.calibrations).toEqual([{ prompts: ['red apple', 'blue fish'], steps: 6 }]);
    expect(store.getState().calibration).toEqual({ jobId: 'cal-1', status: 'starting', progress: null });

    backend.emitCalibration({ type: 'calibrationQueued', jobId: 'cal-1', request: {}, position: 0 });
    expect(store.getState().calibration?.status).toBe('queued');
    progress('cal-1', 1, 3);
    progress('cal-1', 2, 0);
    expect(store.getState().calibration).toEqual({
      jobId: 'cal-1',
      status: 'running',
      progress: { run: 2, runs: 2, prompt: 'blue fish', seed: 1, step: 0, steps: 6 },
    });

    const result = calibrationResult([3, 2, 1, 0.5, 0.25]);
    backend.emitCalibration({ type: 'calibrationDone', jobId: 'cal-1', result });
    const state = store.getState();
    expect(state.calibration).toBeNull();
    expect(state.calibrationResult).toEqual(result);
    expect(state.model?.defaults.teacache.coefficients).toEqual([3, 2, 1, 0.5, 0.25]);
    expect(state.model?.calibration).toEqual(result.model.calibration);
    // The next teacache request resolves with the new polynomial, as the engine's will.
    const resolved = resolveRequest(state.model!, { prompt: 'x', seed: 1, cache: { policy: 'teacache' } });
    expect(resolved.cache.coefficients).toEqual([3, 2, 1, 0.5, 0.25]);
    expect(state.error).toBeNull();
  });

  it("moves a teacache threshold left at the default to the new polynomial's default, and keeps one the user chose", async () => {
    store.getState().setCache({ policy: 'teacache' });
    const before = store.getState().draft!.cache.threshold;
    expect(before).toBe(resolveRequest(store.getState().model!, { prompt: 'x', seed: 1, cache: { policy: 'teacache' } }).cache.threshold);
    backend.emitCalibration({ type: 'calibrationDone', jobId: 'cal-1', result: calibrationResult([3, 2, 1, 0.5, 0.25], 0.09) });
    expect(store.getState().draft!.cache.threshold).toBe(0.09);

    store.getState().setCache({ threshold: 0.5 });
    backend.emitCalibration({ type: 'calibrationDone', jobId: 'cal-2', result: calibrationResult([1, 2, 3, 0.5, 0.25], 0.2) });
    expect(store.getState().draft!.cache.threshold).toBe(0.5);
  });

  it('after a dropped connection, forgets a calibration whose end it may have missed and reloads the model the host now has', async () => {
    await store.getState().calibrate({ prompts: ['red apple'], steps: 21 });
    progress('cal-1', 1, 3);
    expect(store.getState().calibration?.status).toBe('running');
    backend.setConnected(false);
    // Meanwhile the host finished: its model now carries the fit.
    backend.modelResult = { ...backend.modelResult, defaults: calibrationResult([3, 2, 1, 0.5, 0.25]).model.defaults } as typeof backend.modelResult;
    backend.setConnected(true);
    await flush();
    expect(store.getState().calibration).toBeNull();
    expect(store.getState().model?.defaults.teacache.coefficients).toEqual([3, 2, 1, 0.5, 0.25]);
    // Still running after all: its next progress event brings it back.
    progress('cal-1', 1, 4);
    expect(store.getState().calibration?.status).toBe('running');
  });

  it('follows events that arrive before the host’s reply, and ends cleanly when it finishes first', async () => {
    let open!: () => void;
    backend.calibrationGate = new Promise((resolve) => (open = resolve));
    const started = store.getState().calibrate({ prompts: ['red apple'], steps: 6 });
    progress('cal-1', 1, 2);
    expect(store.getState().calibration).toMatchObject({ jobId: 'cal-1', status: 'running' });
    backend.emitCalibration({ type: 'calibrationDone', jobId: 'cal-1', result: calibrationResult() });
    open();
    await started;
    expect(store.getState().calibration).toBeNull();
    expect(store.getState().calibrationResult).not.toBeNull();
  });

  it('cancels: at once when the job is named, or as soon as the host names it', async () => {
    await store.getState().calibrate({ prompts: ['red apple'], steps: 6 });
    await store.getState().cancelCalibration();
    expect(backend.cancelled).toEqual(['cal-1']);
    expect(store.getState().calibration?.status).toBe('cancelling');
    // Progress batched before the cancel landed does not undo "cancelling".
    progress('cal-1', 1, 4);
    expect(store.getState().calibration?.status).toBe('cancelling');
    backend.emitCalibration({ type: 'calibrationFailed', jobId: 'cal-1', error: { code: 'CANCELLED', message: 'The calibration was cancelled.' } });
    expect(store.getState()).toMatchObject({ calibration: null, calibrationCancelled: true, error: null });
    expect(store.getState().model?.defaults.teacache.coefficients).toBeUndefined();

    let open!: () => void;
    backend.calibrationGate = new Promise((resolve) => (open = resolve));
    const started = store.getState().calibrate({ prompts: ['red apple'], steps: 6 });
    expect(store.getState().calibrationCancelled).toBe(false);
    await store.getState().cancelCalibration();
    expect(backend.cancelled).toEqual(['cal-1']);
    open();
    await started;
    expect(backend.cancelled).toEqual(['cal-1', 'cal-2']);
  });

  it('shows a failure on the error banner and keeps the model as it was', async () => {
    await store.getState().calibrate({ prompts: ['red apple'], steps: 6 });
    const error = { code: 'HISTORY_IO' as const, message: 'Could not save the calibration: no space left on device.' };
    backend.emitCalibration({ type: 'calibrationFailed', jobId: 'cal-1', error });
    expect(store.getState()).toMatchObject({ calibration: null, calibrationCancelled: false, error });
    expect(store.getState().model).toEqual(MODEL);
  });

  it('shows a refused request on the error banner', async () => {
    backend.calibrate = async () => {
      throw Object.assign(new Error('Invalid calibrate input: steps: a run needs at least 2 steps'), { code: 'INVALID_PAYLOAD' });
    };
    await store.getState().calibrate({ steps: 1 });
    expect(store.getState().calibration).toBeNull();
    expect(store.getState().error).toMatchObject({ code: 'INVALID_PAYLOAD', message: expect.stringMatching(/steps/) });
  });

  it('shows another window’s calibration, ignores other jobs while following one, and takes any finished fit', async () => {
    progress('theirs', 1, 1);
    expect(store.getState().calibration).toMatchObject({ jobId: 'theirs', status: 'running' });
    await store.getState().calibrate({ prompts: ['red apple'], steps: 6 });
    // One calibration at a time: the button does nothing while one runs.
    expect(backend.calibrations).toEqual([]);
    progress('someone-else', 2, 5);
    expect(store.getState().calibration?.jobId).toBe('theirs');
    backend.emitCalibration({ type: 'calibrationDone', jobId: 'theirs', result: calibrationResult([7, 7]) });
    expect(store.getState().calibration).toBeNull();
    expect(store.getState().model?.defaults.teacache.coefficients).toEqual([7, 7]);
    // A job that ended long ago, never seen start, puts nothing on screen.
    backend.emitCalibration({ type: 'calibrationFailed', jobId: 'old', error: { code: 'INTERNAL', message: 'x' } });
    expect(store.getState().error).toBeNull();
  });
});
