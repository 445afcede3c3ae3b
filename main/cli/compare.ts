// `npm run generate --compare`: the cached run against its uncached reference and against as many plain steps as
// it computed forwards, planned as the app plans them (core/run-links.ts fewerStepsPlan), as FILE.json's fields
// and one printed block; and the CLI's words for a run with nothing to compare. No I/O of its own.

import type { Psnr } from '../core/contract.ts';
import type { ResolvedRequest } from '../core/request.ts';
import { cacheLeadDb, EVEN_DB, fewerStepsPlan, type FewerStepsPlan } from '../core/run-links.ts';
import { readsScheduleOnly } from '../core/teacache/create-policy.ts';
import { predictSettings } from '../core/teacache/predict.ts';
import { forwardEquivalentsOf, idealSpeedup, isTimingNoise, type CostStats } from '../core/teacache/step-cost.ts';
import type { GenerationResult, ResolvedRun } from '../engine/generate.ts';
import { psnrOf } from '../engine/metrics/psnr.ts';
import { ssim } from '../engine/metrics/ssim.ts';

export const NO_CACHE_REFUSAL =
  '--compare cannot be combined with --no-cache: an uncached run is all plain steps, so there is no cache to compare with them. Drop --no-cache to see what the cache buys.';

/** Where an extra run's image goes: beside --out, `heart.png` giving `heart.uncached.png` and `heart.steps6.png`. */
export function besideOut(out: string, what: 'uncached' | { readonly steps: number }): string {
  return out.replace(/\.png$/i, what === 'uncached' ? '.uncached.png' : `.steps${what.steps}.png`);
}

type Planned = Pick<GenerationResult, 'request' | 'stats'>;

/** The plan the app makes from this run's record; `name` only names the run in the plan's own sentences. */
export function comparePlan(run: Planned, name: string): FewerStepsPlan {
  return fewerStepsPlan({ id: name, request: run.request, stats: run.stats, baselineOf: null, fewerStepsOf: null });
}

/** The plan before the run, where the cache's decisions follow from the schedule alone (predict.ts is exact for those); undefined where they depend on the run. */
export function predictedPlan(run: ResolvedRun, name: string): FewerStepsPlan | undefined {
  const { request, timesteps } = run;
  if (request.cache.enabled && !readsScheduleOnly(request.cache.policy)) return undefined;
  const { forwards, reused } = request.cache.enabled ? predictSettings(request.cache, timesteps) : { forwards: request.steps, reused: 0 };
  return comparePlan({ request, stats: { hits: reused, misses: forwards, forwards, forwardEquivalents: forwards } }, name);
}

/** Why --compare cannot run, in the CLI's flags; `when` says whether the run's decisions were predicted or made. */
export function compareRefusal(plan: Extract<FewerStepsPlan, { problem: unknown }>, request: ResolvedRequest, when: 'predicted' | 'ran'): string {
  const { steps, cache } = request;
  switch (plan.problem) {
    case 'uncached':
      return NO_CACHE_REFUSAL;
    case 'all-computed': {
      const what = when === 'predicted' ? `at threshold ${cache.threshold} (${cache.policy} rule) this ${steps}-step run computes every step` : `this run computed every one of its ${steps} steps (the cache reused none)`;
      return `--compare: ${what}, so the same forwards as plain steps would be the same run: nothing to compare. Raise --threshold so the cache skips steps.`;
    }
    default:
      return `--compare: ${plan.message}`;
  }
}

/** An extra run and the file its image went to. */
export interface Saved {
  readonly result: GenerationResult;
  readonly file: string;
}

/** What --compare adds to FILE.json, named as a history entry's links are (contract.ts HistoryEntrySchema), with the file for the id. */
export interface ComparisonFields {
  /** The uncached reference: same seed, noise and steps; `speedup` is its wall time over the cached run's; PSNR and SSIM are the cached image's against it. */
  readonly baseline: { readonly file: string; readonly steps: number; readonly wallMs: number; readonly speedup: number; readonly psnr: Psnr; readonly ssim: number };
  /** As many plain steps as the cached run computed forwards; PSNR and SSIM against the uncached reference; cacheLeadDb what the cache bought over them. */
  readonly fewerSteps: { readonly file: string; readonly steps: number; readonly wallMs: number; readonly psnr: Psnr; readonly ssim: number; readonly cacheLeadDb: number | null };
}

export function comparisonFields(cached: GenerationResult, uncached: Saved, plain: Saved): ComparisonFields {
  const reference = uncached.result;
  const against = (run: GenerationResult) => ({ psnr: psnrOf(reference.rgb, run.rgb), ssim: ssim(reference.rgb, run.rgb, run.width, run.height) });
  const cache = against(cached);
  const steps = against(plain.result);
  return {
    baseline: { file: uncached.file, steps: reference.request.steps, wallMs: reference.wallMs, speedup: cached.wallMs > 0 ? reference.wallMs / cached.wallMs : 0, ...cache },
    fewerSteps: { file: plain.file, steps: plain.result.request.steps, wallMs: plain.result.wallMs, ...steps, cacheLeadDb: cacheLeadDb(cache.psnr, steps.psnr) },
  };
}

const db = (psnr: Psnr) => (psnr === 'identical' ? 'identical' : `${psnr.toFixed(2)} dB`);
const ms = (wall: number) => `${wall.toFixed(0)} ms`;
const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

/** The one sentence on what the cache bought over plain steps at the same forwards. */
function verdict(fields: ComparisonFields): string {
  const { baseline, fewerSteps } = fields;
  const forwards = plural(fewerSteps.steps, 'forward');
  const plainSteps = plural(fewerSteps.steps, 'plain step');
  const lead = fewerSteps.cacheLeadDb;
  if (lead === null) {
    return baseline.psnr === 'identical'
      ? `The cache's image is identical to the uncached one, at ${forwards}; ${plainSteps} are at ${db(fewerSteps.psnr)}.`
      : `${plainSteps} gave the uncached image exactly, so the cache bought nothing over them.`;
  }
  if (lead > 0) return `At the same ${forwards} the cache came ${lead.toFixed(2)} dB closer to the uncached image than ${plainSteps}: that is what it bought.`;
  if (lead < 0) return `At the same ${forwards} ${plainSteps} came ${(-lead).toFixed(2)} dB closer to the uncached image than the cache: at this setting fewer steps buy more.`;
  return `At the same ${forwards} the cache and ${plainSteps} are as close to the uncached image (within ${EVEN_DB} dB): the cache bought nothing over fewer steps.`;
}

/** What a run's reused steps cost where they cost something (First-Block Cache's probes), to follow its forwards; '' elsewhere. */
export function probesNote(stats: CostStats): string {
  const cost = forwardEquivalentsOf(stats);
  return cost === stats.forwards ? '' : ` (${cost.toFixed(2)} forward-equivalents with the reused steps' first blocks)`;
}

/** The block generate prints after the three runs. */
export function comparisonBlock(cached: Pick<GenerationResult, 'request' | 'stats' | 'wallMs'>, fields: ComparisonFields): string {
  const { baseline, fewerSteps } = fields;
  const { forwards } = cached.stats;
  const cost = forwardEquivalentsOf(cached.stats);
  const probes = probesNote(cached.stats);
  const ideal = idealSpeedup(cached.request.steps, cost);
  const quality = (f: { readonly psnr: Psnr; readonly ssim: number }) => `PSNR ${db(f.psnr)}  SSIM ${f.ssim.toFixed(4)}`;
  // The warm-up explains only a shortfall: a cached run that reached its ideal paid none worth naming.
  const why = isTimingNoise(baseline.speedup, ideal)
    ? '; above the ideal, so timing noise: run again on a quieter machine'
    : baseline.speedup < ideal
      ? '; it ran first, so it paid the warm-up'
      : '';
  return [
    `--compare, against the uncached reference (same seed and noise, ${plural(baseline.steps, 'step')}, ${ms(baseline.wallMs)}):`,
    `  cache        ${plural(forwards, 'forward')}${probes} of ${baseline.steps} steps, ${ideal.toFixed(2)}× ideal, ` +
      `${baseline.speedup.toFixed(2)}× measured (${ms(cached.wallMs)}${why})`,
    `               ${quality(baseline)}`,
    `  plain steps  ${plural(fewerSteps.steps, 'step')} uncached, ${ms(fewerSteps.wallMs)}`,
    `               ${quality(fewerSteps)}`,
    `  ${verdict(fields)}`,
    `wrote ${baseline.file} (the uncached reference) and ${fewerSteps.file} (the ${plural(fewerSteps.steps, 'plain step')})`,
  ].join('\n');
}
