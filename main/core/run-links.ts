// How history entries point at one another: an uncached reference and a same-forwards plain-steps run each name
// the cached run they measure, and that run names them back; plus whether a run can have a plain-steps rival.
// Pure: the service refuses with these sentences and the renderer shows them before anyone asks.

import type { HistoryEntry, Psnr } from './contract.ts';
import { REQUEST_LIMITS } from './ranges.ts';

/** The cached run that `entry` was made to measure (as its uncached reference or its plain-steps run); null for a run of its own. */
export function measuredRunOf(entry: Pick<HistoryEntry, 'baselineOf' | 'fewerStepsOf'>): string | null {
  return entry.baselineOf ?? entry.fewerStepsOf ?? null;
}

/** `entry` with every link to run `id` cleared (that run is being deleted); undefined when it had none. */
export function withoutLinksTo(entry: HistoryEntry, id: string): HistoryEntry | undefined {
  let next = entry;
  if (entry.baseline?.id === id) next = { ...next, baseline: null };
  if (entry.baselineOf === id) next = { ...next, baselineOf: null };
  if (entry.fewerSteps?.id === id) next = { ...next, fewerSteps: null };
  if (entry.fewerStepsOf === id) next = { ...next, fewerStepsOf: null };
  return next === entry ? undefined : next;
}

/** Why a run has no plain-steps rival, for the UI to word briefly; `message` is the full sentence. */
export type FewerStepsProblem = 'is-reference' | 'is-fewer-steps' | 'uncached' | 'no-forwards' | 'all-computed';

export type FewerStepsPlan = { readonly steps: number } | { readonly problem: FewerStepsProblem; readonly message: string };

/**
 * How many plain steps spend what cached run `entry` spent: its computed forwards as the record counts them
 * (stats.forwards, one per computed step, the CFG pair included, as every run's steps are counted), or why
 * there is nothing to compare.
 */
export function fewerStepsPlan(entry: Pick<HistoryEntry, 'id' | 'request' | 'stats' | 'baselineOf' | 'fewerStepsOf'>): FewerStepsPlan {
  const { id, request, stats } = entry;
  if (entry.baselineOf !== null) {
    return { problem: 'is-reference', message: `Run ${id} is the uncached reference of run ${entry.baselineOf}: make the plain-steps run from that one.` };
  }
  if (entry.fewerStepsOf) {
    return { problem: 'is-fewer-steps', message: `Run ${id} is itself the plain-steps run of run ${entry.fewerStepsOf}: make another from that one.` };
  }
  if (!request.cache.enabled) {
    return { problem: 'uncached', message: `Run ${id} ran uncached already: all its ${request.steps} steps are plain steps, so there is no cache to compare with fewer steps.` };
  }
  if (stats.forwards < REQUEST_LIMITS.steps.min) {
    return { problem: 'no-forwards', message: `Run ${id} computed no forward, and a run needs at least ${REQUEST_LIMITS.steps.min} step: there are no plain steps to compare it with.` };
  }
  if (stats.forwards >= request.steps) {
    return {
      problem: 'all-computed',
      message: `Run ${id} computed every one of its ${request.steps} steps (the cache reused none), so the same forwards as plain steps is the same run: nothing to compare. Raise the threshold so the cache skips steps.`,
    };
  }
  return { steps: stats.forwards };
}

/** Nearer than this in dB, neither the cache nor plain steps came closer to the uncached image. */
export const EVEN_DB = 0.05;

/**
 * How many dB closer to the uncached image the cache came than plain steps at the same forwards (negative where
 * plain steps came closer; 0 within EVEN_DB), as the app and the CLI both word it; null where either image
 * matched the uncached one exactly, which leaves no gap in dB to give.
 */
export function cacheLeadDb(cache: Psnr, plain: Psnr): number | null {
  if (cache === 'identical' || plain === 'identical') return null;
  const gap = cache - plain;
  return Math.abs(gap) < EVEN_DB ? 0 : gap;
}
