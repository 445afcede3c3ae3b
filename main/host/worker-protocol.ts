// The messages between EngineHost (main thread) and the engine worker, as zod schemas both sides check on
// receipt: a worker is a process boundary too. Pure: no Node or Electron imports.

import { z } from 'zod';
import { GenerationRequestSchema, ResolvedRequestSchema } from '../core/request.ts';
import {
  CalibrationProgressSchema,
  CalibrationRequestSchema,
  CalibrationResultSchema,
  EngineInfoSchema,
  ErrorPayloadSchema,
  IdSchema,
  RunRecordSchema,
  StepEventSchema,
} from '../core/contract.ts';

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

export const FromWorkerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), info: EngineInfoSchema }),
  z.object({ type: z.literal('load-failed'), error: ErrorPayloadSchema }),
  z.object({ type: z.literal('started'), jobId: IdSchema, request: ResolvedRequestSchema, timesteps: z.array(z.number()) }),
  z.object({ type: z.literal('step'), jobId: IdSchema, event: StepEventSchema }),
  z.object({ type: z.literal('preview'), jobId: IdSchema, index: z.number().int().nonnegative(), width: z.number().int().positive(), height: z.number().int().positive(), png: Bytes }),
  z.object({ type: z.literal('done'), jobId: IdSchema, result: WorkerResultSchema }),
  z.object({ type: z.literal('failed'), jobId: IdSchema, error: ErrorPayloadSchema }),
  z.object({ type: z.literal('calibration-progress'), jobId: IdSchema, progress: CalibrationProgressSchema }),
  /** Saved, and in force for the next run. */
  z.object({ type: z.literal('calibration-done'), jobId: IdSchema, result: CalibrationResultSchema }),
  /** The host sent something the worker could not read: a bug on the host side. */
  z.object({ type: z.literal('protocol-error'), jobId: IdSchema.optional(), message: z.string() }),
]);
export type FromWorker = z.infer<typeof FromWorkerSchema>;
