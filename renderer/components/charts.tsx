// Live run charts (recharts): the per-step hit/miss timeline, the accumulated
// distance against the threshold, and per-step latency. Renderer only.

import { Area, Bar, BarChart, CartesianGrid, Cell, ComposedChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis, type BarShapeProps, type TooltipContentProps } from 'recharts';
import type { StepEvent } from '../lib/types.ts';
import { formatAgainst, formatMs } from '../lib/format.ts';

export interface ChartStep {
  /** 1-based, as people count steps. */
  readonly step: number;
  readonly state: 'miss' | 'hit' | 'pending';
  /** What the prediction expects of a pending step, drawn as a ghost until the real decision lands. */
  readonly expected: 'miss' | 'hit' | null;
  readonly mark: number;
  readonly accumulated: number | null;
  /** The threshold this step's accumulated distance was compared with (null with the cache off). */
  readonly threshold: number | null;
  readonly ms: number | null;
  readonly timestep: number | null;
  readonly reason: string | null;
}

/** One row per step of the run; steps not yet reported are 'pending' (with the predicted decision when known). */
export function chartSteps(events: readonly StepEvent[], total: number, predicted: readonly boolean[] | null = null): ChartStep[] {
  const byIndex = new Map(events.map((e) => [e.index, e]));
  return Array.from({ length: total }, (_, index) => {
    const e = byIndex.get(index);
    if (!e) {
      const compute = predicted?.[index];
      const expected = compute === undefined ? null : compute ? 'miss' : 'hit';
      return { step: index + 1, state: 'pending', expected, mark: expected === 'hit' ? 0.55 : 1, accumulated: null, threshold: null, ms: null, timestep: null, reason: null };
    }
    return {
      step: index + 1,
      expected: null,
      state: e.computed ? 'miss' : 'hit',
      // Reused steps draw shorter: the eye reads "less work" before the colour.
      mark: e.computed ? 1 : 0.55,
      accumulated: e.threshold === null ? null : e.accumulated,
      threshold: e.threshold,
      ms: e.ms,
      timestep: e.timestep,
      reason: e.reason,
    };
  });
}

const COLORS = { miss: 'var(--compute)', hit: 'var(--reuse)', pending: 'var(--pending)' } as const;
const AXIS = { stroke: 'var(--chart-axis)', fontSize: 11, tickLine: false, axisLine: false } as const;
const REASONS: Record<string, string> = {
  'first-step': 'first step',
  'skip-early': 'skip-early step',
  'cold-cache': 'nothing cached yet',
  threshold: 'passed threshold',
  reuse: 'below threshold',
  'cache-off': 'cache off',
  'last-step': 'last step',
  'outside-window': 'outside the cache window',
  'max-reuse': 'too many reuses in a row',
};

function StepTooltip({ active, payload }: TooltipContentProps) {
  const row = payload?.[0]?.payload as ChartStep | undefined;
  if (!active || !row) return null;
  return (
    <div className="chart-tooltip">
      <div className="chart-tooltip-title">Step {row.step}</div>
      {row.state === 'pending' ? (
        <div className="chart-tooltip-row muted">{row.expected === null ? 'waiting…' : `waiting · predicted ${row.expected === 'hit' ? 'reuse' : 'compute'}`}</div>
      ) : (
        <>
          <div className="chart-tooltip-row">
            <span className={`legend-dot is-${row.state === 'miss' ? 'compute' : 'reuse'}`} />
            {row.state === 'miss' ? 'computed' : 'reused'} · {REASONS[row.reason ?? ''] ?? row.reason}
          </div>
          {row.timestep !== null && <div className="chart-tooltip-row muted">t = {row.timestep.toFixed(3)}</div>}
          {row.accumulated !== null && (
            <div className="chart-tooltip-row muted">
              accumulated {row.threshold === null ? row.accumulated.toFixed(3) : `${formatAgainst(row.accumulated, row.threshold)} threshold`}
            </div>
          )}
          {row.ms !== null && <div className="chart-tooltip-row muted">{formatMs(row.ms)}</div>}
        </>
      )}
    </div>
  );
}

function DecisionMark(props: BarShapeProps) {
  const row = props.payload as ChartStep;
  const { x, y, width, height } = props;
  const common = { x, y, width: Math.max(1, width), height: Math.max(0, height), rx: Math.min(3, width / 3) };
  if (row.state === 'pending') {
    // A ghost: the predicted decision's colour, faint, so the run can be watched filling in the prediction.
    const ghost = row.expected === null ? COLORS.pending : COLORS[row.expected];
    return <rect {...common} fill={ghost} fillOpacity={row.expected === null ? 1 : 0.26} aria-hidden="true" />;
  }
  const hit = row.state === 'hit';
  return (
    <rect
      {...common}
      fill={COLORS[row.state]}
      role="img"
      aria-label={`Step ${row.step}: ${hit ? 'reused (cache hit)' : 'computed (cache miss)'}`}
      data-decision={row.state}
    />
  );
}

/** Runs of like steps, "steps 1–3 computed, 4–6 reused, …": the timeline in words for screen readers. */
function decisionSummary(steps: readonly ChartStep[], predicted: boolean): string {
  const state = (s: ChartStep) => (predicted ? s.expected : s.state === 'pending' ? null : s.state);
  const runs: string[] = [];
  let start = 0;
  for (let i = 1; i <= steps.length; i++) {
    if (i < steps.length && state(steps[i]!) === state(steps[start]!)) continue;
    const what = state(steps[start]!);
    const span = i - start === 1 ? `step ${start + 1}` : `steps ${start + 1}–${i}`;
    runs.push(`${span} ${what === 'miss' ? 'computed' : what === 'hit' ? 'reused' : 'pending'}`);
    start = i;
  }
  return `${predicted ? 'Predicted: ' : ''}${runs.join(', ')}.`;
}

function distanceSummary(steps: readonly ChartStep[], threshold: number | null): string {
  if (threshold === null) return 'Caching is off: no distance is accumulated.';
  const done = steps.filter((s) => s.accumulated !== null);
  if (done.length === 0) return `Threshold ${threshold.toFixed(3)}; no step has reported yet.`;
  const peak = Math.max(...done.map((s) => s.accumulated!));
  const reached = done.filter((s) => s.reason === 'threshold').length;
  return `Threshold ${threshold.toFixed(3)}. The accumulated distance peaks at ${peak.toFixed(3)} and reaches the threshold ${reached} ${reached === 1 ? 'time' : 'times'}.`;
}

const ticksFor = (total: number) => {
  const every = total <= 12 ? 1 : total <= 40 ? 5 : 10;
  const ticks = [1];
  for (let s = every; s <= total; s += every) if (s !== 1) ticks.push(s);
  return ticks;
};

export function DecisionTimeline({ steps, title = 'Cache decisions' }: { steps: readonly ChartStep[]; title?: string }) {
  const ghostOnly = steps.length > 0 && steps.every((s) => s.state === 'pending' && s.expected !== null);
  const hits = steps.filter((s) => (ghostOnly ? s.expected === 'hit' : s.state === 'hit')).length;
  const misses = steps.filter((s) => (ghostOnly ? s.expected === 'miss' : s.state === 'miss')).length;
  return (
    <figure className="chart" aria-label={ghostOnly ? 'Predicted cache decisions per step' : 'Cache decisions per step'}>
      <figcaption className="chart-caption">
        <span className="chart-title">{title}</span>
        <span className="chart-legend">
          <span className="legend-dot is-compute" /> computed <strong>{misses}</strong>
          <span className="legend-dot is-reuse" /> reused <strong>{hits}</strong>
        </span>
      </figcaption>
      <p className="visually-hidden">{decisionSummary(steps, ghostOnly)}</p>
      <ResponsiveContainer width="100%" height={92}>
        <BarChart data={steps as ChartStep[]} margin={{ top: 6, right: 4, bottom: 0, left: 4 }} barCategoryGap="18%" accessibilityLayer={false}>
          <XAxis dataKey="step" {...AXIS} ticks={ticksFor(steps.length)} interval={0} />
          <YAxis hide domain={[0, 1]} />
          <Tooltip content={StepTooltip} cursor={{ fill: 'var(--chart-cursor)' }} isAnimationActive={false} />
          <Bar dataKey="mark" isAnimationActive={false} shape={DecisionMark} />
        </BarChart>
      </ResponsiveContainer>
    </figure>
  );
}

export function DistanceChart({ steps, threshold }: { steps: readonly ChartStep[]; threshold: number | null }) {
  const peak = Math.max(0, ...steps.map((s) => s.accumulated ?? 0));
  const top = threshold === null ? 1 : Math.max(threshold * 1.3, peak * 1.08, 0.01);
  return (
    <figure className="chart" aria-label="Accumulated distance against the threshold">
      <figcaption className="chart-caption">
        <span className="chart-title">Accumulated distance</span>
        <span className="chart-legend">
          <span className="legend-line is-threshold" /> threshold {threshold === null ? 'off' : threshold.toFixed(3)}
        </span>
      </figcaption>
      <p className="visually-hidden">{distanceSummary(steps, threshold)}</p>
      <div className="chart-body">
        <ResponsiveContainer width="100%" height={150}>
          <ComposedChart data={steps as ChartStep[]} margin={{ top: 8, right: 8, bottom: 0, left: -8 }} accessibilityLayer={false}>
            <defs>
              <linearGradient id="accumulated-fill" x1="0" y1="0" x2="0" y2="1">
                <stop offset="0%" stopColor="var(--accent)" stopOpacity={0.35} />
                <stop offset="100%" stopColor="var(--accent)" stopOpacity={0.02} />
              </linearGradient>
            </defs>
            <CartesianGrid vertical={false} stroke="var(--chart-grid)" />
            <XAxis dataKey="step" {...AXIS} ticks={ticksFor(steps.length)} interval={0} />
            <YAxis {...AXIS} domain={[0, top]} tickFormatter={(v: number) => v.toFixed(2)} width={44} />
            <Tooltip content={StepTooltip} cursor={{ stroke: 'var(--chart-axis)' }} isAnimationActive={false} />
            <Area
              type="linear"
              dataKey="accumulated"
              stroke="var(--accent)"
              strokeWidth={1.75}
              fill="url(#accumulated-fill)"
              isAnimationActive={false}
              connectNulls={false}
              dot={(p: { cx?: number; cy?: number; payload?: ChartStep; index?: number }) =>
                p.cx === undefined || p.cy === undefined || p.payload?.accumulated == null ? (
                  <g key={p.index} />
                ) : (
                  <circle key={p.index} cx={p.cx} cy={p.cy} r={2.6} fill={COLORS[p.payload.state]} stroke="var(--surface)" strokeWidth={1} />
                )
              }
            />
            {threshold !== null && <ReferenceLine y={threshold} stroke="var(--threshold)" strokeDasharray="4 3" strokeWidth={1.5} ifOverflow="extendDomain" />}
          </ComposedChart>
        </ResponsiveContainer>
        {threshold === null && <div className="chart-empty">Caching is off: every step runs the model.</div>}
      </div>
    </figure>
  );
}

export function LatencyChart({ steps }: { steps: readonly ChartStep[] }) {
  const done = steps.filter((s) => s.ms !== null);
  const mean = (state: 'hit' | 'miss') => {
    const xs = done.filter((s) => s.state === state).map((s) => s.ms!);
    return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
  };
  const computeMs = mean('miss');
  const reuseMs = mean('hit');
  return (
    <figure className="chart" aria-label="Latency per step">
      <figcaption className="chart-caption">
        <span className="chart-title">
          Step latency <span className="chart-unit">ms</span>
        </span>
        <span className="chart-legend">
          {computeMs !== null && (
            <>
              <span className="legend-dot is-compute" /> {formatMs(computeMs)}
            </>
          )}
          {reuseMs !== null && (
            <>
              <span className="legend-dot is-reuse" /> {formatMs(reuseMs)}
            </>
          )}
        </span>
      </figcaption>
      <p className="visually-hidden">
        {done.length === 0
          ? 'No step has finished yet.'
          : `${done.length} steps timed${computeMs === null ? '' : `; computed steps take ${formatMs(computeMs)} on average`}${reuseMs === null ? '' : `, reused steps ${formatMs(reuseMs)}`}.`}
      </p>
      <ResponsiveContainer width="100%" height={150}>
        <BarChart data={steps as ChartStep[]} margin={{ top: 8, right: 8, bottom: 0, left: -8 }} barCategoryGap="18%" accessibilityLayer={false}>
          <CartesianGrid vertical={false} stroke="var(--chart-grid)" />
          <XAxis dataKey="step" {...AXIS} ticks={ticksFor(steps.length)} interval={0} />
          <YAxis {...AXIS} width={48} tickFormatter={(v: number) => `${Math.round(v)}`} />
          <Tooltip content={StepTooltip} cursor={{ fill: 'var(--chart-cursor)' }} isAnimationActive={false} />
          <Bar dataKey="ms" isAnimationActive={false} radius={[2, 2, 0, 0]}>
            {steps.map((s) => (
              <Cell key={s.step} fill={COLORS[s.state]} />
            ))}
          </Bar>
        </BarChart>
      </ResponsiveContainer>
    </figure>
  );
}
