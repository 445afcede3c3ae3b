// The contract every cache policy meets: a pure, deterministic decision per
// step, separate from the tensors it decides about. Runs anywhere (engine or
// renderer); imports nothing.

/** Every reason a step may be computed or reused; the IPC contract validates against this list. */
export const DECISION_REASONS = [
  'first-step',
  'skip-early',
  'cold-cache',
  'threshold',
  'reuse',
  'cache-off',
  'last-step',
  'outside-window',
  'max-reuse',
] as const;

/** Why a step was computed or reused, for charts and logs. */
export type DecisionReason = (typeof DECISION_REASONS)[number];

/** The policies a request may name (the UI's policy selector lists these). */
export const POLICY_NAMES = ['seed', 'timestep-consecutive', 'teacache', 'magcache', 'first-block', 'easycache'] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

/**
 * What a reused step stands in for the model's work: the last output (the
 * seed's), the transformer blocks' residual (original TeaCache: embedders and
 * final layer still run), or a first-order extrapolation from the last two
 * computed outputs (TaylorSeer-style), a second-order one from the last
 * three (TaylorSeer with two finite differences), or HiCache's scaled Hermite
 * forecast from the same three, damped to stay stable over long gaps.
 */
export const REUSE_MODES = ['output', 'residual', 'taylor', 'taylor2', 'hermite'] as const;
export type ReuseMode = (typeof REUSE_MODES)[number];

/** How the teacache policy adds up its signal (see TeaCachePolicyConfig.accumulate). */
export const TEACACHE_ACCUMULATIONS = ['consecutive', 'since-compute'] as const;
export type TeaCacheAccumulation = (typeof TEACACHE_ACCUMULATIONS)[number];

export interface Decision {
  readonly compute: boolean;
  readonly reason: DecisionReason;
  /** This step's contribution to the accumulator (0 when not evaluated). */
  readonly distance: number;
  /** The accumulator as compared against the threshold, before any reset. */
  readonly accumulated: number;
}

/** What a policy may know about a step beyond its index and time. */
export interface StepContext {
  /** Steps in the whole run, so policies can treat the last one and windows. */
  readonly totalSteps: number;
  /**
   * Input-side change since the previous step: relative L1 distance of the
   * first block's timestep-modulated input. Undefined at step 0 or when the
   * model cannot measure it.
   */
  readonly signal?: number | undefined;
  /**
   * mean|x − x at the last computed step|: how far the latent has moved since the model last ran
   * (EasyCache's input change). Undefined when the policy does not ask for it.
   */
  readonly inputChange?: number | undefined;
}

/** What the sampler measured at a computed step, for policies that learn from the model's own outputs. */
export interface ComputeObservation {
  /** mean|x − x at the previous computed step|; undefined at the first compute. */
  readonly inputChange: number | undefined;
  /** mean|v − v at the previous computed step|; undefined at the first compute. */
  readonly outputChange: number | undefined;
  /** mean|v|. */
  readonly outputNorm: number;
}

/** Which measurement a signal-reading policy compares: TeaCache's modulated input, or the first block's residual. */
export type SignalSource = 'modulated-input' | 'first-block-residual';

export interface CachePolicy {
  readonly name: string;
  readonly threshold: number;
  /** True when `decide` needs `context.signal`: the sampler must then measure it every step. */
  readonly needsSignal?: boolean;
  /** Where `context.signal` comes from when needsSignal; 'modulated-input' when omitted. */
  readonly signalSource?: SignalSource;
  /** True when `decide` needs `context.inputChange` and `observe` after each compute. */
  readonly needsObservations?: boolean;
  /**
   * Decides whether step `step` at time `timestep` must run the model.
   * `hasCache` says whether a computed output is available to reuse.
   */
  decide(step: number, timestep: number, hasCache: boolean, context?: StepContext): Decision;
  /** Records that the model ran at `timestep`. */
  markComputed(timestep: number): void;
  /** What a computed step measured (called after markComputed, only when needsObservations). */
  observe?(observation: ComputeObservation): void;
}
