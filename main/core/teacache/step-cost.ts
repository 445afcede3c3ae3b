// What a run's steps cost in forward-equivalents (one forward of the model = 1), the one measure a
// cached run's ideal speedup is counted in, in the sampler, the app and the benchmarks. Pure.

/**
 * One step's cost. A computed step runs one forward. A reused step costs what ran to decide and to
 * rebuild its output, as a share of a forward (`reusedShare`): 0 for the step-level policies, whose
 * decisions need no model at all or only its input embedders (TeaCache's signal, residual reuse's
 * final layer: under 1% of a forward on the built-in model, 0.02% on FLUX.1, left out so their
 * counts stay whole and predictable before the run); for First-Block Cache, the first block with
 * the embedders and final layer it needs, as the model counts them (models/flux/forward-flops.ts):
 * about a sixth of the built-in model's forward (0.173 at 64 px), a 57th of FLUX.1's (0.018 at 1024²),
 * far too much to leave out.
 */
export function stepCost(computed: boolean, reusedShare: number): number {
  return computed ? 1 : reusedShare;
}

/** What a record's stats say the run cost, as far as they can. */
export interface CostStats {
  /** Steps that ran the model. */
  readonly forwards: number;
  /** Σ stepCost over the steps; absent from records made before it was counted. */
  readonly forwardEquivalents?: number | undefined;
}

/**
 * The run's cost in forward-equivalents. A record from before they were counted reads as its
 * forwards: exact for the step-level policies; a First-Block Cache run of that time reads without
 * its probes, the overstatement this measure was added to end.
 */
export function forwardEquivalentsOf(stats: CostStats): number {
  return stats.forwardEquivalents ?? stats.forwards;
}

/** A measured speedup above the ideal by more than this factor is timing noise: skipping forwards cannot save more than they cost. */
const NOISE_MARGIN = 1.02;

/** Whether a measured speedup is more than skipping forwards can give (`ideal`, idealSpeedup): timing noise, a busy machine or a warm cache. */
export function isTimingNoise(measured: number, ideal: number): boolean {
  return measured > ideal * NOISE_MARGIN;
}

/** Steps over forward-equivalents: the speedup when the model's arithmetic dominates a step; 1 for a run that cost nothing. */
export function idealSpeedup(steps: number, forwardEquivalents: number): number {
  return forwardEquivalents > 0 ? steps / forwardEquivalents : 1;
}
