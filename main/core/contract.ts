// THE contract between the UI and the main process: every request, response and event, named once, as zod
// schemas the TypeScript types derive from. Both transports (Electron IPC, web HTTP + WebSocket) carry exactly
// these. Pure: imports neither Electron nor Node, so main, preload, worker and renderer all share it.

import { z } from 'zod';
import { DEFAULT_CALIBRATION_DEGREE, DEFAULT_CALIBRATION_PROMPTS, minCalibrationSamples } from './teacache/default-prompts.ts';
import { CacheSettingsSchema, GenerationRequestSchema, MAX_SEED, ResolvedRequestSchema } from './request.ts';
import { CalibrationSchema } from './teacache/calibration.ts';
import { DECISION_REASONS } from './teacache/policy.ts';
import { ModelDefaultsSchema } from './model-info.ts';
import type { StepEvent } from './step-event.ts';

export { GenerationRequestSchema, ResolvedRequestSchema };
export type { GenerationRequest, ResolvedRequest } from './request.ts';

// ---------------------------------------------------------------------------------------------------------------
// Errors

export const ErrorCodeSchema = z.enum([
  // raised by the engine (main/core/errors.ts)
  'CANCELLED',
  'BAD_REQUEST',
  'MODEL_INVALID',
  'MODEL_NOT_FOUND',
  'BACKEND_UNAVAILABLE',
  'WORKER_CRASHED',
  'INTERNAL',
  // raised by the IPC layer, the host or the history
  'INVALID_PAYLOAD',
  'FORBIDDEN',
  'NOT_FOUND',
  'NO_BASELINE',
  'HISTORY_IO',
  'DISCONNECTED',
]);
export type ErrorCode = z.infer<typeof ErrorCodeSchema>;

/** How any failure crosses a process boundary: an Error's class cannot. */
export const ErrorPayloadSchema = z.object({
  code: ErrorCodeSchema,
  message: z.string(),
  details: z.unknown().optional(),
});
export type ErrorPayload = z.infer<typeof ErrorPayloadSchema>;

/** The one error class callers of the API see, whatever the transport. */
export class StudioError extends Error {
  override readonly name = 'StudioError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  static fromPayload(payload: ErrorPayload): StudioError {
    return new StudioError(payload.code, payload.message, payload.details);
  }

  toPayload(): ErrorPayload {
    return this.details === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, details: this.details };
  }
}

/** Any thrown value as a payload; errors with a known `code` (EngineError, StudioError) keep it. */
export function toErrorPayload(error: unknown): ErrorPayload {
  if (error instanceof StudioError) return error.toPayload();
  const candidate = error as { code?: unknown; message?: unknown; details?: unknown } | null;
  const known = ErrorCodeSchema.safeParse(candidate?.code);
  const message = typeof candidate?.message === 'string' ? candidate.message : String(error);
  if (known.success) {
    return candidate?.details === undefined ? { code: known.data, message } : { code: known.data, message, details: candidate.details };
  }
  return { code: 'INTERNAL', message };
}

/** Parses `value` or throws INVALID_PAYLOAD naming what was wrong where. */
export function parsePayload<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => ({ path: issue.path.map(String).join('.') || '(root)', message: issue.message }));
  throw new StudioError(
    'INVALID_PAYLOAD',
    `Invalid ${what}: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`,
    { what, issues },
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Shared shapes

export const DecisionReasonSchema = z.enum(DECISION_REASONS);

/** One step's cache decision and timing (main/engine/sampler/sampler.ts StepEvent). */
export const StepEventSchema = z.object({
  index: z.number().int().nonnegative(),
  total: z.number().int().positive(),
  timestep: z.number(),
  computed: z.boolean(),
  reason: DecisionReasonSchema,
  distance: z.number(),
  accumulated: z.number(),
  threshold: z.number().nullable(),
  ms: z.number().nonnegative(),
  signal: z.number().optional(),
});
export type StepEventPayload = z.infer<typeof StepEventSchema>;

export const BackendInfoSchema = z.object({
  name: z.enum(['npm', 'native']),
  package: z.string(),
  version: z.string(),
  device: z.enum(['cpu', 'gpu']),
  /** CPU lanes the engine runs on, where more than one. */
  lanes: z.number().int().positive().optional(),
});
export type BackendInfoPayload = z.infer<typeof BackendInfoSchema>;

/** Where a calibration is kept: the model folder, or the app's data folder when that one is read-only (or built in). */
export const CalibrationLocationSchema = z.enum(['model-folder', 'user-data']);
export type CalibrationLocation = z.infer<typeof CalibrationLocationSchema>;

/** The calibration in force for the loaded model: its polynomial (also in the model's defaults), fit and file. */
export const CalibrationSummarySchema = z.object({
  /** Highest power first; the teacache policy's polynomial while no request names its own. */
  coefficients: CalibrationSchema.shape.coefficients,
  fit: CalibrationSchema.shape.fit,
  /** Whether the weights were trained when calibrated: a fit on random weights describes noise. */
  trained: z.boolean(),
  createdAt: z.string(),
  location: CalibrationLocationSchema,
  /** The absolute path of the calibration file. */
  file: z.string(),
});
export type CalibrationSummary = z.infer<typeof CalibrationSummarySchema>;

/** Everything the UI needs to build, check and predict a request: `resolveRequest({ info: model, defaults: model.defaults }, request)`. */
export const ModelInfoSchema = z.object({
  id: z.string(),
  name: z.string(),
  /** False when running on seeded random weights: images will look like noise. */
  trained: z.boolean(),
  notes: z.array(z.string()),
  guidanceEmbedded: z.boolean(),
  sizeMultiple: z.number().int().positive(),
  maxSize: z.number().int().positive(),
  defaults: ModelDefaultsSchema,
  /** The calibration whose coefficients `defaults` carries; null (or absent) when the model has none. */
  calibration: CalibrationSummarySchema.nullable().optional(),
});
export type ModelInfoPayload = z.infer<typeof ModelInfoSchema>;

export const EngineInfoSchema = z.object({
  backend: BackendInfoSchema,
  model: ModelInfoSchema,
});
export type EngineInfo = z.infer<typeof EngineInfoSchema>;

export const IdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'ids are 1–64 letters, digits, "-" or "_"');

/** A PNG ready for an <img src>; small enough to travel inline. */
export const ImageSchema = z.object({
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  dataUrl: z.string().startsWith('data:image/png;base64,'),
});
export type Image = z.infer<typeof ImageSchema>;

/** PSNR in dB; "identical" where the images match exactly (PSNR is infinite, which JSON cannot carry). */
export const PsnrSchema = z.union([z.number(), z.literal('identical')]);
export type Psnr = z.infer<typeof PsnrSchema>;

export const StatsSchema = z.object({
  /** Steps that reused the cached model output. */
  hits: z.number().int().nonnegative(),
  /** Steps that ran the model. */
  misses: z.number().int().nonnegative(),
  forwards: z.number().int().nonnegative(),
  /**
   * What the steps cost in whole forwards (core/teacache/step-cost.ts): `forwards` plus what reused steps ran,
   * First-Block Cache's probes. Records made before it was counted have none (read through forwardEquivalentsOf).
   */
  forwardEquivalents: z.number().nonnegative().optional(),
});

/**
 * One finished run as recorded: the request as resolved, its schedule and every step, what it cost, and on which
 * model and backend. The one record schema: the worker's result is this plus its image (host/worker-protocol.ts),
 * a history entry this plus its id, time and links.
 */
export const RunRecordSchema = z.object({
  request: ResolvedRequestSchema,
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  /** The N+1 schedule points. */
  timesteps: z.array(z.number()),
  stats: StatsSchema,
  wallMs: z.number().nonnegative(),
  events: z.array(StepEventSchema),
  /** Prompt words the model does not know (read as <unk>). */
  unknownWords: z.array(z.string()),
  model: z.object({ id: z.string(), name: z.string(), trained: z.boolean() }),
  backend: BackendInfoSchema,
});
export type RunRecordFields = z.infer<typeof RunRecordSchema>;

/** One finished run, as kept in the history. Its id is the id of the job that made it. */
export const HistoryEntrySchema = z.object({
  id: IdSchema,
  /** ISO 8601. */
  createdAt: z.string(),
  ...RunRecordSchema.shape,
  /** Set on an uncached run made as the baseline of run `baselineOf`. */
  baselineOf: IdSchema.nullable(),
  /** Set on a run whose uncached baseline exists. */
  baseline: z
    .object({
      id: IdSchema,
      wallMs: z.number().nonnegative(),
      /** Baseline wall time over this run's. */
      speedup: z.number().nonnegative(),
      psnr: PsnrSchema,
    })
    .nullable(),
  // The plain-steps links came later: entries saved before them have neither field, which reads as null.
  /** Set on an uncached run of as many plain steps as run `fewerStepsOf` computed forwards (core/run-links.ts). */
  fewerStepsOf: IdSchema.nullable().optional(),
  /**
   * Set on a cached run whose plain-steps run exists: the same request uncached at `steps` = its forwards. Its
   * PSNR is the compare request's, against this run's uncached baseline, so it follows whichever baseline is linked.
   */
  fewerSteps: z
    .object({
      id: IdSchema,
      steps: z.number().int().positive(),
      wallMs: z.number().nonnegative(),
    })
    .nullable()
    .optional(),
});
export type HistoryEntry = z.infer<typeof HistoryEntrySchema>;

/** A change to the history: entries added, entries rewritten (e.g. a baseline linked or unlinked), ids removed. */
export const HistoryDeltaSchema = z
  .object({
    added: z.array(HistoryEntrySchema),
    updated: z.array(HistoryEntrySchema),
    removed: z.array(IdSchema),
  })
  .refine((delta) => delta.added.length + delta.updated.length + delta.removed.length > 0, 'a history change changes something');
export type HistoryDelta = z.infer<typeof HistoryDeltaSchema>;

export const JobStateSchema = z.enum(['queued', 'running']);

export const JobSummarySchema = z.object({
  jobId: IdSchema,
  state: JobStateSchema,
  request: GenerationRequestSchema,
  baselineOf: IdSchema.nullable(),
  /** Set when the job is the plain-steps run of that run. */
  fewerStepsOf: IdSchema.optional(),
});
export type JobSummary = z.infer<typeof JobSummarySchema>;

/** One reason a model folder cannot be used: the file (or folder) at fault and what was expected of it. */
export const ModelFolderProblemSchema = z.object({ path: z.string(), message: z.string() });
export type ModelFolderProblem = z.infer<typeof ModelFolderProblemSchema>;

/** Where the loaded model comes from; `note` says why a remembered folder was not used (the UI shows it). */
export const ModelSourceSchema = z.object({
  kind: z.enum(['builtin', 'folder']),
  /** The absolute folder; null for the built-in model. */
  dir: z.string().nullable(),
  note: z.string().nullable(),
});
export type ModelSource = z.infer<typeof ModelSourceSchema>;

/** A path the user typed or picked: bounded so a pasted blob cannot reach the file system. */
export const ModelFolderPathSchema = z
  .string()
  .trim()
  .min(1, 'give the path of a model folder')
  .max(4096, 'a folder path is at most 4096 characters')
  .refine((path) => !path.includes('\0'), 'a path cannot contain a NUL character');

// ---------------------------------------------------------------------------------------------------------------
// Calibration: fitting the loaded model's TeaCache polynomial (main/engine/calibration/calibrate.ts) from the app.

/** Most runs (prompts × seeds) one calibration may ask for: a careful fit needs a few dozen at most. */
export const MAX_CALIBRATION_RUNS = 64;
/** Step pairs the default fit needs (see minCalibrationSamples). */
export const MIN_CALIBRATION_SAMPLES = minCalibrationSamples(DEFAULT_CALIBRATION_DEGREE);

/** Omitted fields take the engine's choice: the default prompt set, seed 1, the model's steps. */
export const CalibrationRequestSchema = z
  .object({
    /** One prompt per run; omitted: DEFAULT_CALIBRATION_PROMPTS. */
    prompts: z
      .array(z.string().trim().min(1, 'a calibration prompt cannot be empty').max(2000, 'a prompt is at most 2000 characters'))
      .min(1, 'give at least one prompt, or leave prompts out for the default set')
      .max(MAX_CALIBRATION_RUNS, `at most ${MAX_CALIBRATION_RUNS} prompts`)
      .optional(),
    /** Every prompt runs once per seed; omitted: [1]. */
    seeds: z.array(z.number().int().min(0).max(MAX_SEED)).min(1, 'give at least one seed, or leave seeds out').max(16, 'at most 16 seeds').optional(),
    /** Steps per run; omitted: the model's default. */
    steps: z.number().int().min(2, 'a run needs at least 2 steps to compare one with the next').max(200, 'at most 200 steps a run').optional(),
  })
  .strict()
  .superRefine((value, context) => {
    const runs = (value.prompts?.length ?? DEFAULT_CALIBRATION_PROMPTS.length) * (value.seeds?.length ?? 1);
    if (runs > MAX_CALIBRATION_RUNS) {
      context.addIssue({ code: 'custom', path: ['seeds'], message: `${runs} runs (prompts × seeds) is more than ${MAX_CALIBRATION_RUNS}: use fewer prompts or seeds` });
    }
    if (value.steps !== undefined && runs * (value.steps - 1) < MIN_CALIBRATION_SAMPLES) {
      context.addIssue({
        code: 'custom',
        path: ['steps'],
        message: `${runs} run(s) of ${value.steps} steps give ${runs * (value.steps - 1)} step pairs, but a degree-${DEFAULT_CALIBRATION_DEGREE} fit needs ${MIN_CALIBRATION_SAMPLES}: use more steps or prompts`,
      });
    }
  });
export type CalibrationRequest = z.infer<typeof CalibrationRequestSchema>;

/** Where a calibration job is: run `run` of `runs` (prompt and seed), `step` of its `steps` steps done. */
export const CalibrationProgressSchema = z.object({
  run: z.number().int().positive(),
  runs: z.number().int().positive(),
  prompt: z.string(),
  seed: z.number().int().nonnegative(),
  step: z.number().int().nonnegative(),
  steps: z.number().int().positive(),
});
export type CalibrationProgress = z.infer<typeof CalibrationProgressSchema>;

/** A finished calibration: the fit, how FLUX.1's polynomial does on the same samples, and the model now in force. */
export const CalibrationResultSchema = CalibrationSummarySchema.extend({
  modelId: z.string(),
  runs: CalibrationSchema.shape.runs,
  /** FLUX.1's published polynomial on the same samples: what calibrating gained. */
  flux1: z.object({ rmse: z.number().nonnegative(), relativeError: z.number().nonnegative() }),
  /** The loaded model as it now stands: its defaults carry the new coefficients, used from the next run on. */
  model: ModelInfoSchema,
});
export type CalibrationResult = z.infer<typeof CalibrationResultSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Requests: name → input and output. Every input is an object so every transport validates one shape.

const Empty = z.object({}).strict();

/** Entries listHistory sends when no limit is given: a screenful of thumbnails, not the whole history at once. */
export const HISTORY_PAGE_SIZE = 50;
export const MAX_HISTORY_PAGE = 500;

/**
 * A request as the UI or an API client sends it: unknown keys are refused with their name (a typo such as "step"
 * would otherwise run the default). Only here: records and worker messages keep the engine's lenient schema.
 */
export const GenerationRequestInputSchema = GenerationRequestSchema.extend({ cache: CacheSettingsSchema.partial().strict().optional() }).strict();

export const requests = {
  /** Backend and model; waits for the engine to load. */
  getInfo: { input: Empty, output: EngineInfoSchema },
  /**
   * Queues a generation, once its size and cache options suit the loaded model (BAD_REQUEST otherwise, before
   * anything is queued). The job's events follow; its id becomes the history entry's id.
   */
  generate: { input: z.object({ request: GenerationRequestInputSchema }).strict(), output: z.object({ jobId: IdSchema }) },
  /** Queues the uncached run of history entry `runId`'s settings, linked to it as its baseline. */
  generateBaseline: { input: z.object({ runId: IdSchema }).strict(), output: z.object({ jobId: IdSchema }) },
  /**
   * Queues history entry `runId`'s request uncached with as many steps as it computed forwards, linked to it as its
   * plain-steps run: what the same cost buys without the cache. BAD_REQUEST, saying why, when there is nothing to compare.
   */
  generateFewerSteps: { input: z.object({ runId: IdSchema }).strict(), output: z.object({ jobId: IdSchema, steps: z.number().int().positive() }) },
  /**
   * Queues a calibration of the loaded model, run like a generation (never beside one). Its progress and outcome
   * follow as calibration events; once it succeeds the teacache policy uses the new polynomial. `cancel` stops it.
   */
  calibrate: { input: CalibrationRequestSchema, output: z.object({ jobId: IdSchema }) },
  /** Cancels a queued or running job, generation or calibration (a running one stops at its next step); false when it had already ended. */
  cancel: { input: z.object({ jobId: IdSchema }).strict(), output: z.object({ cancelled: z.boolean() }) },
  /** Jobs not yet finished, running first: lets a reloaded page pick up where it was. */
  listJobs: { input: Empty, output: z.object({ jobs: z.array(JobSummarySchema) }) },
  /**
   * One page of the history, newest first: the `limit` entries (default HISTORY_PAGE_SIZE) after entry `before`
   * (omitted: from the newest); `more` says whether older ones remain. NOT_FOUND when `before` is gone.
   */
  listHistory: {
    input: z
      .object({ before: IdSchema.optional(), limit: z.number().int().min(1).max(MAX_HISTORY_PAGE, `at most ${MAX_HISTORY_PAGE} entries a page`).optional() })
      .strict(),
    output: z.object({ entries: z.array(HistoryEntrySchema), more: z.boolean() }),
  },
  getImage: { input: z.object({ id: IdSchema }).strict(), output: ImageSchema },
  deleteRun: { input: z.object({ id: IdSchema }).strict(), output: z.object({ deleted: z.boolean() }) },
  /** Compares run `id` with `against` (default: its baseline; NO_BASELINE when it has none). */
  compare: {
    input: z.object({ id: IdSchema, against: IdSchema.optional() }).strict(),
    output: z.object({
      id: IdSchema,
      against: IdSchema,
      psnr: PsnrSchema,
      /** Largest per-channel difference, 0–255. */
      maxDifference: z.number().nonnegative(),
      meanDifference: z.number().nonnegative(),
      /** Per-pixel absolute difference, amplified so small errors show. */
      difference: ImageSchema,
    }),
  },
  /** Which model is loaded and why (a remembered folder that no longer validates falls back to the built-in one). */
  getModelSource: { input: Empty, output: ModelSourceSchema },
  /**
   * Checks folder `dir` (null: the built-in model) and, when it has no problems, restarts the engine on it and
   * remembers it. A folder with problems is refused (`accepted: false`) and the running model is left alone.
   */
  setModelFolder: {
    input: z.object({ dir: ModelFolderPathSchema.nullable() }).strict(),
    output: z.object({ accepted: z.boolean(), problems: z.array(ModelFolderProblemSchema), source: ModelSourceSchema }),
  },
} as const satisfies Record<string, { input: z.ZodType; output: z.ZodType }>;

export type RequestName = keyof typeof requests;
export type RequestInput<K extends RequestName> = z.infer<(typeof requests)[K]['input']>;
export type RequestOutput<K extends RequestName> = z.infer<(typeof requests)[K]['output']>;
export const REQUEST_NAMES = Object.keys(requests) as RequestName[];

// ---------------------------------------------------------------------------------------------------------------
// Events: main → UI, broadcast to every window / web client.

export const events = {
  /** `baselineOf` and `fewerStepsOf` as in JobSummary: which run the job was queued to measure, if any. */
  jobQueued: z.object({ jobId: IdSchema, request: GenerationRequestSchema, baselineOf: IdSchema.nullable(), fewerStepsOf: IdSchema.optional(), position: z.number().int().nonnegative() }),
  /** The job left the queue; `request` has every default filled in. */
  jobStarted: z.object({ jobId: IdSchema, request: ResolvedRequestSchema, timesteps: z.array(z.number()), baselineOf: IdSchema.nullable(), fewerStepsOf: IdSchema.optional() }),
  /** Step events in order, batched (a few per message at most). */
  steps: z.object({ jobId: IdSchema, events: z.array(StepEventSchema).min(1) }),
  /** The current image estimate after step `index`, sent now and then. */
  preview: z.object({ jobId: IdSchema, index: z.number().int().nonnegative(), image: ImageSchema }),
  jobDone: z.object({ jobId: IdSchema, entry: HistoryEntrySchema }),
  /** Includes cancellation (code CANCELLED) and worker crashes (WORKER_CRASHED). */
  jobFailed: z.object({ jobId: IdSchema, error: ErrorPayloadSchema }),
  /** What changed in the history, as the entries themselves: apply it to what is shown, no re-download needed. */
  historyChanged: HistoryDeltaSchema,
  /** The engine restarted on another model: fetch getInfo again. */
  modelChanged: z.object({ source: ModelSourceSchema }),
  calibrationQueued: z.object({ jobId: IdSchema, request: CalibrationRequestSchema, position: z.number().int().nonnegative() }),
  /** The latest progress of a running calibration (several steps' worth may be folded into one). */
  calibrationProgress: CalibrationProgressSchema.extend({ jobId: IdSchema }),
  /** Saved and in force: the result's `model` replaces the loaded model's info. */
  calibrationDone: z.object({ jobId: IdSchema, result: CalibrationResultSchema }),
  /** Includes cancellation (code CANCELLED); any earlier calibration stays in force and on disk. */
  calibrationFailed: z.object({ jobId: IdSchema, error: ErrorPayloadSchema }),
} as const satisfies Record<string, z.ZodType>;

export type EventName = keyof typeof events;
export type EventPayload<K extends EventName> = z.infer<(typeof events)[K]>;
export const EVENT_NAMES = Object.keys(events) as EventName[];

/** One event as a transport carries it. */
export type EventMessage<K extends EventName = EventName> = { [P in K]: { readonly name: P; readonly payload: EventPayload<P> } }[K];

/**
 * The same event inside a process (worker → host → service, and the renderer's store): its name as `type` beside
 * its payload's fields. Nothing renames or reshapes it on the way; the service wraps it as an EventMessage.
 */
export type TypedEvent<K extends EventName = EventName> = { [P in K]: { readonly type: P } & EventPayload<P> }[K];

// ---------------------------------------------------------------------------------------------------------------
// The typed API the renderer uses. Both transports produce exactly this (see client.ts).

export type Unsubscribe = () => void;
export type Listener<K extends EventName> = (payload: EventPayload<K>) => void;

export interface StudioApi {
  getInfo(): Promise<EngineInfo>;
  generate(request: RequestInput<'generate'>['request']): Promise<RequestOutput<'generate'>>;
  generateBaseline(runId: string): Promise<RequestOutput<'generateBaseline'>>;
  generateFewerSteps(runId: string): Promise<RequestOutput<'generateFewerSteps'>>;
  cancel(jobId: string): Promise<RequestOutput<'cancel'>>;
  listJobs(): Promise<RequestOutput<'listJobs'>>;
  listHistory(page?: RequestInput<'listHistory'>): Promise<RequestOutput<'listHistory'>>;
  getImage(id: string): Promise<Image>;
  deleteRun(id: string): Promise<RequestOutput<'deleteRun'>>;
  compare(id: string, against?: string): Promise<RequestOutput<'compare'>>;
  onJobQueued(listener: Listener<'jobQueued'>): Unsubscribe;
  onJobStarted(listener: Listener<'jobStarted'>): Unsubscribe;
  onSteps(listener: Listener<'steps'>): Unsubscribe;
  onPreview(listener: Listener<'preview'>): Unsubscribe;
  onJobDone(listener: Listener<'jobDone'>): Unsubscribe;
  onJobFailed(listener: Listener<'jobFailed'>): Unsubscribe;
  onHistoryChanged(listener: Listener<'historyChanged'>): Unsubscribe;
  getModelSource(): Promise<ModelSource>;
  setModelFolder(dir: string | null): Promise<RequestOutput<'setModelFolder'>>;
  onModelChanged(listener: Listener<'modelChanged'>): Unsubscribe;
  calibrate(request?: RequestInput<'calibrate'>): Promise<RequestOutput<'calibrate'>>;
  onCalibrationQueued(listener: Listener<'calibrationQueued'>): Unsubscribe;
  onCalibrationProgress(listener: Listener<'calibrationProgress'>): Unsubscribe;
  onCalibrationDone(listener: Listener<'calibrationDone'>): Unsubscribe;
  onCalibrationFailed(listener: Listener<'calibrationFailed'>): Unsubscribe;
  /** Electron only: the native folder picker; resolves with the chosen folder, or null when cancelled. */
  pickModelFolder?(): Promise<string | null>;
  /** Electron only: saves run `id`'s stored PNG where the user picks; resolves with the path, or null when cancelled. */
  saveImage?(input: SaveImageInput): Promise<string | null>;
  /** Web transport only: whether the event stream is connected (Electron: always true). */
  onConnectionChange(listener: (connected: boolean) => void): Unsubscribe;
}

/** What a request returns across a transport that cannot carry thrown errors (contextBridge, HTTP). */
export type Envelope<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ErrorPayload };

/**
 * What the Electron preload exposes on `window[BRIDGE_GLOBAL]`: one named function per request, returning an
 * envelope, and one named subscription per event. Unvalidated on the renderer side until client.ts wraps it.
 */
export type StudioBridge = {
  readonly [K in RequestName]: (input: RequestInput<K>) => Promise<Envelope<unknown>>;
} & {
  readonly [K in EventName as `on${Capitalize<K>}`]: (listener: (payload: unknown) => void) => Unsubscribe;
} & {
  /** Electron only (the preload has it; web mode does not): the native folder dialog. */
  readonly pickModelFolder?: () => Promise<Envelope<unknown>>;
  /** Electron only: the native save dialog for a run's image (web mode downloads it instead). */
  readonly saveImage?: (input: SaveImageInput) => Promise<Envelope<unknown>>;
};

export const BRIDGE_GLOBAL = 'studioBridge';

/** Electron channel names, derived so main and preload cannot disagree. */
export const ipcChannel = {
  request: (name: RequestName) => `studio:request:${name}`,
  event: (name: EventName) => `studio:event:${name}`,
  /** The native folder dialog; not a contract request, since web mode has no such thing. */
  pickModelFolder: 'studio:pick-model-folder',
  /** The native save dialog for a run's image; likewise Electron only (web mode downloads). */
  saveImage: 'studio:save-image',
} as const;

/** What pickModelFolder's envelope carries: the chosen folder, or null when the dialog was cancelled. */
export const PickedFolderSchema = z.string().nullable();

/**
 * saveImage's input: the run whose stored PNG (parameters chunk and all) is written, and the file name the dialog
 * suggests, which the main side never uses as a path without the user's choice.
 */
export const SaveImageInputSchema = z
  .object({
    id: IdSchema,
    fileName: z.string().regex(/^[A-Za-z0-9 _.,()-]{1,120}\.png$/, 'a file name is 1–120 letters, digits, spaces or "_.,()-", ending in .png'),
  })
  .strict();
export type SaveImageInput = z.infer<typeof SaveImageInputSchema>;

/** What saveImage's envelope carries: the path written, or null when the dialog was cancelled. */
export const SavedImageSchema = z.string().nullable();

/** Web transport paths. */
export const webPaths = {
  /** POST JSON input; 200 with the output, or 4xx/5xx with an ErrorPayload. */
  request: (name: RequestName) => `/api/${name}`,
  /** WebSocket; the server sends EventMessage JSON. */
  events: '/api/events',
} as const;

// Compile-time checks that the schemas match the engine's own types.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const stepEventMatches: Same<StepEventPayload, { -readonly [K in keyof StepEvent]: StepEvent[K] }> = true;
void stepEventMatches;
type ApiCovers = Same<Extract<keyof StudioApi, RequestName>, RequestName> &
  Same<Extract<keyof StudioApi, `on${Capitalize<EventName>}`>, `on${Capitalize<EventName>}`>;
const apiCovers: ApiCovers = true;
void apiCovers;
