// The engine worker's entry: loads the backend and model once (with the calibration in force for it), then runs
// one job at a time for EngineHost, generation or calibration, posting progress as it goes. Runs on a
// worker_threads Worker; no Electron imports.

import { constants, getPriority, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { calibrateModel } from '../engine/calibration/calibrate.ts';
import { withCalibration } from '../engine/calibration/calibrated-model.ts';
import { DEFAULT_CALIBRATION_PROMPTS } from '../core/teacache/default-prompts.ts';
import { loadEngine } from '../engine/engine.ts';
import { CancelledError } from '../core/errors.ts';
import { Generator } from '../engine/generate.ts';
import { encodePng, pngDataUrl } from '../engine/io/png.ts';
import { recordFields, recordPng } from '../engine/io/run-record.ts';
import { IdSchema, toErrorPayload, type EngineInfo, type ErrorPayload } from '../core/contract.ts';
import { calibrationPlace, calibrationSummary, saveCalibration, type StoredCalibration } from '../engine/calibration/calibration-store.ts';
import { ToWorkerSchema, WorkerOptionsSchema, type FromWorker, type ToWorker } from './worker-protocol.ts';
import { PreviewPacer } from './preview-pacing.ts';
import type { ImageModel } from '../engine/models/image-model.ts';

if (!parentPort) throw new Error('engine-worker.ts must run on a worker thread (EngineHost starts it).');
const port = parentPort;
const options = WorkerOptionsSchema.parse(workerData);

// Linux keeps a nice value per thread, and a thread passes its own to the threads it starts: lowered here, before the
// backend loads, it covers MLX's stream threads and OpenBLAS's too. A run keeps every core busy, and on a machine
// with few of them the app's own thread (IPC, the web server) and the page then waited seconds for a turn: a 64 px
// run's Cancel took 6.6 s to reach the server and 2 s more to be answered on two cores. (On macOS the call would
// lower the whole app, and Metal runs the work elsewhere anyway.)
// Only ever lowered (an app started under `nice` stays where it is), and a refusal leaves the engine as it was.
if (process.platform === 'linux' && getPriority(0) < constants.priority.PRIORITY_BELOW_NORMAL) {
  try {
    setPriority(0, constants.priority.PRIORITY_BELOW_NORMAL);
  } catch {
    // Without the lower priority the engine still runs; the app is only less responsive on few cores.
  }
}

/** Typed here and validated once, where it is received (EngineHost). */
function post(message: FromWorker): void {
  port.postMessage(message);
}

type Job = Extract<ToWorker, { type: 'generate' | 'calibrate' }>;

/**
 * The job in flight, and the flag its sampler checks between steps. The host keeps the one queue and hands this
 * worker a job only once it is ready and idle, so there is never a second one to hold here.
 */
let current: { jobId: string; signal: { aborted: boolean } } | undefined;
/** The model as loaded, never replaced while this worker lives. */
let loaded: Generator | undefined;
/** What runs: `loaded`, or a view of its model carrying the calibration in force (see useCalibration). */
let generator: Generator | undefined;
let calibration: StoredCalibration | undefined;
/** Calibration files that could not be read at load, for the model's notes. */
let calibrationNotes: string[] = [];
const place = calibrationPlace(options.modelDir, options.calibrationDir);
let weights: Record<string, string> = {};

/**
 * Puts `stored` in force without reloading anything: resolveRequest reads the teacache coefficients from the
 * model's defaults, so the next run's policy uses them. Always built on the model as loaded.
 */
function useCalibration(stored: StoredCalibration | undefined): void {
  const base = loaded!;
  calibration = stored;
  generator = stored ? new Generator(base.mx, base.backend, withCalibration(base.model, stored.calibration)) : base;
}

function engineInfo(): EngineInfo {
  const gen = generator!;
  const { info, defaults } = gen.model;
  return {
    backend: { ...gen.backend },
    model: { ...info, notes: [...info.notes, ...calibrationNotes], defaults, calibration: calibration ? calibrationSummary(calibration) : null },
  };
}

async function run(job: Job): Promise<void> {
  if (job.type === 'calibrate') return calibrate(job);
  const gen = generator!;
  const signal = { aborted: false };
  current = { jobId: job.jobId, signal };
  try {
    const resolvedRun = gen.resolve(job.request);
    const resolved = resolvedRun.request;
    post({ type: 'jobStarted', jobId: job.jobId, request: resolved, timesteps: [...resolvedRun.timesteps] });
    const previews = new PreviewPacer(options.previewIntervalMs);
    const result = await gen.generateResolved(resolvedRun, {
      signal,
      onStep: (event, previewRgb) => {
        post({ type: 'steps', jobId: job.jobId, events: [event] });
        const started = performance.now();
        // The final image arrives with the "result"; previews only fill the wait before it.
        if (event.index + 1 < event.total && previews.due(started)) {
          const dataUrl = pngDataUrl(encodePng(previewRgb(), resolved.width, resolved.height));
          previews.made(started, performance.now());
          post({ type: 'preview', jobId: job.jobId, index: event.index, image: { width: resolved.width, height: resolved.height, dataUrl } });
        }
      },
    });
    post({ type: 'result', jobId: job.jobId, result: { ...recordFields(result), png: recordPng(result) } });
  } catch (error) {
    post({ type: 'jobFailed', jobId: job.jobId, error: toErrorPayload(error) });
  } finally {
    current = undefined;
  }
}

/** Fits the loaded model's polynomial, saves it, and only then puts it in force; any failure changes nothing. */
async function calibrate(job: Extract<ToWorker, { type: 'calibrate' }>): Promise<void> {
  const gen = generator!;
  const signal = { aborted: false };
  current = { jobId: job.jobId, signal };
  try {
    // The contract already trimmed the prompts and refused empty ones, so run i is prompt ⌊i / seeds⌋.
    const prompts = job.request.prompts ?? [...DEFAULT_CALIBRATION_PROMPTS];
    const seeds = job.request.seeds ?? [1];
    const runs = prompts.length * seeds.length;
    let run = 1;
    const progress = (step: number, steps: number) => {
      const index = run - 1;
      post({ type: 'calibrationProgress', jobId: job.jobId, run, runs, prompt: prompts[Math.floor(index / seeds.length)]!, seed: seeds[index % seeds.length]!, step, steps });
    };
    const steps = job.request.steps ?? gen.model.defaults.steps;
    progress(0, steps);
    const outcome = await calibrateModel(gen, {
      prompts,
      seeds,
      steps,
      weights,
      signal,
      onStep: (event) => progress(event.index + 1, event.total),
      onRun: (done) => {
        if (done >= runs) return;
        run = done + 1;
        progress(0, steps);
      },
    });
    // Cancelled after the last step: the user still asked for nothing to change.
    if (signal.aborted) throw new CancelledError();
    const stored = await saveCalibration(place, outcome.calibration);
    useCalibration(stored);
    post({
      type: 'calibrationDone',
      jobId: job.jobId,
      result: { ...calibrationSummary(stored), modelId: outcome.calibration.modelId, runs: outcome.calibration.runs, flux1: outcome.flux1, model: engineInfo().model },
    });
  } catch (error) {
    post({ type: 'calibrationFailed', jobId: job.jobId, error: calibrationError(error) });
  } finally {
    current = undefined;
  }
}

function calibrationError(error: unknown): ErrorPayload {
  const payload = toErrorPayload(error);
  if (payload.code === 'CANCELLED') return { code: 'CANCELLED', message: 'The calibration was cancelled; the earlier polynomial stays in force.' };
  // calibrateModel and the fit say what was wrong with the inputs (too few samples, no prompts) as RangeErrors.
  if (payload.code === 'INTERNAL' && error instanceof RangeError) return { ...payload, code: 'BAD_REQUEST' };
  return payload;
}

/** Runs `job` now; a job sent before "ready" or beside another breaks the host's side of the protocol. */
function start(job: Job): void {
  if (!generator || current) {
    post({ type: job.type === 'calibrate' ? 'calibrationFailed' : 'jobFailed', jobId: job.jobId, error: { code: 'INTERNAL', message: `The engine worker got job ${job.jobId} while ${generator ? `running ${current!.jobId}` : 'still loading'}; the host sends one job at a time, once the worker is ready.` } });
    return;
  }
  void run(job);
}

port.on('message', (raw: unknown) => {
  const parsed = ToWorkerSchema.safeParse(raw);
  if (!parsed.success) {
    const jobId = IdSchema.safeParse((raw as { jobId?: unknown } | null)?.jobId);
    post({
      type: 'protocol-error',
      ...(jobId.success ? { jobId: jobId.data } : {}),
      message: `The engine worker got a message it cannot read: ${parsed.error.message}`,
    });
    return;
  }
  const message = parsed.data;
  switch (message.type) {
    case 'generate':
    case 'calibrate':
      start(message);
      break;
    case 'cancel':
      // Queued jobs are the host's to cancel; only the one in flight is here.
      if (current?.jobId === message.jobId) current.signal.aborted = true;
      break;
    case 'test-exit':
      if (options.testHooks) process.exit(message.code);
      break;
  }
});

/** The warm-up's largest side: the built-in model's default is far below it, a megapixel model's far above. */
const WARMUP_SIDE = 256;

function warmupSize({ info, defaults }: Pick<ImageModel, 'info' | 'defaults'>): { width: number; height: number } {
  const side = (length: number) => Math.max(info.sizeMultiple, Math.floor(Math.min(length, WARMUP_SIDE) / info.sizeMultiple) * info.sizeMultiple);
  return { width: side(defaults.width), height: side(defaults.height) };
}

try {
  const engine = await loadEngine({ ...(options.modelDir ? { modelDir: options.modelDir } : {}), ...(options.calibrationDir !== undefined ? { calibrationDir: options.calibrationDir } : {}) });
  loaded = engine.loaded;
  weights = engine.calibration.weights;
  calibrationNotes = engine.calibration.notes;
  useCalibration(engine.calibration.stored);
  // One throwaway step traces the compiled blocks and warms MLX's buffers, so
  // the user's first run is not the slowest one (it took twice as long as later
  // runs, which skewed its measured speedup). At a checkpoint model's megapixel
  // default that step and its decode would hold the model back from the user
  // for seconds on Metal and minutes on a CPU, so it runs at most WARMUP_SIDE square.
  await loaded.generate({ prompt: '', seed: 0, steps: 1, ...warmupSize(loaded.model) });
  post({ type: 'ready', info: engineInfo() });
} catch (error) {
  const payload = toErrorPayload(error);
  // A backend that cannot load says how to fix it in its message; keep that, under a code the UI understands.
  post({ type: 'load-failed', error: payload.code === 'INTERNAL' ? { ...payload, code: 'BACKEND_UNAVAILABLE' } : payload });
}
