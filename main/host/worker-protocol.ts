// The messages between EngineHost (main thread) and the engine worker, as zod schemas each side checks on
// receipt (and only there): a worker is a process boundary too. Pure: no Node or Electron imports.

import { z } from 'zod';
import { GenerationRequestSchema } from '../core/request.ts';
import { CalibrationRequestSchema, EngineInfoSchema, ErrorPayloadSchema, events, IdSchema, RunRecordSchema } from '../core/contract.ts';

export const WorkerOptionsSchema = z.object({
  /** A model folder; the built-in model when omitted. */
  modelDir: z.string().optional(),
  /** Minimum time between preview images, in ms (longer when previews are costly: see preview-pacing.ts); 0 sends one after every step. */
  previewIntervalMs: z.number().nonnegative(),
  /**
   * The app's own folder for calibrations (under its data folder): where the built-in model's go, and any model's
   * whose folder is read-only. Omitted: such calibrations cannot be saved, and none are looked for there.
   */
  calibrationDir: z.string().optional(),
  /** Honour test-only messages (never set in the app). */
  testHooks: z.boolean(),
});
export type WorkerOptions = z.infer<typeof WorkerOptionsSchema>;

const Bytes = z.custom<Uint8Array>((value) => value instanceof Uint8Array, 'expected bytes (a Uint8Array)');

export const ToWorkerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('generate'), jobId: IdSchema, request: GenerationRequestSchema }),
  z.object({ type: z.literal('calibrate'), jobId: IdSchema, request: CalibrationRequestSchema }),
  z.object({ type: z.literal('cancel'), jobId: IdSchema }),
  /** Test hook: the worker exits at once (or, inside a generation, at the next step boundary). */
  z.object({ type: z.literal('test-exit'), code: z.number().int() }),
]);
export type ToWorker = z.infer<typeof ToWorkerSchema>;

/** A finished generation, as the worker hands it over: its run record, and the PNG (which carries the parameters chunk). */
export const WorkerResultSchema = RunRecordSchema.extend({ png: Bytes });
export type WorkerResult = z.infer<typeof WorkerResultSchema>;

/**
 * What the worker sends: its own lifecycle (ready, load-failed, protocol-error, a job's result) and contract events,
 * tagged with their contract name and shaped as the contract says, which the host passes on as they are (it adds
 * jobStarted's baselineOf and fewerStepsOf, which only it knows, and gathers steps into fewer of the same event).
 */
export const FromWorkerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), info: EngineInfoSchema }),
  z.object({ type: z.literal('load-failed'), error: ErrorPayloadSchema }),
  /** A finished generation; the service records it and announces it as jobDone. */
  z.object({ type: z.literal('result'), jobId: IdSchema, result: WorkerResultSchema }),
  /** The host sent something the worker could not read: a bug on the host side. */
  z.object({ type: z.literal('protocol-error'), jobId: IdSchema.optional(), message: z.string() }),
  events.jobStarted.omit({ baselineOf: true, fewerStepsOf: true }).extend({ type: z.literal('jobStarted') }),
  events.steps.extend({ type: z.literal('steps') }),
  events.preview.extend({ type: z.literal('preview') }),
  events.jobFailed.extend({ type: z.literal('jobFailed') }),
  events.calibrationProgress.extend({ type: z.literal('calibrationProgress') }),
  /** Saved, and in force for the next run. */
  events.calibrationDone.extend({ type: z.literal('calibrationDone') }),
  events.calibrationFailed.extend({ type: z.literal('calibrationFailed') }),
]);
export type FromWorker = z.infer<typeof FromWorkerSchema>;
