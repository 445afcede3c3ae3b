// One sampler step's outcome, the event every layer passes on (worker, host, service, transports, renderer,
// CLI). Pure.

import type { DecisionReason } from './teacache/policy.ts';

/** One step's outcome, as charts, logs and reports see it. */
export interface StepEvent {
  readonly index: number;
  readonly total: number;
  readonly timestep: number;
  readonly computed: boolean;
  readonly reason: DecisionReason;
  /** The policy's distance for this step (0 when it was not evaluated). */
  readonly distance: number;
  /** The accumulator compared against the threshold, before any reset. */
  readonly accumulated: number;
  /** null when caching is off. */
  readonly threshold: number | null;
  /** Wall time of the step, model and update included. */
  readonly ms: number;
  /**
   * Input-side change since the previous step (relative L1 of the first
   * block's modulated input), when it was measured; a recorded trace of these
   * lets the teacache policy be predicted for any threshold.
   */
  readonly signal?: number;
  /**
   * mean over tokens of ‖r‖/‖r_previous‖ for the blocks' residual r against the previous computed
   * step's (1 at step 0), when the signal was measured: an uncached run's list of these is
   * MagCache's calibration.
   */
  readonly magnitudeRatio?: number;
}
