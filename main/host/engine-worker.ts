// The engine worker's entry: loads the backend and model once, then runs one generation at a time for
// EngineHost, posting each step as it completes. Runs on a worker_threads Worker; no Electron imports.

import { parentPort, workerData } from 'node:worker_threads';
import { openGenerator } from '../engine/engine.ts';
import type { Generator } from '../engine/generate.ts';
import { encodePng } from '../engine/io/png.ts';
import { parametersText, runRecord } from '../engine/io/run-record.ts';
import { resolveRequest } from '../engine/resolve-request.ts';
import { scheduleFor } from '../engine/sampler/schedule.ts';
import { IdSchema, toErrorPayload } from '../ipc/contract.ts';
import { FromWorkerSchema, ToWorkerSchema, WorkerOptionsSchema, type FromWorker, type ToWorker } from './worker-protocol.ts';

if (!parentPort) throw new Error('engine-worker.ts must run on a worker thread (EngineHost starts it).');
const port = parentPort;
const options = WorkerOptionsSchema.parse(workerData);

function post(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  // Checked here too, so a bad message fails loudly on the side that made it.
  port.postMessage(FromWorkerSchema.parse(message), transfer);
}

/** The job in flight, and the flag its sampler checks between steps. */
let current: { jobId: string; signal: { aborted: boolean } } | undefined;
const queue: Extract<ToWorker, { type: 'generate' }>[] = [];
let generator: Generator | undefined;

async function run(job: Extract<ToWorker, { type: 'generate' }>): Promise<void> {
  const gen = generator!;
  const signal = { aborted: false };
  current = { jobId: job.jobId, signal };
  try {
    const resolved = resolveRequest(gen.model, job.request);
    post({ type: 'started', jobId: job.jobId, request: resolved, timesteps: scheduleFor(resolved, gen.model.info.sizeMultiple) });
    let lastPreview = -Infinity;
    const result = await gen.generate(job.request, {
      signal,
      onStep: (event, previewRgb) => {
        post({ type: 'step', jobId: job.jobId, event });
        const now = performance.now();
        // The final image arrives with "done"; previews only fill the wait before it.
        if (event.index + 1 < event.total && now - lastPreview >= options.previewIntervalMs) {
          lastPreview = now;
          const png = encodePng(previewRgb(), resolved.width, resolved.height);
          post({ type: 'preview', jobId: job.jobId, index: event.index, width: resolved.width, height: resolved.height, png });
        }
      },
    });
    const record = runRecord(result);
    const png = encodePng(result.rgb, result.width, result.height, {
      parameters: parametersText(result),
      'teacache-studio': JSON.stringify({ ...record, events: undefined }),
    });
    post({
      type: 'done',
      jobId: job.jobId,
      result: {
        request: result.request,
        width: result.width,
        height: result.height,
        timesteps: [...result.timesteps],
        events: [...result.events],
        stats: result.stats,
        wallMs: result.wallMs,
        unknownWords: [...result.unknownWords],
        model: record.model,
        backend: result.backend,
        png,
      },
    });
  } catch (error) {
    post({ type: 'failed', jobId: job.jobId, error: toErrorPayload(error) });
  } finally {
    current = undefined;
  }
}

let draining = false;
async function drain(): Promise<void> {
  if (draining || !generator) return;
  draining = true;
  try {
    for (let job = queue.shift(); job; job = queue.shift()) await run(job);
  } finally {
    draining = false;
  }
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
      queue.push(message);
      void drain();
      break;
    case 'cancel': {
      if (current?.jobId === message.jobId) current.signal.aborted = true;
      const index = queue.findIndex((job) => job.jobId === message.jobId);
      if (index >= 0) {
        queue.splice(index, 1);
        post({ type: 'failed', jobId: message.jobId, error: { code: 'CANCELLED', message: 'The generation was cancelled.' } });
      }
      break;
    }
    case 'test-exit':
      if (options.testHooks) process.exit(message.code);
      break;
  }
});

try {
  generator = await openGenerator(options.modelDir ? { modelDir: options.modelDir } : {});
  // One throwaway step at the default settings traces the compiled blocks and
  // warms MLX's buffers, so the user's first run is not the slowest one (it
  // took twice as long as later runs, which skewed its measured speedup).
  await generator.generate({ prompt: '', seed: 0, steps: 1 });
  const { info, defaults } = generator.model;
  post({
    type: 'ready',
    info: {
      backend: { ...generator.backend },
      model: { ...info, notes: [...info.notes], defaults },
    },
  });
  void drain();
} catch (error) {
  const payload = toErrorPayload(error);
  // A backend that cannot load says how to fix it in its message; keep that, under a code the UI understands.
  post({ type: 'load-failed', error: payload.code === 'INTERNAL' ? { ...payload, code: 'BACKEND_UNAVAILABLE' } : payload });
}
