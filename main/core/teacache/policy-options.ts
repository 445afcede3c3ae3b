// Options every policy takes (as Draw Things and ComfyUI offer them): a
// start/end window outside which every step computes, a cap on consecutive
// reuses, and always computing the last step. A wrapper, so each policy's own
// rule stays untouched. Pure.

import type { CachePolicy, ComputeObservation, Decision, SignalSource, StepContext } from './policy.ts';

export interface PolicyOptions {
  /** Caching may start at this fraction of the steps (0 = from the start). */
  readonly startFraction: number;
  /** Caching stops at this fraction of the steps (1 = to the end); steps from here on compute. */
  readonly endFraction: number;
  /** Most reuses in a row before a compute is forced; null for no cap. */
  readonly maxConsecutiveReuses: number | null;
  /** Compute the final step whatever the rule says: it shapes the image's finest detail. */
  readonly alwaysComputeLast: boolean;
}

/** Options that change nothing: a policy wrapped with these decides as it would alone. */
export const NO_POLICY_OPTIONS: PolicyOptions = Object.freeze({ startFraction: 0, endFraction: 1, maxConsecutiveReuses: null, alwaysComputeLast: false });

export function hasPolicyOptions(options: PolicyOptions): boolean {
  return (
    options.startFraction !== NO_POLICY_OPTIONS.startFraction ||
    options.endFraction !== NO_POLICY_OPTIONS.endFraction ||
    options.maxConsecutiveReuses !== null ||
    options.alwaysComputeLast
  );
}

export function checkPolicyOptions(options: PolicyOptions): void {
  const { startFraction: start, endFraction: end, maxConsecutiveReuses: max } = options;
  if (!(start >= 0 && start <= 1 && end >= 0 && end <= 1)) throw new RangeError(`The cache window must lie within 0…1 (got start ${start}, end ${end}).`);
  if (start >= end) throw new RangeError(`The cache window's start (${start}) must come before its end (${end}): widen it or turn caching off.`);
  if (max !== null && !(Number.isInteger(max) && max >= 0)) throw new RangeError(`maxConsecutiveReuses must be a whole number ≥ 0 or null, got ${max}.`);
}

/**
 * Steps forced by the options never reach the inner policy, so its
 * accumulator is left as its own markComputed leaves it (the seed keeps it,
 * TeaCache restarts it).
 */
export class OptionsPolicy implements CachePolicy {
  readonly name: string;
  readonly threshold: number;
  readonly needsSignal: boolean;
  readonly signalSource: SignalSource | undefined;
  readonly needsObservations: boolean;
  private reusesInARow = 0;

  constructor(
    readonly inner: CachePolicy,
    readonly options: PolicyOptions,
  ) {
    checkPolicyOptions(options);
    this.name = inner.name;
    this.threshold = inner.threshold;
    this.needsSignal = inner.needsSignal ?? false;
    this.signalSource = inner.signalSource;
    this.needsObservations = inner.needsObservations ?? false;
  }

  decide(step: number, timestep: number, hasCache: boolean, context?: StepContext): Decision {
    const { startFraction, endFraction, maxConsecutiveReuses, alwaysComputeLast } = this.options;
    if (!context) throw new Error('Cache windows and last-step rules need the step context (total steps).');
    const total = context.totalSteps;
    if (step > 0) {
      const position = step / total;
      if (position < startFraction || position >= endFraction) return { compute: true, reason: 'outside-window', distance: 0, accumulated: 0 };
      if (alwaysComputeLast && step === total - 1) return { compute: true, reason: 'last-step', distance: 0, accumulated: 0 };
    }
    const decision = this.inner.decide(step, timestep, hasCache, context);
    if (decision.compute) return decision;
    if (maxConsecutiveReuses !== null && this.reusesInARow >= maxConsecutiveReuses) return { ...decision, compute: true, reason: 'max-reuse' };
    this.reusesInARow++;
    return decision;
  }

  markComputed(timestep: number): void {
    this.reusesInARow = 0;
    this.inner.markComputed(timestep);
  }

  observe(observation: ComputeObservation): void {
    this.inner.observe?.(observation);
  }
}
