// The host's queue as this window shows it (every unfinished job, from any window), batches of images with
// consecutive seeds, and cancelling a queued job. Renderer only.

import { toRequest } from '../lib/draft.ts';
import { toAppError } from '../lib/errors.ts';
import { MAX_SEED } from '../../main/core/request.ts';
import type { PendingJob, StudioBackend } from '../lib/types.ts';
import type { SliceCreator } from './types.ts';

/** Most images one Generate press may queue: a batch is a handful of seeds to choose from. */
export const MAX_BATCH = 8;

export interface QueueSlice {
  /** Unfinished jobs as the host last reported them, running first. */
  jobs: PendingJob[];
  /** Images one Generate press makes (1 to MAX_BATCH), each with the next seed. */
  batchCount: number;
  setBatchCount(count: number): void;
  refreshJobs(): Promise<void>;
  /** Queues `batchCount` images, seed, seed + 1, …, and follows them one after another. */
  generateBatch(): Promise<void>;
  /** Cancels a queued (or running) job by id; the queue view's per-row Cancel. */
  cancelJob(jobId: string): Promise<void>;
}

export const createQueueSlice =
  (backend: StudioBackend): SliceCreator<QueueSlice> =>
  (set, get) => ({
    jobs: [],
    batchCount: 1,
    setBatchCount(count) {
      set({ batchCount: Math.max(1, Math.min(MAX_BATCH, Math.round(Number.isFinite(count) ? count : 1))) });
    },
    async refreshJobs() {
      try {
        set({ jobs: await backend.jobs() });
      } catch {
        // The queue view is a convenience: a missed refresh is corrected by the next event.
      }
    },
    async generateBatch() {
      const { draft, batchCount } = get();
      if (!draft) return;
      if (batchCount <= 1) return get().generate();
      try {
        // Queued in seed order, so the host runs them in that order; this window follows each as it starts.
        for (let i = 0; i < batchCount; i++) await backend.enqueue(toRequest({ ...draft, seed: (draft.seed + i) % (MAX_SEED + 1) }));
      } catch (error) {
        set({ error: toAppError(error) });
      }
      await get().refreshJobs();
      await get().resumeJobs();
    },
    async cancelJob(jobId) {
      if (get().run?.jobId === jobId) return get().cancel();
      try {
        await backend.cancel(jobId);
      } catch (error) {
        set({ error: toAppError(error) });
      }
      await get().refreshJobs();
    },
  });
