// The main stage: the live run (preview, progress, charts) or the selected run
// (image, comparison with its uncached baseline and with as many plain steps as it
// computed forwards, stats, charts). Renderer only.

import { useEffect, useMemo, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { formatDb, formatMs, formatPsnr, formatSpeedup, formatThreshold, formatTime } from '../lib/format.ts';
import { cacheLeadDb, fewerStepsPlan, measuredRunOf } from '../../main/core/run-links.ts';
import { forwardEquivalentsOf, idealSpeedup, isTimingNoise } from '../../main/core/teacache/step-cost.ts';
import { measuringRunLabel, POLICY_LABELS, REUSE_LABELS } from '../lib/labels.ts';
import { predictRequest, predictRun } from '../lib/prediction.ts';
import type { PendingJob, Psnr, RunEntry } from '../lib/types.ts';
import { comparisonKey } from '../store/media-slice.ts';
import { isActive, type LiveRun } from '../store/run-slice.ts';
import { useStudio } from '../store/store.ts';
import { chartSteps, DecisionTimeline, DistanceChart, LatencyChart } from './charts.tsx';
import { Segmented } from './controls.tsx';
import { GaugeIcon, StopIcon } from './icons.tsx';
import { ImageZoom } from './image-zoom.tsx';
import { fitIn, PixelImage, StoredImage, useRunImage } from './run-image.tsx';

const HERO = 288;
const PAIR = 216;

export function Stage() {
  const { run, selected } = useStudio(useShallow((s) => ({ run: s.run, selected: s.history.find((e) => e.id === s.selectedId) ?? null })));
  return (
    <main className="stage" aria-label="Run">
      {run ? <LiveView run={run} /> : selected ? <ResultView entry={selected} /> : <EmptyStage />}
    </main>
  );
}

function EmptyStage() {
  const { model, draft, history } = useStudio(useShallow((s) => ({ model: s.model, draft: s.draft, history: s.history })));
  const next = useMemo(() => {
    if (!model || !draft) return null;
    const p = predictRun(model, draft, history);
    return 'steps' in p ? chartSteps([], p.steps.length, p.steps.map((s) => s.compute)) : null;
  }, [model, draft, history]);
  return (
    <div className="empty-stage">
      <div className="empty-glyph" aria-hidden="true">
        <GaugeIcon width={28} height={28} />
      </div>
      <h1 className="empty-title">Tune speed against quality</h1>
      <p className="empty-text">Write a prompt, move the TeaCache sliders to see which steps will reuse the model’s output, then press Generate to watch every decision arrive.</p>
      {next && (
        <div className="card empty-preview">
          <DecisionTimeline steps={next} title="Next run, as predicted" />
        </div>
      )}
    </div>
  );
}

/** Jobs ahead of run `jobId` in the host's queue (the running one included), or null when it is not waiting. */
export function placeInQueue(jobs: readonly PendingJob[], jobId: string | null): number | null {
  if (jobId === null) return null;
  const job = jobs.find((j) => j.jobId === jobId);
  if (!job || job.running) return null;
  return jobs.indexOf(job);
}

/** A run the host has not started: it has a job id, the host lists it as waiting, and no step has arrived. */
const isQueued = (run: LiveRun, ahead: number | null) => ahead !== null && ahead > 0 && run.events.length === 0 && (run.status === 'starting' || run.status === 'running');

function statusText(run: LiveRun, ahead: number | null): string {
  const done = run.events.length;
  if (isQueued(run, ahead)) return `Queued · ${ahead} ${ahead === 1 ? 'job' : 'jobs'} ahead`;
  switch (run.status) {
    case 'starting':
      return 'Starting…';
    case 'running':
      return `Step ${done} of ${run.total}`;
    case 'cancelling':
      return 'Cancelling…';
    case 'cancelled':
      return `Cancelled after ${done} of ${run.total} steps`;
    case 'failed':
      return `Stopped after ${done} of ${run.total} steps`;
  }
}

const PURPOSE_LABELS = { reference: 'Uncached reference', 'fewer-steps': 'Same forwards as plain steps' } as const;

/** What the live run is, above its title: never "Generating" for a run that failed or has not started. */
function liveEyebrow(run: LiveRun, ahead: number | null): string {
  const what = run.purpose === 'run' ? 'Run' : PURPOSE_LABELS[run.purpose];
  switch (run.status) {
    case 'failed':
      return `${what} · failed`;
    case 'cancelled':
      return `${what} · cancelled`;
    default:
      if (isQueued(run, ahead)) return `${what} · queued`;
      return run.purpose === 'run' ? 'Generating' : PURPOSE_LABELS[run.purpose];
  }
}

function LiveView({ run }: { run: LiveRun }) {
  const { cancel, model, history, jobs } = useStudio(useShallow((s) => ({ cancel: s.cancel, model: s.model, history: s.history, jobs: s.jobs })));
  const ahead = placeInQueue(jobs, run.jobId);
  const predicted = useMemo(() => {
    if (!model) return null;
    const p = predictRequest(model, run.request, history);
    return 'steps' in p ? p.steps.map((s) => s.compute) : null;
  }, [model, run.request, history]);
  const steps = useMemo(() => chartSteps(run.events, run.total, predicted), [run.events, run.total, predicted]);
  const threshold = run.events[0]?.threshold ?? (run.request.cache?.enabled === false ? null : (run.request.cache?.threshold ?? null));
  const done = run.events.length;
  const active = isActive(run);
  const fraction = run.total > 0 ? done / run.total : 0;
  return (
    <div className="stage-content" data-run-status={run.status}>
      <header className="stage-header">
        <div className="stage-heading">
          <p className="eyebrow">{liveEyebrow(run, ahead)}</p>
          <h1 className="stage-title">{run.request.prompt || 'Untitled'}</h1>
        </div>
        <div className="stage-actions">
          <span className={`status-pill is-${run.status}`} role="status">
            {active && <span className="spinner" aria-hidden="true" />}
            {statusText(run, ahead)}
          </span>
          {active && (
            <button type="button" className="button button-secondary" onClick={() => void cancel()} disabled={run.status === 'cancelling'}>
              <StopIcon /> Cancel
            </button>
          )}
        </div>
      </header>
      <div
        className="progress"
        role="progressbar"
        aria-label="Generation progress"
        aria-valuemin={0}
        aria-valuemax={run.total}
        aria-valuenow={done}
      >
        <div className={`progress-fill is-${run.status}`} style={{ width: `${fraction * 100}%` }} />
      </div>
      <div className="hero">
        <div className="hero-image">
          <PixelImage image={run.preview} alt={active ? 'Preview of the image so far' : 'Last preview'} size={HERO} className={active ? 'is-live' : ''} />
          <p className="image-caption">{active ? (run.preview ? 'Live estimate of the final image' : 'The first preview arrives after a step') : 'Last preview before the run stopped'}</p>
        </div>
        <div className="tiles">
          <Tile label="Computed" value={String(run.events.filter((e) => e.computed).length)} sub={`of ${run.total} steps`} tone="compute" />
          <Tile label="Reused" value={String(run.events.filter((e) => !e.computed).length)} sub="cache hits" tone="reuse" />
          <Tile label="Elapsed" value={formatMs(run.events.reduce((sum, e) => sum + e.ms, 0))} sub="in steps so far" />
        </div>
      </div>
      <Charts steps={steps} threshold={threshold} />
    </div>
  );
}

function ResultView({ entry }: { entry: RunEntry }) {
  const steps = useMemo(() => chartSteps(entry.events, entry.request.steps), [entry]);
  const threshold = entry.events[0]?.threshold ?? null;
  const { history, selectRun, applySettings, saveImage, copyImage } = useStudio(
    useShallow((s) => ({ history: s.history, selectRun: s.selectRun, applySettings: s.applySettings, saveImage: s.saveImage, copyImage: s.copyImage })),
  );
  const [zoomed, setZoomed] = useState(false);
  const r = entry.request;
  const cfg = r.guidanceMode === 'cfg' ? `CFG ${r.guidanceScale}` : r.guidanceMode === 'embedded' ? `guidance ${r.guidanceScale}` : 'no guidance';
  const reuse = r.cache.reuse === 'output' ? '' : ` · reuse ${REUSE_LABELS[r.cache.reuse].toLowerCase()}`;
  const sinceCompute = r.cache.policy === 'teacache' && r.cache.accumulate === 'since-compute' ? ' · since last compute' : '';
  const cache = r.cache.enabled
    ? `${POLICY_LABELS[r.cache.policy].label}, threshold ${formatThreshold(r.cache.threshold)} · rescale ${r.cache.rescaleFactor} · skip ${r.cache.skipEarlySteps}${sinceCompute}${reuse}`
    : 'cache off';
  const measured = measuredRunOf(entry);
  const parent = measured ? history.find((e) => e.id === measured) : undefined;
  return (
    <div className="stage-content" data-run-id={entry.id}>
      <header className="stage-header">
        <div className="stage-heading">
          <p className="eyebrow">
            {measuringRunLabel(entry) ?? 'Result'} · {formatTime(entry.createdAt)}
          </p>
          <h1 className="stage-title">{r.prompt || 'Untitled'}</h1>
          <p className="stage-meta">
            seed {r.seed} · {r.steps} steps · {r.width}×{r.height} · {cfg} · {cache}
          </p>
        </div>
        <div className="stage-actions result-actions">
          {parent && (
            <button type="button" className="button button-secondary" onClick={() => selectRun(parent.id)}>
              Show cached run
            </button>
          )}
          <button type="button" className="button button-secondary" onClick={() => applySettings(r)} title="Put this run's prompt, seed, size and cache settings in the sidebar">
            Use these settings
          </button>
          <button type="button" className="button button-secondary" onClick={() => setZoomed(true)} title="Look at the image up close">
            Zoom
          </button>
          <button type="button" className="button button-secondary" onClick={() => void copyImage(entry.id)}>
            Copy
          </button>
          <button type="button" className="button button-primary" onClick={() => void saveImage(entry.id)} title="Save the PNG, with its settings in the file's parameters">
            Save…
          </button>
        </div>
      </header>
      {zoomed && <ImageZoom id={entry.id} alt={`Generated image: ${r.prompt}`} width={entry.width} height={entry.height} onClose={() => setZoomed(false)} />}
      {entry.unknownWords.length > 0 && (
        <p className="notice">
          The model does not know {entry.unknownWords.map((w) => `“${w}”`).join(', ')}; {entry.unknownWords.length === 1 ? 'it was' : 'they were'} ignored.
        </p>
      )}
      <div className="hero">
        <ResultImages entry={entry} />
        <ResultTiles entry={entry} />
      </div>
      {entry.fewerSteps && <FewerStepsSummary entry={entry} plain={entry.fewerSteps} />}
      <Charts steps={steps} threshold={threshold} />
    </div>
  );
}

function ResultImages({ entry }: { entry: RunEntry }) {
  const { compareMode, setCompareMode, loadComparison } = useStudio(
    useShallow((s) => ({ compareMode: s.compareMode, setCompareMode: s.setCompareMode, loadComparison: s.loadComparison })),
  );
  const baselineId = entry.baseline?.id ?? null;
  const comparison = useStudio((s) => (baselineId ? s.comparisons[comparisonKey(entry.id, baselineId)] : undefined));
  const image = useRunImage(entry.id);
  useEffect(() => {
    if (baselineId) void loadComparison(entry.id, baselineId);
  }, [entry.id, baselineId, loadComparison]);

  const scale = Math.max(1, Math.round(HERO / Math.max(entry.width, entry.height)));
  if (!baselineId) {
    return (
      <div className="hero-image">
        <PixelImage image={image} alt={`Generated image: ${entry.request.prompt}`} size={HERO} />
        <p className="image-caption">
          {entry.request.width}×{entry.request.height} px, shown {scale}× with crisp pixels
        </p>
      </div>
    );
  }
  const pairBox = fitIn(PAIR, entry.width, entry.height);
  return (
    <div className="compare">
      <Segmented label="Comparison view" hideLabel value={compareMode} options={['side-by-side', 'difference'] as const} format={(m) => (m === 'side-by-side' ? 'Side by side' : 'Difference')} onChange={setCompareMode} />
      {/* Both views keep the cached image on the left and one figure of the same size on the right, so switching moves nothing. */}
      <div className="compare-pair">
        <figure className="compare-item">
          <PixelImage image={image} alt={`Generated image: ${entry.request.prompt}`} size={PAIR} />
          <figcaption>TeaCache · {formatMs(entry.wallMs)}</figcaption>
        </figure>
        <figure className="compare-item" style={{ minWidth: pairBox.width }}>
          {compareMode === 'side-by-side' ? (
            <>
              <StoredImage id={baselineId} alt="Uncached reference image" size={PAIR} />
              <figcaption>Uncached · {formatMs(entry.baseline!.wallMs)}</figcaption>
            </>
          ) : (
            <>
              <PixelImage image={comparison?.state === 'ready' ? comparison.value.difference : null} alt="Difference from the uncached reference" size={PAIR} />
              <figcaption>
                {comparison?.state === 'ready' ? (
                  <DifferenceLegend max={comparison.value.maxDifference} />
                ) : comparison?.state === 'failed' ? (
                  comparison.error.message
                ) : (
                  'Comparing…'
                )}
              </figcaption>
            </>
          )}
        </figure>
      </div>
    </div>
  );
}

/** The difference map's scale: black where the images agree, white at the largest difference (of 255 levels). */
function DifferenceLegend({ max }: { max: number }) {
  if (max === 0) return <span>Identical: no pixel differs</span>;
  return (
    <span className="diff-legend" title={`Per-pixel difference from the uncached image, scaled so the largest (${max} of 255 levels) is white`}>
      <span className="diff-legend-bar" aria-hidden="true" />
      <span className="diff-legend-ends">
        <span>0</span>
        <span>{Math.round(max / 2)}</span>
        <span>{max} of 255</span>
      </span>
    </span>
  );
}

function ResultTiles({ entry }: { entry: RunEntry }) {
  const { run, generateReference } = useStudio(useShallow((s) => ({ run: s.run, generateReference: s.generateReference })));
  const { stats, request } = entry;
  const baseline = entry.baseline;
  const canMeasure = request.cache.enabled && !entry.baselineOf;
  const cost = forwardEquivalentsOf(stats);
  const ideal = idealSpeedup(request.steps, cost);
  // Skipped forwards bound the gain; a measured ratio above that is wall-time noise (a busy machine, a warm cache).
  const noisy = baseline !== null && isTimingNoise(baseline.speedup, ideal);
  return (
    <div className="tiles" aria-label="Run statistics">
      <Tile label="Computed" value={String(stats.misses)} sub={`of ${request.steps} steps`} tone="compute" />
      <Tile label="Reused" value={String(stats.hits)} sub="cache hits" tone="reuse" />
      <Tile label="Wall time" value={formatMs(entry.wallMs)} sub={`${entry.backend.device.toUpperCase()} · ${entry.backend.name} backend`} />
      <Tile
        label="Ideal speedup"
        value={formatSpeedup(ideal)}
        sub={cost === stats.forwards ? `${request.steps} steps / ${stats.forwards} forwards` : `${request.steps} steps / ${formatForwards(cost)} forwards’ cost`}
        title={probeNote(entry) ?? undefined}
      />
      {baseline ? (
        <>
          <Tile
            label="Speedup"
            value={formatSpeedup(baseline.speedup)}
            sub={noisy ? `above the ideal ${formatSpeedup(ideal)}: timing noise` : `vs uncached ${formatMs(baseline.wallMs)}`}
            tone={noisy ? 'warning' : 'accent'}
            title={noisy ? `Skipping forwards can save at most ${formatSpeedup(ideal)}; the rest is the machine's timing varying between the two runs (uncached took ${formatMs(baseline.wallMs)}).` : undefined}
          />
          <Tile label="PSNR" value={baseline.psnr === 'identical' ? '∞' : formatDb(baseline.psnr)} sub={baseline.psnr === 'identical' ? 'identical to uncached' : 'against uncached'} />
        </>
      ) : canMeasure ? (
        <div className="tile tile-action">
          <span className="tile-label">Speedup &amp; PSNR</span>
          <p className="tile-sub">
            {entry.fewerSteps
              ? `Run the same settings uncached once: the cache's PSNR and that of the ${entry.fewerSteps.steps} plain steps are both measured against it.`
              : 'Run the same settings uncached once; it is kept for comparison.'}
          </p>
          <button type="button" className="button button-secondary" disabled={isActive(run)} onClick={() => void generateReference(entry.id)}>
            Run uncached reference
          </button>
        </div>
      ) : (
        <Tile label="Speedup" value="1.00×" sub={entry.baselineOf ? 'this is the uncached reference' : entry.fewerStepsOf ? 'plain steps, no cache' : 'caching was off'} />
      )}
      {canMeasure && <FewerStepsTile entry={entry} />}
    </div>
  );
}

/** The PSNR of run `entry`'s plain-steps run against its uncached reference (the compare request's), loaded once both exist. */
function usePlainStepsPsnr(entry: RunEntry) {
  const loadComparison = useStudio((s) => s.loadComparison);
  const plainId = entry.fewerSteps?.id ?? null;
  const baselineId = entry.baseline?.id ?? null;
  const comparison = useStudio((s) => (plainId && baselineId ? s.comparisons[comparisonKey(plainId, baselineId)] : undefined));
  useEffect(() => {
    if (plainId && baselineId) void loadComparison(plainId, baselineId);
  }, [plainId, baselineId, loadComparison]);
  return comparison;
}

/** Why a cached run has no plain-steps rival, as briefly as a tile allows (the stage offers none to references or uncached runs). */
function noRivalText(entry: RunEntry, plan: Extract<ReturnType<typeof fewerStepsPlan>, { problem: string }>): string {
  if (plan.problem === 'all-computed') return `Every one of the ${entry.request.steps} steps computed, so as many plain steps is this same run: nothing to compare.`;
  if (plan.problem === 'no-forwards') return 'No step computed a forward: there are no plain steps to compare with.';
  return plan.message;
}

/** The offer to spend this run's forwards on plain steps, or that run's PSNR once made. */
function FewerStepsTile({ entry }: { entry: RunEntry }) {
  const { run, generateFewerSteps } = useStudio(useShallow((s) => ({ run: s.run, generateFewerSteps: s.generateFewerSteps })));
  const comparison = usePlainStepsPsnr(entry);
  const plain = entry.fewerSteps;
  if (plain) {
    const sub = `same ${plain.steps} forwards`;
    if (!entry.baseline) return <Tile label="Plain steps" value="—" sub="needs the reference" title="Its PSNR is measured against the uncached reference: run that first." />;
    if (comparison?.state === 'ready') return <Tile label="Plain steps" value={formatPsnr(comparison.value.psnr)} sub={sub} />;
    return <Tile label="Plain steps" value="—" sub={comparison?.state === 'failed' ? comparison.error.message : 'comparing…'} title={comparison?.state === 'failed' ? comparison.error.message : undefined} />;
  }
  const plan = fewerStepsPlan(entry);
  const probes = probeNote(entry);
  if ('problem' in plan) {
    return (
      <div className="tile tile-action" role="group" aria-label="Against fewer steps">
        <span className="tile-label">Against fewer steps</span>
        <p className="tile-sub">{noRivalText(entry, plan)}</p>
      </div>
    );
  }
  return (
    <div className="tile tile-action">
      <span className="tile-label">Against fewer steps</span>
      <p className="tile-sub">
        Run {plan.steps} uncached steps, the {plan.steps} forwards this run computed, to see what the cache bought.
        {probes && ` ${probes}`}
      </p>
      <button type="button" className="button button-secondary" disabled={isActive(run)} onClick={() => void generateFewerSteps(entry.id)}>
        Same forwards as plain steps
      </button>
    </div>
  );
}

/** A cost in forwards, to the hundredth where First-Block Cache's probes make it a fraction. */
function formatForwards(forwards: number): string {
  return Number.isInteger(forwards) ? String(forwards) : forwards.toFixed(2);
}

/**
 * Where a run's reused steps cost something (First-Block Cache runs the first block on each to decide), what
 * it cost in all; null where only its computed forwards count. The plain-steps comparison stays at equal
 * computed forwards, so this says how much more the cache spent than the plain steps get.
 */
function probeNote(entry: RunEntry): string | null {
  const cost = forwardEquivalentsOf(entry.stats);
  if (cost === entry.stats.forwards) return null;
  return `Its ${entry.stats.hits} reused steps each ran the first block too: ${formatForwards(cost)} forwards’ cost in all, not ${entry.stats.forwards}.`;
}

/** What the cache bought over plain steps, in dB closer to the uncached image; nothing where either matched it exactly. */
function lead(cache: Psnr, plain: Psnr): string {
  const gap = cacheLeadDb(cache, plain);
  if (gap === null) return '';
  if (gap === 0) return ' (no closer either way)';
  return gap > 0 ? ` (the cache is ${formatDb(gap)} closer to uncached)` : ` (plain steps are ${formatDb(-gap)} closer to uncached)`;
}

/** One line: the cache's PSNR beside that of as many plain steps as it computed forwards, both against the uncached reference. */
function FewerStepsSummary({ entry, plain }: { entry: RunEntry; plain: NonNullable<RunEntry['fewerSteps']> }) {
  const comparison = usePlainStepsPsnr(entry);
  const forwards = `${plain.steps} ${plain.steps === 1 ? 'forward' : 'forwards'}`;
  const plainSteps = `${plain.steps} plain ${plain.steps === 1 ? 'step' : 'steps'}`;
  let text: string;
  if (!entry.baseline) text = `${plainSteps} ran at the same ${forwards}. Both PSNRs need the uncached reference: run it to see what the cache bought.`;
  else if (comparison?.state === 'ready') {
    const probes = probeNote(entry);
    text = `Cache: ${formatPsnr(entry.baseline.psnr)} · ${plainSteps}: ${formatPsnr(comparison.value.psnr)} at the same ${forwards}${lead(entry.baseline.psnr, comparison.value.psnr)}${probes ? `. ${probes}` : ''}`;
  }
  else if (comparison?.state === 'failed') text = `Could not compare the ${plainSteps} with the uncached reference: ${comparison.error.message}`;
  else text = `Cache: ${formatPsnr(entry.baseline.psnr)} · ${plainSteps}: comparing…`;
  return (
    <p className="fewer-steps-summary" data-testid="fewer-steps-summary">
      {text}
    </p>
  );
}

function Tile({ label, value, sub, tone, title }: { label: string; value: string; sub: string; tone?: 'compute' | 'reuse' | 'accent' | 'warning'; title?: string | undefined }) {
  return (
    <div className={`tile${tone ? ` tone-${tone}` : ''}`} role="group" aria-label={label} title={title}>
      <span className="tile-label">{label}</span>
      <span className="tile-value">{value}</span>
      <span className="tile-sub">{sub}</span>
    </div>
  );
}

function Charts({ steps, threshold }: { steps: ReturnType<typeof chartSteps>; threshold: number | null }) {
  return (
    <div className="charts">
      <div className="card chart-wide">
        <DecisionTimeline steps={steps} />
      </div>
      <div className="card">
        <DistanceChart steps={steps} threshold={threshold} />
      </div>
      <div className="card">
        <LatencyChart steps={steps} />
      </div>
    </div>
  );
}
