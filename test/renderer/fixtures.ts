// Shared fixtures for renderer tests: a model summary like the built-in one and
// a scriptable fake of the store's backend. Test-only.

import type {
  CalibrationEvent,
  CalibrationRequest,
  CalibrationResult,
  HistoryDelta,
  JobCallbacks,
  ModelFolderProblem,
  ModelSource,
  ModelSummary,
  PendingJob as HostJob,
  RunEntry,
  RunHandle,
  StepEvent,
  StudioBackend,
} from '../../renderer/lib/types.ts';
import { createStudioStore, type StudioStore } from '../../renderer/store/store.ts';
import { LIVE_UPDATE_MS } from '../../renderer/lib/live-batch.ts';

export const MODEL: ModelSummary = {
  info: {
    id: 'builtin-emoji',
    name: 'Built-in emoji model',
    trained: true,
    notes: [],
    guidanceEmbedded: false,
    sizeMultiple: 4,
    maxSize: 128,
  },
  defaults: { steps: 30, width: 32, height: 32, guidanceScale: 4, shift: false, teacache: { threshold: 0.1, rescaleFactor: 1 } },
  backendLabel: '@frost-beta/mlx 0.0.7 · CPU',
};

export function stepEvent(index: number, computed: boolean, total = 30): StepEvent {
  return { index, total, timestep: 1 - index / total, computed, reason: computed ? 'threshold' : 'reuse', distance: 0.03, accumulated: 0.05, threshold: 0.1, ms: computed ? 40 : 1 };
}

export function entry(id: string, overrides: Partial<RunEntry> = {}): RunEntry {
  const events = Array.from({ length: 30 }, (_, i) => stepEvent(i, i % 3 === 0));
  return {
    id,
    createdAt: new Date(Date.UTC(2026, 10, 25, 12, 0, Number(id.replace(/\D/g, '') || 0))).toISOString(),
    request: {
      prompt: 'red heart',
      negativePrompt: '',
      seed: 42,
      steps: 30,
      width: 32,
      height: 32,
      guidanceScale: 4,
      guidanceMode: 'cfg',
      shift: false,
      cache: {
        enabled: true,
        policy: 'seed',
        threshold: 0.1,
        rescaleFactor: 1,
        skipEarlySteps: 3,
        reuse: 'output',
        startFraction: 0,
        endFraction: 1,
        maxConsecutiveReuses: null,
        alwaysComputeLast: false,
        coefficients: [1, 0],
      },
    },
    width: 32,
    height: 32,
    timesteps: Array.from({ length: 31 }, (_, i) => 1 - i / 30),
    stats: { hits: 20, misses: 10, forwards: 10 },
    wallMs: 1200,
    events,
    unknownWords: [],
    model: { id: 'builtin-emoji', name: 'Built-in emoji model', trained: true },
    backend: { name: 'npm', package: '@frost-beta/mlx', version: '0.0.7', device: 'cpu' },
    baselineOf: null,
    baseline: null,
    ...overrides,
  };
}

interface PendingJob {
  readonly jobId: string;
  readonly kind: 'generate' | 'baseline' | 'fewer-steps' | 'attach';
  readonly input: unknown;
  readonly callbacks: JobCallbacks;
  resolve(entry: RunEntry): void;
  reject(error: unknown): void;
}

/** A backend whose jobs finish only when the test says so. */
export class FakeBackend implements StudioBackend {
  jobs_: PendingJob[] = [];
  cancelled: string[] = [];
  entries: RunEntry[] = [];
  removed: string[] = [];
  modelResult: ModelSummary | Error = MODEL;
  /** When set, generate() waits for this before answering with a job id. */
  gate: Promise<void> | null = null;
  private historyListeners = new Set<(delta: HistoryDelta) => void>();
  private counter = 0;

  async model() {
    if (this.modelResult instanceof Error) throw this.modelResult;
    return this.modelResult;
  }
  generate(request: unknown, callbacks: JobCallbacks) {
    return this.start('generate', request, callbacks);
  }
  generateBaseline(runId: string, callbacks: JobCallbacks) {
    return this.start('baseline', runId, callbacks);
  }
  generateFewerSteps(runId: string, callbacks: JobCallbacks) {
    return this.start('fewer-steps', runId, callbacks);
  }
  private async start(kind: 'generate' | 'baseline' | 'fewer-steps', input: unknown, callbacks: JobCallbacks): Promise<RunHandle> {
    if (this.gate) await this.gate;
    const jobId = `job-${++this.counter}`;
    let resolve!: (entry: RunEntry) => void;
    let reject!: (error: unknown) => void;
    const finished = new Promise<RunEntry>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.jobs_.push({ jobId, kind, input, callbacks, resolve, reject });
    return { jobId, finished };
  }
  async cancel(jobId: string) {
    this.cancelled.push(jobId);
  }
  /** What the host reports as unfinished. */
  hostJobs: HostJob[] = [];
  async jobs() {
    return this.hostJobs;
  }
  attach(jobId: string, callbacks: JobCallbacks): RunHandle {
    let resolve!: (entry: RunEntry) => void;
    let reject!: (error: unknown) => void;
    const finished = new Promise<RunEntry>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.jobs_.push({ jobId, kind: 'attach', input: jobId, callbacks, resolve, reject });
    return { jobId, finished };
  }
  /** Requests queued by enqueue(), in order. */
  enqueued: unknown[] = [];
  async enqueue(request: unknown) {
    this.enqueued.push(request);
    return `queued-${this.enqueued.length}`;
  }
  private jobsListeners = new Set<() => void>();
  onJobsChanged(listener: () => void) {
    this.jobsListeners.add(listener);
    return () => void this.jobsListeners.delete(listener);
  }
  emitJobsChanged() {
    for (const listener of this.jobsListeners) listener();
  }
  /** Entries per history page, as the host's listHistory pages them. */
  pageSize = Infinity;
  historyCalls: (string | undefined)[] = [];
  async history(before?: string) {
    this.historyCalls.push(before);
    const all = [...this.entries].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    const start = before === undefined ? 0 : all.findIndex((e) => e.id === before) + 1;
    if (before !== undefined && start === 0) throw Object.assign(new Error(`no run ${before}`), { code: 'NOT_FOUND' });
    return { entries: all.slice(start, start + this.pageSize), more: start + this.pageSize < all.length };
  }
  async image(id: string) {
    return { width: 32, height: 32, src: `data:image/png;base64,${id}` };
  }
  /** PSNR compare() answers for run `${id}:${against}`; 30 for any other pair. */
  psnrs = new Map<string, number>();
  compareCalls: [string, string | undefined][] = [];
  async compare(id: string, against?: string) {
    this.compareCalls.push([id, against]);
    return { psnr: this.psnrs.get(`${id}:${against}`) ?? 30, maxDifference: 12, difference: { width: 32, height: 32, src: 'data:image/png;base64,diff' } };
  }
  async removeRun(id: string) {
    this.removed.push(id);
  }
  onHistoryChanged(listener: (delta: HistoryDelta) => void) {
    this.historyListeners.add(listener);
    return () => void this.historyListeners.delete(listener);
  }
  private connectionListeners = new Set<(connected: boolean) => void>();
  onConnectionChange(listener: (connected: boolean) => void) {
    this.connectionListeners.add(listener);
    return () => void this.connectionListeners.delete(listener);
  }
  source: ModelSource = { kind: 'builtin', dir: null, note: null };
  /** Folders setModelFolder refuses, with their problems. */
  refusals = new Map<string, ModelFolderProblem[]>();
  folderCalls: (string | null)[] = [];
  private modelListeners = new Set<(source: ModelSource) => void>();
  async modelSource() {
    return this.source;
  }
  async setModelFolder(dir: string | null) {
    this.folderCalls.push(dir);
    const problems = dir === null ? undefined : this.refusals.get(dir);
    if (problems) return { accepted: false, problems, source: this.source };
    this.source = dir === null ? { kind: 'builtin', dir: null, note: null } : { kind: 'folder', dir, note: null };
    this.modelListeners.forEach((listener) => listener(this.source));
    return { accepted: true, problems: [], source: this.source };
  }
  onModelChanged(listener: (source: ModelSource) => void) {
    this.modelListeners.add(listener);
    return () => void this.modelListeners.delete(listener);
  }
  calibrations: CalibrationRequest[] = [];
  /** When set, calibrate() waits for this before answering with a job id. */
  calibrationGate: Promise<void> | null = null;
  private calibrationListeners = new Set<(event: CalibrationEvent) => void>();
  async calibrate(request: CalibrationRequest) {
    this.calibrations.push(request);
    if (this.calibrationGate) await this.calibrationGate;
    return { jobId: `cal-${this.calibrations.length}` };
  }
  onCalibration(listener: (event: CalibrationEvent) => void) {
    this.calibrationListeners.add(listener);
    return () => void this.calibrationListeners.delete(listener);
  }
  /** As the host's calibration events do. */
  emitCalibration(event: CalibrationEvent) {
    this.calibrationListeners.forEach((listener) => listener(event));
  }
  /** As the host's historyChanged event does. */
  emitHistoryChanged(delta: HistoryDelta) {
    this.historyListeners.forEach((listener) => listener(delta));
  }
  setConnected(connected: boolean) {
    this.connectionListeners.forEach((listener) => listener(connected));
  }
  last(): PendingJob {
    const job = this.jobs_.at(-1);
    if (!job) throw new Error('no job was started');
    return job;
  }
}

/** Resolves once pending promise callbacks have run. */
export const flush = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** Waits out the store's gathering of live events (renderer/lib/live-batch.ts), so they are on screen. */
export const liveEventsApplied = () => new Promise<void>((resolve) => setTimeout(resolve, LIVE_UPDATE_MS + 5));

/** A store on `backend` with its model loaded, as a page has it once started; `random` is fixed so seeds are known. */
export async function loadedStore(backend: FakeBackend): Promise<StudioStore> {
  const store = createStudioStore(backend, { random: () => 0.5 });
  await store.getState().loadModel();
  return store;
}

/** A finished calibration of MODEL whose polynomial is `coefficients`, as the host reports it. */
export function calibrationResult(coefficients: number[] = [2, -1, 0.5, 0.1, 0.01], signalThreshold?: number): CalibrationResult {
  const summary = {
    coefficients,
    fit: { rmse: 0.02, relativeError: 0.12, r2: 0.94, samples: 29 },
    trained: true,
    createdAt: '2026-11-25T12:00:00.000Z',
    location: 'user-data' as const,
    file: '/data/calibrations/builtin-emoji-0123456789abcdef.json',
  };
  return {
    ...summary,
    modelId: MODEL.info.id,
    runs: { prompts: ['red apple'], seeds: [1], steps: 30, guidanceScale: 4 },
    flux1: { rmse: 1.5, relativeError: 0.84 },
    model: { ...MODEL.info, notes: [], defaults: { ...MODEL.defaults, teacache: { ...MODEL.defaults.teacache, coefficients, ...(signalThreshold === undefined ? {} : { signalThreshold }) } }, calibration: summary },
  };
}
