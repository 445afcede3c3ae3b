// EngineHost: owns the engine's worker thread, queues jobs (generations and calibrations, one at a time), cancels
// at step boundaries, batches step and progress events and survives the worker dying. Runs in the main process
// (Electron or web mode); no Electron imports.

import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { GenerationRequestSchema, type GenerationRequest } from '../core/request.ts';
import { shareBlasThreadsAmongLanes, singleLaneEnv } from '../engine/mlx/load-backend.ts';
import {
  CalibrationRequestSchema,
  parsePayload,
  StudioError,
  toErrorPayload,
  type CalibrationRequest,
  type CalibrationResult,
  type EngineInfo,
  type ErrorPayload,
  type JobSummary,
  type StepEventPayload,
  type TypedEvent,
} from '../core/contract.ts';
import { FromWorkerSchema, type FromWorker, type ToWorker, type WorkerOptions, type WorkerResult } from './worker-protocol.ts';

export interface EngineHostOptions {
  /** A model folder; the built-in model when omitted. */
  readonly modelDir?: string;
  /** The worker's entry module; defaults to engine-worker beside this file (.ts in development, .js when bundled). */
  readonly workerUrl?: URL;
  /** Minimum time between preview images, in ms. */
  readonly previewIntervalMs?: number;
  /** How long step events gather before they are sent as one batch, in ms. */
  readonly stepBatchMs?: number;
  /** The app's calibrations folder (calibration-store.ts userCalibrationDir): the built-in model's calibrations live there. */
  readonly calibrationDir?: string;
  /** Lets tests make the worker exit; never set in the app. */
  readonly testHooks?: boolean;
}

/** Contract events with their contract names and shapes (the service hands them on as they are), and a run's result. */
export type HostEvent =
  | TypedEvent<'jobQueued' | 'jobStarted' | 'steps' | 'preview' | 'jobFailed' | 'calibrationQueued' | 'calibrationProgress' | 'calibrationDone' | 'calibrationFailed'>
  /** A finished generation, with its PNG: the service records it, then announces it as jobDone. */
  | { readonly type: 'result'; readonly jobId: string; readonly result: WorkerResult; readonly baselineOf: string | null; readonly fewerStepsOf?: string };

export interface JobHandle {
  readonly jobId: string;
  /** Resolves with the result; rejects with a StudioError (CANCELLED, WORKER_CRASHED, ...). */
  readonly done: Promise<WorkerResult>;
}

export interface CalibrationHandle {
  readonly jobId: string;
  /** Resolves once the fit is saved and in force; rejects with a StudioError (CANCELLED, BAD_REQUEST, HISTORY_IO, ...). */
  readonly done: Promise<CalibrationResult>;
}

interface JobBase {
  readonly jobId: string;
  state: 'queued' | 'running';
  reject(error: StudioError): void;
}

interface GenerationJob extends JobBase {
  readonly kind: 'generate';
  readonly request: GenerationRequest;
  /** Which run the job was queued to measure, passed on with each of its events that names it. */
  readonly links: JobLinks;
  resolve(result: WorkerResult): void;
}

/** The run a job measures: as its uncached baseline, or as its plain-steps run. */
interface JobLinks {
  readonly baselineOf: string | null;
  readonly fewerStepsOf?: string;
}

interface CalibrationJob extends JobBase {
  readonly kind: 'calibrate';
  readonly request: CalibrationRequest;
  resolve(result: CalibrationResult): void;
}

/** Both kinds share one queue: a calibration's runs must never share the engine with a generation. */
type Job = GenerationJob | CalibrationJob;

/** A promise with its settle functions, not rejecting unhandled when nobody awaits it. */
function deferred<T>(): { promise: Promise<T>; resolve(value: T): void; reject(error: StudioError): void } {
  let resolve!: (value: T) => void;
  let reject!: (error: StudioError) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Callers that only follow events must not see unhandled rejections.
  promise.catch(() => {});
  return { promise, resolve, reject };
}

/** Crashes while loading in a row before the host stops restarting the worker on its own. */
const MAX_LOAD_CRASHES = 3;

function defaultWorkerUrl(): URL {
  const dev = import.meta.url.endsWith('.ts');
  return new URL(dev ? './engine-worker.ts' : './engine-worker.js', import.meta.url);
}

/** The worker of this process's hosts that may use CPU lanes, while it runs. */
let laneHolder: Worker | undefined;

/**
 * Starts `url` on a Worker. A .ts entry (development, tests) goes through tsx's ESM API first, registered in
 * the worker itself: on Node 20 `execArgv: ['--import', 'tsx']` does not reach a worker's entry module.
 */
function startWorker(url: URL, workerData: WorkerOptions): Worker {
  shareBlasThreadsAmongLanes();
  // One engine of this process at a time may use CPU lanes (singleLaneEnv says why): the first worker started
  // while no other holds them. The app runs one host, so its worker always gets them.
  const env = laneHolder ? singleLaneEnv() : process.env;
  let worker: Worker;
  if (url.pathname.endsWith('.ts')) {
    const require = createRequire(import.meta.url);
    const tsxApi = pathToFileURL(require.resolve('tsx/esm/api')).href.replace(/\.cjs$/, '.mjs');
    const bootstrap = `import(${JSON.stringify(tsxApi)}).then(({ register }) => { register(); return import(${JSON.stringify(url.href)}); });`;
    worker = new Worker(bootstrap, { eval: true, workerData, env });
  } else {
    worker = new Worker(url, { workerData, env });
  }
  if (!laneHolder) {
    laneHolder = worker;
    worker.once('exit', () => {
      if (laneHolder === worker) laneHolder = undefined;
    });
  }
  return worker;
}

let jobCounter = 0;
/** Sortable, unique within a process and unlikely to collide across restarts. */
export function newJobId(now = Date.now()): string {
  jobCounter = (jobCounter + 1) % 1296;
  return `${now.toString(36)}-${jobCounter.toString(36).padStart(2, '0')}${Math.random().toString(36).slice(2, 8)}`;
}

export class EngineHost {
  private readonly options: EngineHostOptions;
  private readonly listeners = new Set<(event: HostEvent) => void>();
  private readonly queue: Job[] = [];
  private running: Job | undefined;
  private worker: Worker | undefined;
  private ready: Promise<EngineInfo> | undefined;
  private ready_: { resolve(info: EngineInfo): void; reject(error: StudioError): void } | undefined;
  private loaded = false;
  private loadCrashes = 0;
  private closed = false;
  private readonly pendingSteps = new Map<string, StepEventPayload[]>();
  /** Only the latest progress of a calibration matters; several steps' worth fold into one event. */
  private readonly pendingProgress = new Map<string, TypedEvent<'calibrationProgress'>>();
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  /** Workers started so far; tests read it to see a restart. */
  workersStarted = 0;
  private modelDir: string | undefined;
  /** What the loaded worker reported, updated when a calibration puts new coefficients in force. */
  private loadedInfo: EngineInfo | undefined;

  constructor(options: EngineHostOptions = {}) {
    this.options = options;
    this.modelDir = options.modelDir;
  }

  /** The folder the engine loads; undefined for the built-in model. */
  get currentModelDir(): string | undefined {
    return this.modelDir;
  }

  /**
   * Restarts the worker on another model (undefined: the built-in one). Refused with BAD_REQUEST while jobs are
   * queued or running, since they were set up for the model they were submitted to.
   */
  async switchModel(modelDir: string | undefined): Promise<void> {
    if (this.closed) throw new StudioError('INTERNAL', 'The engine host is closed.');
    if (this.running || this.queue.length > 0) {
      throw new StudioError('BAD_REQUEST', 'Runs are still queued or running: wait for them to finish (or cancel them), then switch the model.', {
        jobs: this.jobs().map((job) => job.jobId),
      });
    }
    this.modelDir = modelDir;
    const worker = this.worker;
    // Forgotten before it ends, so its exit is not taken for a crash.
    this.worker = undefined;
    this.ready_?.reject(new StudioError('MODEL_NOT_FOUND', 'The model was switched while it loaded.'));
    this.loaded = false;
    this.loadCrashes = 0;
    await worker?.terminate();
    this.ensureWorker();
  }

  /** Backend and model; starts the worker if needed and waits for it to load. */
  info(): Promise<EngineInfo> {
    this.ensureWorker();
    return this.ready!;
  }

  on(listener: (event: HostEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Queues a generation; throws INVALID_PAYLOAD at once for a request that does not fit the schema. */
  submit(input: GenerationRequest, meta: { baselineOf?: string; fewerStepsOf?: string; jobId?: string } = {}): JobHandle {
    if (this.closed) throw new StudioError('INTERNAL', 'The engine host is closed.');
    const request = parsePayload(GenerationRequestSchema, input, 'generation request');
    const jobId = meta.jobId ?? newJobId();
    const { promise: done, resolve, reject } = deferred<WorkerResult>();
    const links: JobLinks = { baselineOf: meta.baselineOf ?? null, ...(meta.fewerStepsOf ? { fewerStepsOf: meta.fewerStepsOf } : {}) };
    const job: GenerationJob = { kind: 'generate', jobId, request, links, state: 'queued', resolve, reject };
    this.queue.push(job);
    this.emit({ type: 'jobQueued', jobId, request, ...links, position: this.position() });
    this.pump();
    return { jobId, done };
  }

  /**
   * Queues a calibration of the loaded model behind any queued generations; throws INVALID_PAYLOAD at once for a
   * request that does not fit the schema. Once it succeeds, info() and every later run use the new polynomial.
   */
  calibrate(input: CalibrationRequest = {}, meta: { jobId?: string } = {}): CalibrationHandle {
    if (this.closed) throw new StudioError('INTERNAL', 'The engine host is closed.');
    const request = parsePayload(CalibrationRequestSchema, input, 'calibration request');
    const jobId = meta.jobId ?? newJobId();
    const { promise: done, resolve, reject } = deferred<CalibrationResult>();
    this.queue.push({ kind: 'calibrate', jobId, request, state: 'queued', resolve, reject });
    this.emit({ type: 'calibrationQueued', jobId, request, position: this.position() });
    this.pump();
    return { jobId, done };
  }

  /** Where the job just queued stands: 0 when it runs next. */
  private position(): number {
    return this.queue.length - 1 + (this.running ? 1 : 0);
  }

  /** True when the job was queued or running (a running one ends with CANCELLED at its next step). */
  cancel(jobId: string): boolean {
    const index = this.queue.findIndex((job) => job.jobId === jobId);
    if (index >= 0) {
      const [job] = this.queue.splice(index, 1);
      this.finish(job!, { code: 'CANCELLED', message: `The ${job!.kind === 'calibrate' ? 'calibration' : 'generation'} was cancelled before it started.` });
      return true;
    }
    if (this.running?.jobId === jobId) {
      this.post({ type: 'cancel', jobId });
      return true;
    }
    return false;
  }

  /** Generations not yet finished, running first (calibrations report themselves through their own events). */
  jobs(): JobSummary[] {
    return [...(this.running ? [this.running] : []), ...this.queue].flatMap((job) => (job.kind === 'generate' ? [job] : [])).map((job) => ({
      jobId: job.jobId,
      state: job.state,
      request: job.request,
      ...job.links,
    }));
  }

  /** Test hook: makes the worker exit as if it had crashed. */
  crashWorkerForTest(code = 70): void {
    if (!this.options.testHooks) throw new Error('crashWorkerForTest needs testHooks: true.');
    this.post({ type: 'test-exit', code });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) this.finish(job, { code: 'CANCELLED', message: 'The app is closing.' });
    if (this.running) this.finish(this.running, { code: 'CANCELLED', message: 'The app is closing.' });
    this.running = undefined;
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private emit(event: HostEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        console.error('An engine host listener threw:', error);
      }
    }
  }

  private post(message: ToWorker): void {
    this.worker?.postMessage(message);
  }

  private ensureWorker(): void {
    if (this.worker || this.closed) return;
    this.ready = new Promise<EngineInfo>((resolve, reject) => {
      this.ready_ = { resolve, reject };
    });
    this.ready.catch(() => {});
    this.loaded = false;
    const worker = startWorker(this.options.workerUrl ?? defaultWorkerUrl(), {
      ...(this.modelDir ? { modelDir: this.modelDir } : {}),
      previewIntervalMs: this.options.previewIntervalMs ?? 150,
      ...(this.options.calibrationDir ? { calibrationDir: this.options.calibrationDir } : {}),
      testHooks: this.options.testHooks ?? false,
    });
    this.worker = worker;
    this.workersStarted++;
    worker.on('message', (raw: unknown) => this.onMessage(worker, raw));
    worker.on('error', (error) => this.onExit(worker, `it threw: ${error.message}`));
    worker.on('exit', (code) => this.onExit(worker, `it exited with code ${code}`));
    this.updateRef();
  }

  /** While loading or working the worker keeps the process alive; idle, it does not hold a finished script open. */
  private updateRef(): void {
    const busy = !this.loaded || this.running !== undefined || this.queue.length > 0;
    if (busy) this.worker?.ref();
    else this.worker?.unref();
  }

  private onMessage(worker: Worker, raw: unknown): void {
    if (worker !== this.worker) return;
    const parsed = FromWorkerSchema.safeParse(raw);
    if (!parsed.success) {
      console.error('The engine worker sent a message that does not fit the protocol:', parsed.error.message);
      if (this.running) this.finish(this.running, { code: 'INTERNAL', message: 'The engine sent a malformed message; the job was stopped.', details: parsed.error.issues });
      return;
    }
    const message: FromWorker = parsed.data;
    switch (message.type) {
      case 'ready':
        this.loadedInfo = message.info;
        this.loaded = true;
        this.loadCrashes = 0;
        this.ready_?.resolve(message.info);
        this.pump();
        return;
      case 'load-failed': {
        const error = StudioError.fromPayload(message.error);
        this.ready_?.reject(error);
        for (const job of this.queue.splice(0)) this.finish(job, message.error);
        // Nothing will change by retrying on our own; the next request starts a fresh worker.
        this.worker = undefined;
        void worker.terminate();
        return;
      }
      case 'protocol-error':
        console.error(message.message);
        if (this.running && this.running.jobId === message.jobId) {
          this.finish(this.running, { code: 'INTERNAL', message: 'The engine could not read the job it was sent.', details: message.message });
          this.pump();
        }
        return;
    }
    const job = this.running;
    if (!job || job.jobId !== message.jobId) {
      // A queued job the worker refused, or a straggler of a job already ended here.
      if (message.type === 'jobFailed' || message.type === 'calibrationFailed') {
        const index = this.queue.findIndex((queued) => queued.jobId === message.jobId);
        if (index >= 0) this.finish(this.queue.splice(index, 1)[0]!, message.error);
      }
      return;
    }
    if (job.kind === 'calibrate') {
      this.onCalibrationMessage(job, message);
      return;
    }
    switch (message.type) {
      case 'jobStarted':
        this.emit({ ...message, ...job.links });
        return;
      case 'steps':
        this.queueSteps(message);
        return;
      case 'preview':
        this.flushSteps();
        this.emit(message);
        return;
      case 'result':
        this.flushSteps();
        this.running = undefined;
        job.resolve(message.result);
        this.emit({ ...message, ...job.links });
        this.pump();
        return;
      case 'jobFailed':
        this.finish(job, message.error);
        this.pump();
        return;
      case 'calibrationProgress':
      case 'calibrationDone':
      case 'calibrationFailed':
        this.finish(job, { code: 'INTERNAL', message: `The engine answered a generation with a calibration message (${message.type}); the job was stopped.` });
        this.pump();
        return;
    }
  }

  private onCalibrationMessage(job: CalibrationJob, message: Exclude<FromWorker, { type: 'ready' | 'load-failed' | 'protocol-error' }>): void {
    switch (message.type) {
      case 'calibrationProgress':
        this.pendingProgress.set(job.jobId, message);
        this.scheduleFlush();
        return;
      case 'calibrationDone': {
        this.flushSteps();
        this.running = undefined;
        // In force from now on: info() answers with the model as the next run will use it.
        if (this.loadedInfo) {
          this.loadedInfo = { ...this.loadedInfo, model: message.result.model };
          this.ready = Promise.resolve(this.loadedInfo);
        }
        job.resolve(message.result);
        this.emit(message);
        this.pump();
        return;
      }
      case 'calibrationFailed':
        this.finish(job, message.error);
        this.pump();
        return;
      default:
        this.finish(job, { code: 'INTERNAL', message: `The engine answered a calibration with a generation message (${message.type}); the job was stopped.` });
        this.pump();
    }
  }

  private onExit(worker: Worker, how: string): void {
    if (worker !== this.worker) return;
    this.worker = undefined;
    if (this.closed) return;
    const wasLoaded = this.loaded;
    if (!wasLoaded) this.loadCrashes++;
    const error: ErrorPayload = {
      code: 'WORKER_CRASHED',
      message: `The engine stopped unexpectedly (${how}). A fresh engine has been started; try again.`,
      details: { how, whileLoading: !wasLoaded },
    };
    this.ready_?.reject(StudioError.fromPayload(error));
    if (this.running) this.finish(this.running, error);
    if (!wasLoaded && this.loadCrashes >= MAX_LOAD_CRASHES) {
      const gaveUp: ErrorPayload = { ...error, message: `The engine crashed ${this.loadCrashes} times while loading (${how}); it will be retried on the next request.` };
      for (const job of this.queue.splice(0)) this.finish(job, gaveUp);
      this.loadCrashes = 0;
      return;
    }
    this.ensureWorker();
    this.pump();
  }

  /** Ends a job with an error, wherever it is. */
  private finish(job: Job, error: ErrorPayload): void {
    if (this.running === job) {
      this.flushSteps();
      this.running = undefined;
    }
    job.reject(StudioError.fromPayload(error));
    this.emit({ type: job.kind === 'calibrate' ? 'calibrationFailed' : 'jobFailed', jobId: job.jobId, error });
    this.updateRef();
  }

  /** Hands the next queued job to the worker when it is free. */
  private pump(): void {
    this.updateRef();
    if (this.closed || this.running || this.queue.length === 0) return;
    this.ensureWorker();
    if (!this.loaded) return; // 'ready' calls pump again.
    const job = this.queue.shift()!;
    job.state = 'running';
    this.running = job;
    this.updateRef();
    try {
      this.post(job.kind === 'calibrate' ? { type: 'calibrate', jobId: job.jobId, request: job.request } : { type: 'generate', jobId: job.jobId, request: job.request });
    } catch (error) {
      // postMessage throws on values that cannot be cloned; the request schema should make that impossible.
      this.finish(job, toErrorPayload(error));
      this.pump();
    }
  }

  /** Gathers a job's steps events into one of the same for the next flush. */
  private queueSteps({ jobId, events }: TypedEvent<'steps'>): void {
    const pending = this.pendingSteps.get(jobId);
    if (pending) pending.push(...events);
    else this.pendingSteps.set(jobId, [...events]);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    this.flushTimer ??= setTimeout(() => this.flushSteps(), this.options.stepBatchMs ?? 16);
  }

  private flushSteps(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    for (const [jobId, events] of this.pendingSteps) this.emit({ type: 'steps', jobId, events });
    this.pendingSteps.clear();
    for (const progress of this.pendingProgress.values()) this.emit(progress);
    this.pendingProgress.clear();
  }
}
