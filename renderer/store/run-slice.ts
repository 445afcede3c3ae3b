// The run in flight: its step events as they arrive, the latest preview, cancel,
// and how it ends (stored, cancelled or failed). Renderer only.

import { toRequest } from '../lib/draft.ts';
import { toAppError } from '../lib/errors.ts';
import { liveBatch, type LiveBatch } from '../lib/live-batch.ts';
import { fewerStepsRequest, uncachedRequest } from '../../main/core/request.ts';
import { fewerStepsPlan } from '../../main/core/run-links.ts';
import type { AppError, GenerationRequest, JobCallbacks, RunEntry, RunHandle, RunImage, StepEvent, StudioBackend } from '../lib/types.ts';
import type { SliceCreator } from './types.ts';

export type RunStatus = 'starting' | 'running' | 'cancelling' | 'cancelled' | 'failed';

/** 'reference' runs the same image uncached, for speedup and PSNR; 'fewer-steps' spends its forwards on plain steps. */
export type RunPurpose = 'run' | 'reference' | 'fewer-steps';

export interface LiveRun {
  /** Tells this run's callbacks from a later run's. */
  readonly token: number;
  readonly jobId: string | null;
  readonly purpose: RunPurpose;
  readonly status: RunStatus;
  readonly request: GenerationRequest;
  /** Steps the run will take (known from the settings before the first event). */
  readonly total: number;
  readonly events: readonly StepEvent[];
  readonly preview: RunImage | null;
  readonly cancelRequested: boolean;
}

export interface RunSlice {
  /** null when nothing runs and no cancelled or failed run is on screen (finished runs live in history). */
  run: LiveRun | null;
  /** The error banner; cleared by the next action or by dismissing it. */
  error: AppError | null;
  generate(): Promise<void>;
  /** Runs history entry `runId`'s settings with the cache off (its baseline), keeping the selection. */
  generateReference(runId: string): Promise<void>;
  /** Runs history entry `runId`'s settings uncached at as many steps as it computed forwards, keeping the selection. */
  generateFewerSteps(runId: string): Promise<void>;
  cancel(): Promise<void>;
  /** Picks up a job the host is still running (after a reload or from another window). */
  resumeJobs(): Promise<void>;
  /**
   * Back after the event stream dropped (the server may have restarted): the run on screen is kept if the host
   * still has it, shown finished if it reached the (reloaded) history meanwhile, and otherwise marked lost, so
   * Generate works again. Then picks up any other job the host runs.
   */
  reconcileJobs(): Promise<void>;
  dismissError(): void;
}

/** The host no longer knows a run this page was showing: it restarted (or crashed) while the run was in progress. */
export function lostRunError(run: LiveRun): AppError {
  return {
    code: 'RUN_LOST',
    message: `The engine restarted while this run was in progress (step ${run.events.length} of ${run.total}), so it was lost and nothing was saved. Press Generate to run it again.`,
    details: { jobId: run.jobId },
  };
}

export function isActive(run: LiveRun | null): boolean {
  return run !== null && (run.status === 'starting' || run.status === 'running' || run.status === 'cancelling');
}

export const createRunSlice =
  (backend: StudioBackend): SliceCreator<RunSlice> =>
  (set, get) => {
    let tokens = 0;
    /** The live events of the run on screen not yet applied (see live-batch.ts). */
    let live: LiveBatch | undefined;

    /** Applies `patch` only while run `token` is still the current one. */
    const update = (token: number, patch: (run: LiveRun) => Partial<LiveRun>) => {
      const { run } = get();
      if (run?.token === token) set({ run: { ...run, ...patch(run) } });
    };

    const start = async (
      request: GenerationRequest,
      purpose: RunPurpose,
      total: number,
      launch: (callbacks: JobCallbacks) => Promise<RunHandle>,
    ) => {
      if (isActive(get().run)) return;
      const token = ++tokens;
      set({
        error: null,
        run: { token, jobId: null, purpose, status: 'starting', request, total, events: [], preview: null, cancelRequested: false },
      });
      const running = (run: LiveRun): RunStatus => (run.status === 'starting' ? 'running' : run.status);
      live?.close();
      const batch = liveBatch((events, preview) =>
        update(token, (run) => {
          const seen = new Set(events.map((e) => e.index));
          const merged = [...run.events.filter((e) => !seen.has(e.index)), ...events].sort((a, b) => a.index - b.index);
          return { status: running(run), events: merged, ...(events.length > 0 ? { total: events[0]!.total } : {}), ...(preview ? { preview } : {}) };
        }),
      );
      live = batch;
      try {
        const handle = await launch({
          onStarted: (resolved) => update(token, (run) => ({ status: running(run), total: resolved.steps })),
          onSteps: (events) => batch.steps(events),
          onPreview: (_index, image) => batch.preview(image),
        });
        update(token, (run) => ({ jobId: handle.jobId, status: running(run) }));
        // Cancel pressed before the host named the job: honour it now.
        if (get().run?.token === token && get().run?.cancelRequested) void backend.cancel(handle.jobId).catch(() => undefined);
        const entry: RunEntry = await handle.finished;
        batch.close();
        if (get().run?.token !== token) return;
        get().addRun(entry, purpose === 'run');
        set({ run: null });
        // The run it is the baseline of comes rewritten (linked) in the host's historyChanged.
        // The next image of a batch (or another window's job) may already be running: follow it.
        void get().resumeJobs();
      } catch (thrown) {
        // A cancelled or failed run stays on screen: its last steps belong in its counts.
        batch.flush();
        batch.close();
        const error = toAppError(thrown);
        if (error.code === 'CANCELLED') update(token, () => ({ status: 'cancelled' }));
        else {
          update(token, () => ({ status: 'failed' }));
          set({ error });
        }
        if (get().run?.token === token) void get().resumeJobs();
      }
    };

    return {
      run: null,
      error: null,
      async generate() {
        const { draft, model } = get();
        if (!draft || !model) return;
        const request = toRequest(draft);
        await start(request, 'run', draft.steps, (callbacks) => backend.generate(request, callbacks));
      },
      async generateReference(runId) {
        const entry = get().history.find((e) => e.id === runId);
        if (!entry) return;
        const request = uncachedRequest(entry.request);
        await start(request, 'reference', entry.request.steps, (callbacks) => backend.generateBaseline(runId, callbacks));
      },
      async generateFewerSteps(runId) {
        const entry = get().history.find((e) => e.id === runId);
        if (!entry) return;
        const plan = fewerStepsPlan(entry);
        // The stage offers it only where there is something to compare; say why if asked anyway.
        if ('problem' in plan) {
          set({ error: { code: 'BAD_REQUEST', message: plan.message, details: { runId, problem: plan.problem } } });
          return;
        }
        await start(fewerStepsRequest(entry.request, plan.steps), 'fewer-steps', plan.steps, (callbacks) => backend.generateFewerSteps(runId, callbacks));
      },
      async cancel() {
        const { run } = get();
        if (!run || !isActive(run)) return;
        update(run.token, () => ({ status: 'cancelling', cancelRequested: true }));
        if (run.jobId === null) return;
        try {
          await backend.cancel(run.jobId);
        } catch (error) {
          set({ error: toAppError(error) });
        }
      },
      async resumeJobs() {
        if (isActive(get().run)) return;
        let jobs;
        try {
          jobs = await backend.jobs();
        } catch {
          // Nothing to resume is the safe reading; the next Generate reports any real fault.
          return;
        }
        // A job already filed in history has ended, whatever a stale listing says.
        const open = jobs.filter((j) => !get().history.some((e) => e.id === j.jobId));
        const job = open.find((j) => j.running) ?? open[0];
        if (!job) return;
        const total = job.request.steps ?? get().model?.defaults.steps ?? 1;
        const purpose: RunPurpose = job.baselineOf !== null ? 'reference' : job.fewerStepsOf ? 'fewer-steps' : 'run';
        await start(job.request, purpose, total, async (callbacks) => backend.attach(job.jobId, callbacks));
      },
      async reconcileJobs() {
        const { run } = get();
        // A run still waiting for its job id hears back from its own generate call, one way or the other.
        if (!run || !isActive(run) || run.jobId === null) return get().resumeJobs();
        let jobs;
        try {
          jobs = await backend.jobs();
        } catch {
          // Still unreachable: the next reconnect tries again.
          return;
        }
        if (get().run?.token !== run.token || jobs.some((job) => job.jobId === run.jobId)) return;
        const entry = get().history.find((e) => e.id === run.jobId);
        if (entry) {
          get().addRun(entry, run.purpose === 'run');
          set({ run: null });
        } else {
          // Its message counts the steps it reached, the ones still gathering included.
          live?.flush();
          update(run.token, () => ({ status: 'failed' }));
          set({ error: lostRunError(get().run ?? run) });
        }
        await get().resumeJobs();
      },
      dismissError() {
        set({ error: null });
      },
    };
  };
