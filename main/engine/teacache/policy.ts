// The contract every cache policy meets: a pure, deterministic decision per
// step, separate from the tensors it decides about. Runs anywhere (engine or
// renderer); imports nothing.

/** Why a step was computed or reused, for charts and logs. */
export type DecisionReason =
  | 'first-step'
  | 'skip-early'
  | 'cold-cache'
  | 'threshold'
  | 'reuse'
  | 'cache-off';

export interface Decision {
  readonly compute: boolean;
  readonly reason: DecisionReason;
  /** This step's contribution to the accumulator (0 when not evaluated). */
  readonly distance: number;
  /** The accumulator as compared against the threshold, before any reset. */
  readonly accumulated: number;
}

export interface CachePolicy {
  readonly name: string;
  readonly threshold: number;
  /**
   * Decides whether step `step` at time `timestep` must run the model.
   * `hasCache` says whether a computed output is available to reuse.
   */
  decide(step: number, timestep: number, hasCache: boolean): Decision;
  /** Records that the model ran at `timestep`. */
  markComputed(timestep: number): void;
}
