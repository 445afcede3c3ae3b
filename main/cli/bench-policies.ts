// `npm run bench:policies`: every cache policy and reuse mode swept over
// thresholds on one model, in one process, against the uncached image of the
// same prompt and seed, beside the honest baseline of simply running fewer
// steps. Writes a JSON report, a speedup-vs-PSNR plot with each variant's
// Pareto front, and heat maps; last line: one JSON object with each policy's
// best speedup at mean PSNR ≥ 30 dB. Runs in Node.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { weightsFingerprint } from '../engine/calibration/calibration-file.ts';
import { openGenerator } from '../engine/engine.ts';
import type { GenerationRequest } from '../core/request.ts';
import type { GenerationResult } from '../engine/generate.ts';
import { encodePng } from '../engine/io/png.ts';
import { differenceMap } from '../engine/metrics/diff-map.ts';
import { paretoFront, scatterPlot, type Rgb } from '../engine/metrics/plot.ts';
import { psnr } from '../engine/metrics/psnr.ts';
import { ssim } from '../engine/metrics/ssim.ts';
import { builtinModelDir } from '../engine/models/pixel-flux/pixel-flux-model.ts';
import { resolveRequest } from '../core/resolve-request.ts';
import { scheduleFor } from '../core/schedule.ts';
import { readsScheduleOnly } from '../core/teacache/create-policy.ts';
import type { PolicyName, ReuseMode } from '../core/teacache/policy.ts';
import { thresholdForSpeedup } from '../core/teacache/predict.ts';
import { idealSpeedup } from '../core/teacache/step-cost.ts';
import { FLUX1_COEFFICIENTS } from '../core/teacache/teacache-policy.ts';
import { numberList, parseIntegerList, readPromptFile } from './list-options.ts';
import { parseCommandLine, runCli, UsageError } from './options.ts';
import { mean, median, round } from './stats.ts';

/**
 * Fixed prompts the built-in model knows, none in the calibration set (calibration/default-prompts.ts):
 * the first three are the earlier benchmark's, the rest the model card's examples in its order, less
 * 'dog face' (too near the calibration's 'happy dog face'). Not chosen by how any method does on them;
 * docs/bench-holdout-prompts.txt holds a second set for checking that choices carry over.
 */
export const BENCH_PROMPTS: readonly string[] = Object.freeze(['red heart', 'smiling cat face', 'yellow star', 'grinning face', 'thumbs up', 'fire', 'rocket', 'rainbow']);
const USAGE = `Usage: npm run bench:policies -- [--model DIR] [--steps N] [--prompts FILE] [--seeds 1,2]
         [--targets 1.25,1.5,2,3] [--repeats N] [--quality-bar DB] [--variants all] [--out DIR] [--quick]

For each policy and reuse mode, picks the thresholds that give each target
speedup (predicted from the schedule, for magcache from its ratios, for teacache
from the signal each uncached run recorded; first-block and easycache decide from
the run itself, so they sweep a fixed threshold grid), runs every prompt and seed
with them, and scores PSNR and SSIM against the uncached image. Speedups are steps
over what they cost in forwards (a reused First-Block Cache step still runs its
first block); the fewer-steps baseline runs each forward count as that many plain steps. Then times the best
settings against the uncached run (alternating, --repeats times, default 5; median
of paired ratios). Writes DIR/report.json, DIR/speedup-vs-psnr.png and heat maps
(default DIR: out/bench-policies).
--prompts: a text file, one prompt a line (# starts a comment); default: the ${BENCH_PROMPTS.length} built-in prompts.
--seeds: default 1,2. --targets: default one per forward count from half the steps to a sixth.
--variants all: also every variant earlier runs measured and dropped; or a comma-separated list of
variant labels (the seed rule's seed/output always runs). --quick: one variant a policy.
--quick: one prompt and seed, fewer targets, 2 repeats (a smoke test, not a result).`;

const QUICK_TARGETS = [1.5, 2, 3];

/**
 * One target per forward count from half the steps down to a sixth, thinned above a third (where
 * every method holds its quality) to keep the run short: speedups come in steps of a whole forward
 * per image, and a target between two of them would let one image take the extra forward.
 */
function forwardCountTargets(steps: number): number[] {
  const counts = new Set<number>();
  for (let forwards = Math.ceil(steps / 2); forwards >= Math.max(1, Math.ceil(steps / 6)); forwards--) {
    if (forwards <= Math.ceil(steps / 3) || forwards % 3 === 0) counts.add(forwards);
  }
  return [...counts].map((forwards) => steps / forwards);
}

/**
 * Thresholds swept for the policies that decide from the run itself (no prediction before it),
 * wide enough to span half the steps to a sixth on the built-in model; speedups are as measured.
 */
const THRESHOLD_GRIDS: Partial<Record<PolicyName, readonly number[]>> = {
  'first-block': [0.3, 0.5, 0.7, 1.0],
  easycache: [0.5, 0.8, 1.2, 1.7],
};
const QUICK_GRID_POINTS = 2;

interface Variant {
  readonly policy: PolicyName;
  readonly reuse: ReuseMode;
  /** Use FLUX.1's published polynomial even where the model has its own calibration. */
  readonly flux1?: boolean;
  /** The teacache policy's accumulation when not the original's. */
  readonly accumulate?: 'since-compute';
  /** Drop the teacache policy's forced last step (the original computes it). */
  readonly skipLast?: boolean;
  /**
   * Steps always computed at the start, where not the request's default (3 under true CFG;
   * MagCache's 20% retention). The seed's rule keeps its own setting.
   */
  readonly skipEarly?: number;
  /** Cache over every step (window 0…1) instead of the policy's published window (EasyCache's 15–95%). */
  readonly fullWindow?: boolean;
  /** No cap on consecutive reuses (MagCache's K = 3 by default). */
  readonly noCap?: boolean;
}

/**
 * Each method as published, and where its published defaults force more computes than the
 * fastest targets allow, the same with one principle applied to all: steps 0 and 1 stay forced
 * (the output changes most between them, and an error there changes the composition, which no
 * later step repairs: reusing step 1 costs ~4 dB) and the rest is left to the method's own rule.
 * Variants measured in earlier runs and beaten everywhere by one here (seed/residual,
 * timestep-consecutive, teacache/output and its since-compute steps) were dropped to keep the
 * run short; `--variants all` brings them back.
 */
const VARIANTS: readonly Variant[] = [
  { policy: 'seed', reuse: 'output' },
  { policy: 'seed', reuse: 'taylor' },
  { policy: 'teacache', reuse: 'residual' },
  // With a polynomial that maps the signal to the model's real output change, the drift summed
  // since the last compute estimates the error each reuse adds, so computes crowd where the model
  // changes fast.
  { policy: 'teacache', reuse: 'output', accumulate: 'since-compute', skipLast: true, skipEarly: 2 },
  { policy: 'teacache', reuse: 'taylor', accumulate: 'since-compute', skipLast: true, skipEarly: 2 },
  { policy: 'teacache', reuse: 'taylor2', accumulate: 'since-compute', skipLast: true, skipEarly: 2 },
  // HiCache's damped forecast: whether bounded higher orders hold up over the long gaps of the fastest targets.
  { policy: 'teacache', reuse: 'hermite', accumulate: 'since-compute', skipLast: true, skipEarly: 2 },
  { policy: 'magcache', reuse: 'residual' },
  { policy: 'magcache', reuse: 'residual', skipEarly: 2, noCap: true },
  { policy: 'first-block', reuse: 'residual', skipEarly: 2 },
  { policy: 'easycache', reuse: 'output' },
  { policy: 'easycache', reuse: 'output', skipEarly: 2, fullWindow: true },
];

const EARLIER_VARIANTS: readonly Variant[] = [
  { policy: 'seed', reuse: 'residual' },
  { policy: 'timestep-consecutive', reuse: 'output' },
  { policy: 'teacache', reuse: 'output' },
  { policy: 'teacache', reuse: 'taylor' },
  { policy: 'teacache', reuse: 'output', accumulate: 'since-compute' },
  { policy: 'teacache', reuse: 'output', accumulate: 'since-compute', skipLast: true },
  { policy: 'seed', reuse: 'taylor2' },
  { policy: 'magcache', reuse: 'output', skipEarly: 2, noCap: true },
  { policy: 'magcache', reuse: 'taylor', skipEarly: 2, noCap: true },
];

/**
 * Where the model has its own calibrated polynomial, FLUX.1's is measured beside it in the best
 * setting above, to show what calibration buys (with `--variants all`, also with residual reuse).
 */
const FLUX1_VARIANTS: readonly Variant[] = [{ policy: 'teacache', reuse: 'output', flux1: true, accumulate: 'since-compute', skipLast: true, skipEarly: 2 }];
const EARLIER_FLUX1_VARIANTS: readonly Variant[] = [{ policy: 'teacache', reuse: 'residual', flux1: true }];

const COLOURS: Record<string, Rgb> = {
  'fewer-steps': [0, 0, 0],
  'seed/taylor2': [120, 100, 0],
  'teacache-since-compute-nolast-early2/taylor': [60, 180, 230],
  'teacache-since-compute-nolast-early2/taylor2': [0, 110, 110],
  'teacache-since-compute-nolast-early2/hermite': [0, 60, 160],
  'magcache/residual': [230, 30, 230],
  'magcache-early2-nocap/residual': [150, 0, 90],
  'magcache-early2-nocap/output': [200, 120, 200],
  'magcache-early2-nocap/taylor': [240, 170, 240],
  'first-block-early2/residual': [250, 180, 0],
  'easycache/output': [90, 200, 90],
  'easycache-early2-full/output': [0, 100, 0],
  'seed/output': [200, 40, 40],
  'seed/residual': [240, 130, 40],
  'seed/taylor': [180, 150, 0],
  'timestep-consecutive/output': [150, 60, 170],
  'teacache/output': [40, 90, 200],
  'teacache/residual': [20, 150, 60],
  'teacache/taylor': [0, 170, 190],
  'teacache-flux1/residual': [120, 120, 120],
  'teacache-since-compute/output': [90, 90, 90],
  'teacache-since-compute-nolast/output': [230, 60, 160],
  'teacache-since-compute-nolast-early2/output': [110, 60, 20],
  'teacache-flux1-since-compute-nolast-early2/output': [170, 170, 170],
};

const label = (v: Variant) =>
  `${v.policy}${v.flux1 ? '-flux1' : ''}${v.accumulate ? `-${v.accumulate}` : ''}${v.skipLast ? '-nolast' : ''}${v.skipEarly === undefined ? '' : `-early${v.skipEarly}`}${v.fullWindow ? '-full' : ''}${v.noCap ? '-nocap' : ''}/${v.reuse}`;
/** PSNR of identical images is infinite; JSON and means need a number. */
const PSNR_CAP = 99;

interface ImageScore {
  readonly prompt: string;
  readonly seed: number;
  readonly forwards: number;
  /** What the run cost in whole forwards: its forwards, plus First-Block Cache's probes on reused steps. */
  readonly forwardEquivalents: number;
  readonly psnr: number;
  readonly ssim: number;
  readonly pattern: string;
}

/** One variant at one target speedup, measured over the prompt set. */
interface ConfigResult extends Variant {
  readonly variant: string;
  readonly target: number;
  readonly threshold: number;
  readonly predictedSpeedup: number;
  /** All steps over all their forward-equivalents across the prompt set: what the plot, the bests and the fronts use. */
  readonly speedup: number;
  /** All steps over all computed forwards: the same as `speedup` but for First-Block Cache, whose probes it leaves out. */
  readonly forwardsSpeedup: number;
  readonly meanPsnr: number;
  /** The worst prompt and seed's. */
  readonly minPsnr: number;
  readonly meanSsim: number;
  readonly minSsim: number;
  readonly images: readonly ImageScore[];
}

/** The fewer-steps baseline at one forward count: that many plain steps against the full-step image. */
interface FewerStepsResult {
  readonly steps: number;
  readonly speedup: number;
  readonly meanPsnr: number;
  readonly minPsnr: number;
  readonly meanSsim: number;
  readonly minSsim: number;
}

const scoreSummary = (images: readonly ImageScore[]) => ({
  meanPsnr: mean(images.map((i) => i.psnr)),
  minPsnr: Math.min(...images.map((i) => i.psnr)),
  meanSsim: mean(images.map((i) => i.ssim)),
  minSsim: Math.min(...images.map((i) => i.ssim)),
});

async function main(): Promise<void> {
  const { values } = parseCommandLine(process.argv.slice(2), {
    model: { type: 'string' },
    steps: { type: 'string' },
    seeds: { type: 'string' },
    prompts: { type: 'string' },
    variants: { type: 'string' },
    targets: { type: 'string' },
    repeats: { type: 'string' },
    'quality-bar': { type: 'string' },
    out: { type: 'string' },
    quick: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const quick = values.quick ?? false;
  const promptSet = values.prompts ? readPromptFile(resolve(values.prompts)) : [...BENCH_PROMPTS];
  if (promptSet.length === 0) throw new UsageError(`${values.prompts} holds no prompts: put one prompt a line.`);
  const prompts = quick ? promptSet.slice(0, 1) : promptSet;
  const seeds = values.seeds ? parseIntegerList('seeds', values.seeds) : quick ? [1] : [1, 2];
  const allVariants = values.variants === 'all';
  const chosenVariants = values.variants === undefined || allVariants ? undefined : values.variants.split(',').map((v) => v.trim());
  const repeats = values.repeats === undefined ? (quick ? 2 : 5) : Number(values.repeats);
  if (!Number.isInteger(repeats) || repeats < 1) throw new UsageError(`--repeats expects a positive whole number, got "${values.repeats}".`);
  const bar = values['quality-bar'] === undefined ? 30 : Number(values['quality-bar']);
  if (!Number.isFinite(bar)) throw new UsageError(`--quality-bar expects a number of dB, got "${values['quality-bar']}".`);
  const steps = values.steps === undefined ? undefined : Number(values.steps);
  if (steps !== undefined && !(Number.isInteger(steps) && steps >= 2)) throw new UsageError(`--steps expects a whole number ≥ 2, got "${values.steps}".`);
  const outDir = resolve(values.out ?? 'out/bench-policies');
  mkdirSync(outDir, { recursive: true });

  const modelDir = resolve(values.model ?? builtinModelDir());
  const generator = await openGenerator({ modelDir });
  const { model } = generator;
  const log = (line: string) => process.stderr.write(`${line}\n`);
  log(`${model.info.name} on ${generator.backend.package} ${generator.backend.version} (${generator.backend.device})`);
  for (const note of model.info.notes) log(`note: ${note}`);
  const started = performance.now();

  const requestFor = (prompt: string, seed: number, cache: GenerationRequest['cache']): GenerationRequest => ({
    prompt,
    seed,
    ...(steps === undefined ? {} : { steps }),
    cache,
  });
  const resolved = resolveRequest(model, requestFor(prompts[0]!, seeds[0]!, {}));
  const timesteps = scheduleFor(resolved, model.info.sizeMultiple);
  const totalSteps = resolved.steps;
  const targets = values.targets ? numberList('targets', values.targets, 1) : quick ? QUICK_TARGETS : forwardCountTargets(totalSteps);
  const calibrated = resolved.cache.coefficients.join() !== FLUX1_COEFFICIENTS.join();
  const known = [...VARIANTS, ...EARLIER_VARIANTS, ...(calibrated ? [...FLUX1_VARIANTS, ...EARLIER_FLUX1_VARIANTS] : [])];
  const unknown = chosenVariants?.filter((name) => !known.some((v) => label(v) === name)) ?? [];
  if (unknown.length > 0) throw new UsageError(`Unknown variant(s) ${unknown.join(', ')}: pick from ${known.map(label).join(', ')}.`);
  // The seed rule stays in every run: the report measures the others against it.
  const variants = chosenVariants
    ? known.filter((v) => label(v) === 'seed/output' || chosenVariants.includes(label(v)))
    : quick
      ? VARIANTS.filter((v, i) => VARIANTS.findIndex((w) => w.policy === v.policy) === i)
      : [...VARIANTS, ...(allVariants ? EARLIER_VARIANTS : []), ...(calibrated ? [...FLUX1_VARIANTS, ...(allVariants ? EARLIER_FLUX1_VARIANTS : [])] : [])];
  const cacheFor = (config: Variant & { readonly threshold: number }): GenerationRequest['cache'] => ({
    enabled: true,
    policy: config.policy,
    reuse: config.reuse,
    threshold: config.threshold,
    ...(config.flux1 ? { coefficients: [...FLUX1_COEFFICIENTS] } : {}),
    ...(config.accumulate ? { accumulate: config.accumulate } : {}),
    ...(config.skipLast ? { alwaysComputeLast: false } : {}),
    ...(config.skipEarly === undefined ? {} : { skipEarlySteps: config.skipEarly }),
    ...(config.fullWindow ? { startFraction: 0, endFraction: 1 } : {}),
    ...(config.noCap ? { maxConsecutiveReuses: null } : {}),
  });

  // Warm-up: the first run compiles and faults in memory.
  await generator.generate({ ...requestFor(prompts[0]!, seeds[0]!, { enabled: false }), steps: 3 });

  log(`uncached references: ${prompts.length} prompts × ${seeds.length} seeds, ${totalSteps} steps`);
  const references = new Map<string, GenerationResult>();
  const key = (prompt: string, seed: number) => `${seed}:${prompt}`;
  for (const prompt of prompts) {
    for (const seed of seeds) references.set(key(prompt, seed), await generator.generate(requestFor(prompt, seed, { enabled: false }), { measureSignal: true }));
  }
  // The teacache thresholds come from the signal each uncached run recorded: predicted over the prompt set
  // as a whole, as the speedup is measured.
  const traces = [...references.values()].map((r) => r.events.map((e) => e.signal));

  const results: ConfigResult[] = [];
  const imageCache = new Map<string, GenerationResult>();
  const score = (prompt: string, seed: number, run: GenerationResult): ImageScore => {
    const reference = references.get(key(prompt, seed))!;
    return {
      prompt,
      seed,
      forwards: run.stats.forwards,
      forwardEquivalents: run.stats.forwardEquivalents,
      psnr: Math.min(PSNR_CAP, psnr(reference.rgb, run.rgb)),
      ssim: ssim(reference.rgb, run.rgb, run.width, run.height),
      pattern: run.events.map((e) => (e.computed ? 'C' : 'R')).join(''),
    };
  };

  // The honest baseline: each forward count spent on plain steps, scored against the full-step image.
  const forwardCounts = [...new Set(targets.map((t) => Math.floor(totalSteps / t + 1e-9)))].filter((f) => f >= 1 && f < totalSteps);
  const fewerSteps: FewerStepsResult[] = [];
  for (const forwards of forwardCounts) {
    const images: ImageScore[] = [];
    for (const prompt of prompts) {
      for (const seed of seeds) images.push(score(prompt, seed, await generator.generate({ ...requestFor(prompt, seed, { enabled: false }), steps: forwards })));
    }
    const result = { steps: forwards, speedup: totalSteps / forwards, ...scoreSummary(images) };
    fewerSteps.push(result);
    log(`${'fewer-steps'.padEnd(28)} ${String(forwards).padEnd(2)} steps            ${result.speedup.toFixed(2)}×  PSNR ${result.meanPsnr.toFixed(2)} dB  SSIM ${result.meanSsim.toFixed(4)}`);
  }

  for (const variant of variants) {
    const seen = new Set<string>();
    const grid = THRESHOLD_GRIDS[variant.policy];
    // A policy that decides from the run itself sweeps thresholds; the others aim at each target.
    const sweep = grid ? (quick ? grid.slice(0, QUICK_GRID_POINTS) : grid).map((threshold) => ({ target: Number.NaN, threshold })) : targets.map((target) => ({ target, threshold: Number.NaN }));
    for (const point of sweep) {
      // Resolved exactly as the runs below will be, so the prediction uses the same settings.
      const settings = resolveRequest(model, requestFor(prompts[0]!, seeds[0]!, cacheFor({ ...variant, threshold: 0 }))).cache;
      const solution = grid
        ? undefined
        : thresholdForSpeedup(settings, timesteps, point.target, readsScheduleOnly(variant.policy) ? undefined : traces);
      const threshold = solution ? solution.threshold : point.threshold;
      const pattern = solution ? solution.predictions.map((p) => p.decisions.map((d) => (d.compute ? 'C' : 'R')).join('')).join('|') : `threshold ${threshold}`;
      if (seen.has(pattern)) continue;
      seen.add(pattern);
      const images: ImageScore[] = [];
      for (const prompt of prompts) {
        for (const seed of seeds) {
          // Timestep rules decide from the schedule alone: the same decisions and reuse give the same image.
          const memo = readsScheduleOnly(variant.policy) ? `${variant.reuse}:${pattern}:${key(prompt, seed)}` : undefined;
          let run = memo ? imageCache.get(memo) : undefined;
          if (!run) {
            run = await generator.generate(requestFor(prompt, seed, cacheFor({ ...variant, threshold })));
            if (memo) imageCache.set(memo, run);
          }
          images.push(score(prompt, seed, run));
        }
      }
      const forwards = images.reduce((s, i) => s + i.forwards, 0);
      const speedup = idealSpeedup(totalSteps * images.length, images.reduce((s, i) => s + i.forwardEquivalents, 0));
      const result: ConfigResult = {
        variant: label(variant),
        ...variant,
        target: solution ? point.target : speedup,
        threshold,
        predictedSpeedup: solution ? solution.idealSpeedup : Number.NaN,
        speedup,
        forwardsSpeedup: idealSpeedup(totalSteps * images.length, forwards),
        ...scoreSummary(images),
        images,
      };
      results.push(result);
      const predicted = Number.isNaN(result.predictedSpeedup)
        ? `measured${result.forwardsSpeedup === speedup ? '' : `; ${result.forwardsSpeedup.toFixed(2)}× by computed forwards`}`
        : `predicted ${result.predictedSpeedup.toFixed(2)}×`;
      log(`${result.variant.padEnd(28)} threshold ${result.threshold.toPrecision(4).padEnd(9)} ${result.speedup.toFixed(2)}× (${predicted})  PSNR ${result.meanPsnr.toFixed(2)} dB (worst ${result.minPsnr.toFixed(2)})  SSIM ${result.meanSsim.toFixed(4)}`);
    }
  }

  // Running uncached (1×, identical images) is every policy's fallback when no threshold meets the bar.
  const uncachedResult = (variant: Variant): ConfigResult => ({
    variant: label(variant),
    ...variant,
    target: 1,
    threshold: 0,
    predictedSpeedup: 1,
    speedup: 1,
    forwardsSpeedup: 1,
    meanPsnr: PSNR_CAP,
    minPsnr: PSNR_CAP,
    meanSsim: 1,
    minSsim: 1,
    images: [],
  });
  const bestOf = (candidates: readonly ConfigResult[], variant: Variant) =>
    candidates
      .filter((r) => r.meanPsnr >= bar)
      .reduce<ConfigResult>((best, r) => (r.speedup > best.speedup || (r.speedup === best.speedup && r.meanPsnr > best.meanPsnr) ? r : best), uncachedResult(variant));
  const bestByVariant = Object.fromEntries(variants.map((v) => [label(v), bestOf(results.filter((r) => r.variant === label(v)), v)]));
  const policies = [...new Set(variants.map((v) => v.policy))];
  const bestByPolicy = Object.fromEntries(policies.map((p) => [p, bestOf(results.filter((r) => r.policy === p), variants.find((v) => v.policy === p)!)]));
  const seedBaseline = bestByVariant['seed/output']!;
  const fewerStepsAtBar = fewerSteps.filter((r) => r.meanPsnr >= bar).reduce((best, r) => Math.max(best, r.speedup), 1);
  // Fewer steps' PSNR at any speedup, straight between the forward counts measured.
  const fewerStepsPsnrAt = (speedup: number): number | undefined => {
    const sorted = [...fewerSteps].sort((a, b) => a.speedup - b.speedup);
    for (let i = 0; i < sorted.length; i++) {
      const hi = sorted[i]!;
      if (Math.abs(hi.speedup - speedup) < 1e-9) return hi.meanPsnr;
      if (hi.speedup > speedup) {
        const lo = sorted[i - 1];
        if (!lo) return undefined;
        return lo.meanPsnr + ((hi.meanPsnr - lo.meanPsnr) * (speedup - lo.speedup)) / (hi.speedup - lo.speedup);
      }
    }
    return undefined;
  };
  // The smallest lead over fewer steps along a Pareto front, where both were measured.
  const leadOverFewerSteps = (candidates: readonly ConfigResult[]): number | null => {
    const margins = paretoFront(candidates.map((r) => ({ x: r.speedup, y: r.meanPsnr }))).flatMap((p) => {
      const baseline = fewerStepsPsnrAt(p.x);
      return baseline === undefined ? [] : [p.y - baseline];
    });
    return margins.length === 0 ? null : round(Math.min(...margins), 2);
  };
  const marginOverFewerSteps = Object.fromEntries(variants.map((v) => [label(v), leadOverFewerSteps(results.filter((r) => r.variant === label(v)))]));
  const overall = bestOf(results, VARIANTS[0]!);
  // The same comparison at equal speed: how much quality the best setting's speed costs under the seed's rule.
  const seedAtSameSpeed = results
    .filter((r) => r.variant === 'seed/output' && r.speedup >= overall.speedup)
    .reduce<ConfigResult | undefined>((best, r) => (!best || r.speedup < best.speedup || (r.speedup === best.speedup && r.meanPsnr > best.meanPsnr) ? r : best), undefined);

  // Timing: each policy's best and the original TeaCache (residual) against the uncached run, alternating.
  const timed = [
    ...new Map(
      [...Object.values(bestByPolicy), bestByVariant['teacache/residual']]
        .filter((r): r is ConfigResult => r !== undefined && r.speedup > 1)
        .map((r) => [`${r.variant}@${r.threshold}`, r]),
    ).values(),
  ];
  const [timingPrompt, timingSeed] = [prompts[0]!, seeds[0]!];
  const uncachedWall: number[] = [];
  const uncachedStepMs: number[] = [];
  // CPU time of this process (all MLX threads) hardly depends on what else the machine runs: a cross-check.
  const uncachedCpu: number[] = [];
  const cachedCpu = new Map<ConfigResult, number[]>(timed.map((r) => [r, []]));
  const cpuMs = () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  };
  const cachedWall = new Map<ConfigResult, number[]>(timed.map((r) => [r, []]));
  const cachedCost = new Map<ConfigResult, { readonly forwards: number; readonly forwardEquivalents: number }>();
  const stepMs = new Map<ConfigResult, { computed: number[]; reused: number[] }>(timed.map((r) => [r, { computed: [], reused: [] }]));
  for (let i = 0; i < repeats; i++) {
    let cpu = cpuMs();
    const uncached = await generator.generate(requestFor(timingPrompt, timingSeed, { enabled: false }));
    uncachedCpu.push(cpuMs() - cpu);
    uncachedWall.push(uncached.wallMs);
    uncachedStepMs.push(median(uncached.events.map((e) => e.ms)));
    for (const config of timed) {
      cpu = cpuMs();
      const run = await generator.generate(requestFor(timingPrompt, timingSeed, cacheFor(config)));
      cachedCpu.get(config)!.push(cpuMs() - cpu);
      cachedWall.get(config)!.push(run.wallMs);
      cachedCost.set(config, run.stats);
      for (const event of run.events) stepMs.get(config)![event.computed ? 'computed' : 'reused'].push(event.ms);
    }
    log(`timing repeat ${i + 1}/${repeats}: uncached ${uncached.wallMs.toFixed(0)} ms, ${timed.map((c) => `${c.variant} ${cachedWall.get(c)!.at(-1)!.toFixed(0)} ms`).join(', ')}`);
  }
  const timing = timed.map((config) => {
    const { forwards, forwardEquivalents } = cachedCost.get(config)!;
    // What skipping can save at most, First-Block Cache's probes paid: the bar realised time is held to.
    const ideal = idealSpeedup(totalSteps, forwardEquivalents);
    // From per-step medians (far steadier than whole runs on a busy machine): what the cache's own
    // costs — reused steps, and measuring the signal in computed ones — leave of the ideal.
    const steps = stepMs.get(config)!;
    const stepModel = (totalSteps * median(uncachedStepMs)) / (forwards * median(steps.computed) + (totalSteps - forwards) * median(steps.reused));
    // Each cached run follows its uncached one, so a pair shares the machine's state (its speed
    // drifts by 10% over a minute here): the median of paired ratios resists that best. The
    // fastest run of each is kept as a cross-check.
    const walls = cachedWall.get(config)!;
    const realised = median(walls.map((wall, i) => uncachedWall[i]! / wall));
    return {
      variant: config.variant,
      threshold: config.threshold,
      forwards,
      forwardEquivalents: round(forwardEquivalents, 3),
      idealSpeedup: round(ideal, 3),
      uncachedWallMs: round(median(uncachedWall), 1),
      cachedWallMs: round(median(walls), 1),
      realisedSpeedup: round(realised, 3),
      fastestRunsSpeedup: round(Math.min(...uncachedWall) / Math.min(...walls), 3),
      cpuSpeedup: round(median(cachedCpu.get(config)!.map((c, i) => uncachedCpu[i]! / c)), 3),
      stepModelSpeedup: round(stepModel, 3),
      stepModelOverIdeal: round(stepModel / ideal, 3),
      // Per-step medians: where any shortfall from the ideal comes from.
      uncachedStepMs: round(median(uncachedStepMs), 2),
      computedStepMs: round(median(stepMs.get(config)!.computed), 2),
      reusedStepMs: round(median(stepMs.get(config)!.reused), 2),
      realisedOverIdeal: round(realised / ideal, 3),
      withinFivePercent: Math.abs(realised / ideal - 1) <= 0.05,
    };
  });

  // Heat maps and images of the best settings, first prompt and seed.
  const pictures: Record<string, string> = {};
  const firstReference = references.get(key(timingPrompt, timingSeed))!;
  const writePng = (name: string, rgb: Uint8Array) => {
    const file = join(outDir, name);
    writeFileSync(file, encodePng(rgb, firstReference.width, firstReference.height));
    return file;
  };
  pictures.reference = writePng('reference.png', firstReference.rgb);
  for (const config of [seedBaseline, overall].filter((r) => r.speedup > 1)) {
    const run = await generator.generate(requestFor(timingPrompt, timingSeed, cacheFor(config)));
    const name = config.variant.replace('/', '-');
    pictures[`${config.variant}`] = writePng(`${name}.png`, run.rgb);
    pictures[`${config.variant} difference`] = writePng(`${name}-difference.png`, differenceMap(firstReference.rgb, run.rgb, run.width, run.height, { scale: 64 }).rgb);
  }

  const fewerStepsPoints = fewerSteps.map((r) => ({ x: r.speedup, y: r.meanPsnr }));
  const series = [
    { name: 'fewer-steps', colour: COLOURS['fewer-steps']!, points: fewerStepsPoints, line: [...fewerStepsPoints].sort((a, b) => a.x - b.x) },
    ...variants.map((v) => {
      const points = results.filter((r) => r.variant === label(v)).map((r) => ({ x: r.speedup, y: r.meanPsnr }));
      return { name: label(v), colour: COLOURS[label(v)] ?? ([0, 0, 0] as const), points, line: paretoFront(points) };
    }),
  ];
  const plot = scatterPlot(series, {
    width: 900,
    height: 560,
    title: `${model.info.id}: speedup vs mean psnr (${prompts.length * seeds.length} images, ${totalSteps} steps)`,
    xLabel: 'speedup (steps / forwards spent)',
    yLabel: 'mean psnr (db)',
    guides: [{ y: bar, label: `${bar} db` }],
  });
  const plotFile = join(outDir, 'speedup-vs-psnr.png');
  writeFileSync(plotFile, encodePng(plot.rgb, plot.width, plot.height));

  const summarise = (r: ConfigResult | undefined) =>
    r
      ? {
          variant: r.speedup === 1 ? 'uncached' : r.variant,
          reuse: r.reuse,
          threshold: round(r.threshold, 6),
          speedup: round(r.speedup, 3),
          // Only where it differs: First-Block Cache's speedup by computed forwards, its probes left out.
          ...(r.forwardsSpeedup === r.speedup ? {} : { forwardsSpeedup: round(r.forwardsSpeedup, 3) }),
          meanPsnr: round(r.meanPsnr, 2),
          minPsnr: round(r.minPsnr, 2),
          meanSsim: round(r.meanSsim, 4),
          minSsim: round(r.minSsim, 4),
        }
      : null;
  const fasterThanSeedBy = round(overall.speedup / seedBaseline.speedup, 3);
  const psnrGainAtSameSpeed = seedAtSameSpeed ? round(overall.meanPsnr - seedAtSameSpeed.meanPsnr, 2) : null;
  const report = {
    model: { id: model.info.id, name: model.info.name, trained: model.info.trained, dir: modelDir, weights: weightsFingerprint(modelDir) },
    backend: `${generator.backend.package}@${generator.backend.version} (${generator.backend.device})`,
    steps: totalSteps,
    guidanceMode: resolved.guidanceMode,
    skipEarlySteps: resolved.cache.skipEarlySteps,
    teacacheCoefficients: { model: resolved.cache.coefficients, source: calibrated ? 'calibration.json' : 'FLUX.1 (published)' },
    prompts,
    seeds,
    targets,
    qualityBarDb: bar,
    results,
    fewerSteps,
    fewerStepsSpeedupAtBar: round(fewerStepsAtBar, 3),
    marginOverFewerStepsDb: marginOverFewerSteps,
    paretoFronts: Object.fromEntries(series.map((s) => [s.name, s.line])),
    bestAtBar: { byPolicy: Object.fromEntries(Object.entries(bestByPolicy).map(([k, v]) => [k, summarise(v)])), byVariant: Object.fromEntries(Object.entries(bestByVariant).map(([k, v]) => [k, summarise(v)])) },
    overall: summarise(overall),
    seedRule: summarise(seedBaseline),
    fasterThanSeedBy,
    seedRuleAtSameSpeed: summarise(seedAtSameSpeed),
    psnrGainAtSameSpeed,
    timing,
    files: { plot: plotFile, ...pictures },
    seconds: round((performance.now() - started) / 1000, 1),
  };
  writeFileSync(join(outDir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);

  const rows: Array<[string, string]> = [
    ['model', `${model.info.id} (${model.info.trained ? 'trained' : 'RANDOM weights: images are noise'}) ${JSON.stringify(report.model.weights)}`],
    ...variants.map((v): [string, string] => {
      const best = bestByVariant[label(v)];
      const probes = best!.forwardsSpeedup === best!.speedup ? '' : `; ${best!.forwardsSpeedup.toFixed(2)}× by computed forwards, its first-block probes left out`;
      return [`best ≥ ${bar} dB  ${label(v)}`, best!.speedup === 1 ? 'none (uncached, 1×)' : `${best!.speedup.toFixed(2)}× at ${best!.meanPsnr.toFixed(2)} dB (threshold ${best!.threshold.toPrecision(4)}${probes})`];
    }),
    ['best ≥ ' + bar + ' dB  fewer steps', fewerStepsAtBar === 1 ? 'none (all steps, 1×)' : `${fewerStepsAtBar.toFixed(2)}× (${Math.round(totalSteps / fewerStepsAtBar)} plain steps)`],
    ...variants.map((v): [string, string] => [`lead over fewer steps  ${label(v)}`, marginOverFewerSteps[label(v)] === null ? 'n/a' : `${marginOverFewerSteps[label(v)]} dB at least, along its front`]),
    ['best overall vs the seed rule', `${overall.speedup === 1 ? 'uncached' : overall.variant} ${overall.speedup.toFixed(2)}× vs seed/output ${seedBaseline.speedup.toFixed(2)}× at ≥ ${bar} dB: ${fasterThanSeedBy}× faster`],
    [
      'at the same speed',
      seedAtSameSpeed ? `seed/output ${seedAtSameSpeed.speedup.toFixed(2)}× gives ${seedAtSameSpeed.meanPsnr.toFixed(2)} dB: ${psnrGainAtSameSpeed} dB less` : 'n/a',
    ],
    ...timing.map((t): [string, string] => [
      `wall time  ${t.variant}`,
      `${t.realisedSpeedup}× realised vs ${t.idealSpeedup}× ideal (${(t.realisedOverIdeal * 100).toFixed(1)}%), fastest runs ${t.fastestRunsSpeedup}×, CPU time ${t.cpuSpeedup}×, from step medians ${t.stepModelSpeedup}× (${(t.stepModelOverIdeal * 100).toFixed(1)}%); steps: uncached ${t.uncachedStepMs} ms, computed ${t.computedStepMs} ms, reused ${t.reusedStepMs} ms`,
    ]),
    ['report / plot', `${join(outDir, 'report.json')} / ${plotFile}`],
  ];
  const width = Math.max(...rows.map(([l]) => l.length));
  for (const [l, value] of rows) process.stdout.write(`${l.padEnd(width)}  ${value}\n`);
  process.stdout.write(
    `${JSON.stringify({
      model: model.info.id,
      trained: model.info.trained,
      weights: report.model.weights,
      qualityBarDb: bar,
      bestSpeedupAtBar: Object.fromEntries(Object.entries(bestByPolicy).map(([k, v]) => [k, round(v!.speedup, 3)])),
      best: summarise(overall),
      fasterThanSeedBy,
      fewerStepsSpeedupAtBar: round(fewerStepsAtBar, 3),
      minLeadOverFewerStepsDb: Object.fromEntries(policies.map((p) => [p, leadOverFewerSteps(results.filter((r) => r.policy === p))])),
      psnrGainAtSameSpeed,
      timing: timing.map(({ variant, idealSpeedup, realisedSpeedup, realisedOverIdeal, cpuSpeedup, stepModelOverIdeal }) => ({
        variant,
        idealSpeedup,
        realisedSpeedup,
        realisedOverIdeal,
        cpuSpeedup,
        stepModelOverIdeal,
      })),
    })}\n`,
  );
}

await runCli(main, USAGE);
