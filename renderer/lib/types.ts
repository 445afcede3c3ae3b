// The renderer's view of the studio: what the store needs from the IPC contract
// (main/core/contract.ts), shaped for the UI. Types only.

import type {
  CalibrationProgress,
  CalibrationRequest,
  CalibrationResult,
  CalibrationSummary,
  EngineInfo,
  ErrorPayload,
  HistoryDelta,
  HistoryEntry,
  ModelFolderProblem,
  ModelSource,
  Psnr,
  TypedEvent,
} from '../../main/core/contract.ts';
import type { ModelDefaults, ModelInfo } from '../../main/core/model-info.ts';
import type { GenerationRequest, ResolvedRequest } from '../../main/core/request.ts';
import type { StepEvent } from '../../main/core/step-event.ts';

export type {
  CalibrationProgress,
  CalibrationRequest,
  CalibrationResult,
  CalibrationSummary,
  EngineInfo,
  ModelFolderProblem,
  ModelSource,
  GenerationRequest,
  HistoryDelta,
  HistoryEntry,
  ModelDefaults,
  ModelInfo,
  Psnr,
  ResolvedRequest,
  StepEvent,
};

/** What resolveRequest needs, plus how the UI names the model and backend. */
export interface ModelSummary {
  readonly info: ModelInfo;
  readonly defaults: ModelDefaults;
  readonly backendLabel: string;
  /** The calibration whose polynomial `defaults` carries; absent or null when the model has none. */
  readonly calibration?: CalibrationSummary | null;
}

/** An image the browser can show (a data: URL from the contract). */
export interface RunImage {
  readonly width: number;
  readonly height: number;
  readonly src: string;
}

/** A finished run as history keeps it (the contract's entry; its image is fetched apart). */
export type RunEntry = HistoryEntry;

/** Errors as they cross the contract: a stable code, a sentence for people, and specifics. */
export type AppError = { readonly code: string; readonly message: string; readonly details?: unknown } | ErrorPayload;

export interface JobCallbacks {
  /** The host filled in every default: the exact request and its schedule. */
  onStarted?(request: ResolvedRequest): void;
  onSteps(events: readonly StepEvent[]): void;
  onPreview(index: number, image: RunImage): void;
}

export interface RunHandle {
  readonly jobId: string;
  /** Resolves with the stored entry; rejects with an AppError-shaped error (code CANCELLED when cancelled). */
  readonly finished: Promise<RunEntry>;
}

export interface PendingJob {
  readonly jobId: string;
  readonly running: boolean;
  readonly request: GenerationRequest;
  /** Set when the job is the uncached baseline of that run. */
  readonly baselineOf: string | null;
  /** Set when the job is the plain-steps run of that run; absent reads as null. */
  readonly fewerStepsOf?: string | null;
}

export interface Comparison {
  readonly psnr: Psnr;
  readonly maxDifference: number;
  readonly difference: RunImage;
}

/** A calibration job's news, from this window or another (calibrations are broadcast like runs). */
export type CalibrationEvent = TypedEvent<'calibrationQueued' | 'calibrationProgress' | 'calibrationDone' | 'calibrationFailed'>;

/** Everything the store asks of the outside world (renderer/lib/backend.ts over the contract; tests pass a fake). */
export interface StudioBackend {
  model(): Promise<ModelSummary>;
  generate(request: GenerationRequest, callbacks: JobCallbacks): Promise<RunHandle>;
  /** The uncached run of history entry `runId`, linked to it as its baseline by the host. */
  generateBaseline(runId: string, callbacks: JobCallbacks): Promise<RunHandle>;
  /** History entry `runId`'s request uncached at as many steps as it computed forwards, linked to it as its plain-steps run by the host. */
  generateFewerSteps(runId: string, callbacks: JobCallbacks): Promise<RunHandle>;
  cancel(jobId: string): Promise<void>;
  /** Jobs the host has not finished (running first): a reloaded page picks its run back up. */
  jobs(): Promise<PendingJob[]>;
  /** Follows a job this page did not start (its earlier step events are gone). */
  attach(jobId: string, callbacks: JobCallbacks): RunHandle;
  /** Queues a generation nobody follows yet (a batch's later images); attach() picks it up when it runs. */
  enqueue(request: GenerationRequest): Promise<string>;
  /** A job was queued, started or ended, in this window or another: the host's queue changed. */
  onJobsChanged(listener: () => void): () => void;
  /** The desktop app's native save dialog for a run's stored PNG (the path, or null when cancelled); absent in web mode, which downloads. */
  readonly saveImage?: (id: string, fileName: string) => Promise<string | null>;
  /** One page of the history, newest first: the entries after run `before` (omitted: from the newest). */
  history(before?: string): Promise<{ entries: RunEntry[]; more: boolean }>;
  image(id: string): Promise<RunImage>;
  /** Run `id` against run `against` (omitted: its uncached baseline). */
  compare(id: string, against?: string): Promise<Comparison>;
  removeRun(id: string): Promise<void>;
  /** The history changed (a run here or in another window): the entries added, rewritten and removed. */
  onHistoryChanged(listener: (delta: HistoryDelta) => void): () => void;
  /** Where the loaded model comes from, with the note to show when a remembered folder was not usable. */
  modelSource(): Promise<ModelSource>;
  /** Switches to folder `dir` (null: the built-in model); a refused folder comes back with its problems. */
  setModelFolder(dir: string | null): Promise<{ accepted: boolean; problems: ModelFolderProblem[]; source: ModelSource }>;
  /** The desktop app's native folder dialog (null when cancelled); absent in web mode, which types a path. */
  readonly pickModelFolder?: () => Promise<string | null>;
  /** The engine restarted on another model (this window or another switched it). */
  onModelChanged(listener: (source: ModelSource) => void): () => void;
  /** Queues a calibration of the loaded model; what follows arrives through onCalibration. Cancel it with cancel(jobId). */
  calibrate(request: CalibrationRequest): Promise<{ jobId: string }>;
  onCalibration(listener: (event: CalibrationEvent) => void): () => void;
  /** Whether the event stream is up (web mode can lose it; Electron always is). */
  onConnectionChange(listener: (connected: boolean) => void): () => void;
}
