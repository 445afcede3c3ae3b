// Calibrating the loaded model from the app: the job in flight (queued, run i of n, cancel), its fit once done,
// and the model's defaults updated so predictions and the next run use the new polynomial. Renderer only.

import { cacheDefaults, followDefaults } from '../lib/draft.ts';
import { toAppError } from '../lib/errors.ts';
import type { CalibrationEvent, CalibrationProgress, CalibrationRequest, CalibrationResult, StudioBackend } from '../lib/types.ts';
import type { SliceCreator } from './types.ts';

export type CalibrationStatus = 'starting' | 'queued' | 'running' | 'cancelling';

export interface LiveCalibration {
  /** null until the host names the job (its events may arrive first). */
  readonly jobId: string | null;
  readonly status: CalibrationStatus;
  readonly progress: CalibrationProgress | null;
}

export interface CalibrationSlice {
  /** The calibration in flight, this window's or another's; null when none is. */
  calibration: LiveCalibration | null;
  /** The last calibration that finished while this window watched, with its comparison against FLUX.1's polynomial. */
  calibrationResult: CalibrationResult | null;
  /** Set when the last calibration was cancelled, until the next starts. */
  calibrationCancelled: boolean;
  calibrate(request: CalibrationRequest): Promise<void>;
  cancelCalibration(): Promise<void>;
  /** Applies the host's news about any calibration (see bootStudio). */
  calibrationEvent(event: CalibrationEvent): void;
}

export const createCalibrationSlice =
  (backend: StudioBackend): SliceCreator<CalibrationSlice> =>
  (set, get) => {
    /** Whether an event about `jobId` concerns the calibration shown: ours, or one we are not yet following. */
    const follows = (jobId: string) => {
      const live = get().calibration;
      return live === null || live.jobId === null || live.jobId === jobId;
    };

    const finished = (result: CalibrationResult) => {
      const { model } = get();
      // The host's model changed whoever asked: the teacache policy resolves the new coefficients from now on.
      if (model && model.info.id === result.model.id) {
        const calibrated = { ...model, info: result.model, defaults: result.model.defaults, calibration: result.model.calibration ?? null };
        const { draft } = get();
        // A new polynomial has another scale: a teacache threshold left at the old default follows.
        const cache = draft && followDefaults(draft.cache, cacheDefaults(model, draft.cache.policy), cacheDefaults(calibrated, draft.cache.policy));
        set({ model: calibrated, ...(draft && cache ? { draft: { ...draft, cache } } : {}) });
      }
    };

    return {
      calibration: null,
      calibrationResult: null,
      calibrationCancelled: false,
      async calibrate(request) {
        if (get().calibration !== null) return;
        set({ calibration: { jobId: null, status: 'starting', progress: null }, calibrationResult: null, calibrationCancelled: false, error: null });
        try {
          const { jobId } = await backend.calibrate(request);
          const live = get().calibration;
          // None: it already ended (its events beat the reply); another id: we were following someone else's.
          if (!live || (live.jobId !== null && live.jobId !== jobId)) return;
          if (live.jobId === null) set({ calibration: { ...live, jobId } });
          // Cancel pressed before the host named the job: honour it now.
          if (live.status === 'cancelling') await backend.cancel(jobId);
        } catch (error) {
          set({ calibration: null, error: toAppError(error) });
        }
      },
      async cancelCalibration() {
        const live = get().calibration;
        if (!live || live.status === 'cancelling') return;
        set({ calibration: { ...live, status: 'cancelling' } });
        if (live.jobId === null) return;
        try {
          await backend.cancel(live.jobId);
        } catch (error) {
          set({ error: toAppError(error) });
        }
      },
      calibrationEvent(event) {
        if (event.type === 'calibrationDone') finished(event.result);
        if (!follows(event.jobId)) return;
        const live = get().calibration;
        switch (event.type) {
          case 'calibrationQueued':
            set({ calibration: { jobId: event.jobId, status: live?.status === 'cancelling' ? 'cancelling' : 'queued', progress: live?.progress ?? null }, calibrationCancelled: false });
            return;
          case 'calibrationProgress': {
            const { type, jobId, ...progress } = event;
            set({ calibration: { jobId, status: live?.status === 'cancelling' ? 'cancelling' : 'running', progress }, calibrationCancelled: false });
            return;
          }
          case 'calibrationDone':
            set({ calibration: null, calibrationResult: event.result });
            return;
          case 'calibrationFailed':
            // A job we never saw start (another window's, long gone) has nothing on screen to end.
            if (live === null) return;
            if (event.error.code === 'CANCELLED') set({ calibration: null, calibrationCancelled: true });
            else set({ calibration: null, error: toAppError(event.error) });
            return;
        }
      },
    };
  };
