// Adapts the contract's StudioApi (requests + broadcast events) to the store's
// StudioBackend: one handle per job, its events routed by job id. Renderer only;
// no Node, no Electron.

import type { EventPayload, StudioApi } from '../../main/core/contract.ts';
import type { AppError, JobCallbacks, ModelSummary, ResolvedRequest, RunEntry, RunHandle, RunImage, StepEvent, StudioBackend } from './types.ts';

interface Tracked {
  started?: ResolvedRequest;
  steps: StepEvent[];
  preview?: { index: number; image: RunImage };
  outcome?: { entry: RunEntry } | { error: AppError };
  callbacks?: JobCallbacks;
  finished: Promise<RunEntry>;
  resolve(entry: RunEntry): void;
  reject(error: AppError): void;
}

/** Jobs nobody here claimed (another window's) are forgotten beyond this many. */
const UNCLAIMED_LIMIT = 32;

const toImage = (image: { width: number; height: number; dataUrl: string }): RunImage => ({ width: image.width, height: image.height, src: image.dataUrl });

export function createBackend(api: StudioApi): StudioBackend {
  // Events travel on a stream apart from request replies, so a job's first
  // steps can arrive before generate() has told us its id: keep them until claimed.
  const jobs = new Map<string, Tracked>();

  const track = (jobId: string): Tracked => {
    let tracked = jobs.get(jobId);
    if (tracked) return tracked;
    let resolve!: (entry: RunEntry) => void;
    let reject!: (error: AppError) => void;
    const finished = new Promise<RunEntry>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // Unclaimed jobs may fail without anyone listening; that is not an unhandled rejection.
    finished.catch(() => undefined);
    tracked = { steps: [], finished, resolve, reject };
    jobs.set(jobId, tracked);
    const unclaimed = [...jobs].filter(([, t]) => !t.callbacks);
    if (unclaimed.length > UNCLAIMED_LIMIT) jobs.delete(unclaimed[0]![0]);
    return tracked;
  };

  const settle = (jobId: string, tracked: Tracked) => {
    const { outcome } = tracked;
    if (!outcome || !tracked.callbacks) return;
    jobs.delete(jobId);
    if ('entry' in outcome) tracked.resolve(outcome.entry);
    else tracked.reject(outcome.error);
  };

  api.onJobStarted(({ jobId, request }: EventPayload<'jobStarted'>) => {
    const tracked = track(jobId);
    tracked.started = request;
    tracked.callbacks?.onStarted?.(request);
  });
  api.onSteps(({ jobId, events }) => {
    const tracked = track(jobId);
    if (tracked.callbacks) tracked.callbacks.onSteps(events);
    else tracked.steps.push(...events);
  });
  api.onPreview(({ jobId, index, image }) => {
    const tracked = track(jobId);
    const preview = { index, image: toImage(image) };
    if (tracked.callbacks) tracked.callbacks.onPreview(index, preview.image);
    else tracked.preview = preview;
  });
  api.onJobDone(({ jobId, entry }) => {
    const tracked = track(jobId);
    tracked.outcome = { entry };
    settle(jobId, tracked);
  });
  api.onJobFailed(({ jobId, error }) => {
    const tracked = track(jobId);
    tracked.outcome = { error };
    settle(jobId, tracked);
  });

  const claim = (jobId: string, callbacks: JobCallbacks): RunHandle => {
    const tracked = track(jobId);
    tracked.callbacks = callbacks;
    if (tracked.started) callbacks.onStarted?.(tracked.started);
    if (tracked.steps.length > 0) callbacks.onSteps(tracked.steps.splice(0));
    if (tracked.preview) callbacks.onPreview(tracked.preview.index, tracked.preview.image);
    settle(jobId, tracked);
    return { jobId, finished: tracked.finished };
  };

  const images = new Map<string, Promise<RunImage>>();

  return {
    ...(api.pickModelFolder ? { pickModelFolder: api.pickModelFolder.bind(api) } : {}),
    ...(api.saveImage ? { saveImage: (id: string, fileName: string) => api.saveImage!({ id, fileName }) } : {}),
    modelSource: () => api.getModelSource(),
    setModelFolder: (dir) => api.setModelFolder(dir),
    onModelChanged(listener) {
      return api.onModelChanged(({ source }) => listener(source));
    },
    async model(): Promise<ModelSummary> {
      const { model, backend } = await api.getInfo();
      return { info: model, defaults: model.defaults, backendLabel: `${backend.package} ${backend.version} · ${backend.device.toUpperCase()}`, calibration: model.calibration ?? null };
    },
    calibrate: (request) => api.calibrate(request),
    onCalibration(listener) {
      const stops = [
        api.onCalibrationQueued((payload) => listener({ type: 'calibrationQueued', ...payload })),
        api.onCalibrationProgress((payload) => listener({ type: 'calibrationProgress', ...payload })),
        api.onCalibrationDone((payload) => listener({ type: 'calibrationDone', ...payload })),
        api.onCalibrationFailed((payload) => listener({ type: 'calibrationFailed', ...payload })),
      ];
      return () => stops.forEach((stop) => stop());
    },
    async generate(request, callbacks) {
      const { jobId } = await api.generate(request);
      return claim(jobId, callbacks);
    },
    async generateBaseline(runId, callbacks) {
      const { jobId } = await api.generateBaseline(runId);
      return claim(jobId, callbacks);
    },
    async generateFewerSteps(runId, callbacks) {
      const { jobId } = await api.generateFewerSteps(runId);
      return claim(jobId, callbacks);
    },
    async cancel(jobId) {
      await api.cancel(jobId);
    },
    async jobs() {
      const { jobs } = await api.listJobs();
      return jobs.map((job) => ({ jobId: job.jobId, running: job.state === 'running', request: job.request, baselineOf: job.baselineOf, fewerStepsOf: job.fewerStepsOf ?? null }));
    },
    attach(jobId, callbacks) {
      return claim(jobId, callbacks);
    },
    async enqueue(request) {
      const { jobId } = await api.generate(request);
      // Tracked from now on, so the events it sends before attach() are kept for it.
      track(jobId);
      return jobId;
    },
    onJobsChanged(listener) {
      const stops = [api.onJobQueued(() => listener()), api.onJobStarted(() => listener()), api.onJobDone(() => listener()), api.onJobFailed(() => listener())];
      return () => stops.forEach((stop) => stop());
    },
    history(before) {
      return api.listHistory(before === undefined ? {} : { before });
    },
    image(id) {
      // A run's image never changes once stored.
      let image = images.get(id);
      if (!image) {
        image = api.getImage(id).then(toImage);
        images.set(id, image);
        image.catch(() => images.delete(id));
      }
      return image;
    },
    async compare(id, against) {
      const result = await api.compare(id, against);
      return { psnr: result.psnr, maxDifference: result.maxDifference, difference: toImage(result.difference) };
    },
    async removeRun(id) {
      await api.deleteRun(id);
      images.delete(id);
    },
    onHistoryChanged(listener) {
      return api.onHistoryChanged((delta) => {
        for (const id of delta.removed) images.delete(id);
        listener(delta);
      });
    },
    onConnectionChange(listener) {
      return api.onConnectionChange(listener);
    },
  };
}
