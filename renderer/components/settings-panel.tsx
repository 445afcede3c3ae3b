// The left sidebar: prompt and sampling settings, the TeaCache panel, and the
// Generate / Cancel bar, which keeps the next run's prediction in view while any
// setting moves (before and after a run). Renderer only.

import { useId, useMemo, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { POLICY_NAMES, REUSE_MODES, TEACACHE_ACCUMULATIONS, type PolicyName, type ReuseMode, type TeaCacheAccumulation } from '../../main/core/teacache/policy.ts';
import { describeGuidance, ignoresGuidance } from '../../main/core/resolve-request.ts';
import { PRESET_NAMES, type PresetName } from '../../main/core/teacache/presets.ts';
import { cacheDefaults, guidanceRange, NEUTRAL_OPTIONS, parseSize, presetCache, RANGES, sizeChoices, sizeLabel, thresholdRange, type Draft, type DraftCache } from '../lib/draft.ts';
import { ACCUMULATION_HINTS, ACCUMULATION_LABELS, POLICY_LABELS, REUSE_LABELS } from '../lib/labels.ts';
import { formatSpeedup, formatThreshold } from '../lib/format.ts';
import { shortcutLabel } from '../lib/platform.ts';
import { aimFor, predictRun, type PredictionResult } from '../lib/prediction.ts';
import { MAX_BATCH } from '../store/queue-slice.ts';
import { isActive } from '../store/run-slice.ts';
import { useStudio } from '../store/store.ts';
import { CalibrationSection } from './calibration-section.tsx';
import { Section, Segmented, Slider, Switch } from './controls.tsx';
import { DiceIcon, ResetIcon, SparkIcon, StopIcon } from './icons.tsx';
import { PredictionStrip } from './prediction-strip.tsx';
import type { ModelSummary } from '../lib/types.ts';

export function SettingsPanel({ model, draft }: { model: ModelSummary; draft: Draft }) {
  const history = useStudio((s) => s.history);
  const prediction = useMemo(() => predictRun(model, draft, history), [model, draft, history]);
  return (
    <aside className="sidebar settings" aria-label="Settings">
      <div className="sidebar-scroll">
        <PromptSection draft={draft} />
        <SamplingSection model={model} draft={draft} />
        <TeaCachePanel model={model} draft={draft} prediction={prediction} />
      </div>
      <GenerateBar prediction={prediction} seed={draft.seed} />
    </aside>
  );
}

function PromptSection({ draft }: { draft: Draft }) {
  const setDraft = useStudio((s) => s.setDraft);
  return (
    <Section title="Prompt">
      <div className="field">
        <label htmlFor="prompt" className="visually-hidden">
          Prompt
        </label>
        <textarea
          id="prompt"
          className="textarea"
          rows={3}
          maxLength={2000}
          placeholder="red heart, smiling sun…"
          value={draft.prompt}
          onChange={(e) => setDraft({ prompt: e.currentTarget.value })}
        />
      </div>
      <div className="field">
        <label htmlFor="negative-prompt" className="field-label">
          Negative prompt
        </label>
        <input
          id="negative-prompt"
          className="text-input"
          maxLength={2000}
          placeholder="what to steer away from"
          value={draft.negativePrompt}
          onChange={(e) => setDraft({ negativePrompt: e.currentTarget.value })}
        />
      </div>
    </Section>
  );
}

function SamplingSection({ model, draft }: { model: ModelSummary; draft: Draft }) {
  const { setDraft, randomizeSeed } = useStudio(useShallow((s) => ({ setDraft: s.setDraft, randomizeSeed: s.randomizeSeed })));
  const sizes = sizeChoices(model);
  return (
    <Section title="Sampling">
      <div className="field">
        <label htmlFor="seed" className="field-label">
          Seed
        </label>
        <div className="input-group">
          <input
            id="seed"
            className="text-input mono"
            type="number"
            min={0}
            max={0xffff_ffff}
            step={1}
            value={draft.seed}
            onChange={(e) => {
              const seed = Math.trunc(Number(e.currentTarget.value));
              if (Number.isFinite(seed) && seed >= 0 && seed <= 0xffff_ffff) setDraft({ seed });
            }}
          />
          <button type="button" className="icon-button" aria-label="Randomize seed" title="Randomize seed" onClick={randomizeSeed}>
            <DiceIcon />
          </button>
        </div>
      </div>
      <Slider label="Steps" value={draft.steps} range={RANGES.steps} onChange={(steps) => setDraft({ steps })} />
      <Segmented
        label="Size"
        value={sizeLabel(draft.width, draft.height)}
        options={sizes}
        onChange={(label) => {
          const size = parseSize(label);
          if (size) setDraft(size);
        }}
      />
      <Slider
        label="Guidance"
        value={draft.guidanceScale}
        range={guidanceRange(model)}
        disabled={ignoresGuidance(model)}
        onChange={(guidanceScale) => setDraft({ guidanceScale })}
        hint={describeGuidance(model, draft.guidanceScale, draft.negativePrompt)}
      />
    </Section>
  );
}

function TeaCachePanel({ model, draft, prediction }: { model: ModelSummary; draft: Draft; prediction: PredictionResult }) {
  const { setCache, resetCache } = useStudio(useShallow((s) => ({ setCache: s.setCache, resetCache: s.resetCache })));
  const { cache } = draft;
  const resolvedSkip = 'error' in prediction ? (cache.skipEarlySteps ?? 0) : prediction.request.cache.skipEarlySteps;
  const defaults = cacheDefaults(model, cache.policy);
  const isDefault = (Object.keys(defaults) as (keyof DraftCache)[]).every((key) => key === 'enabled' || cache[key] === defaults[key]);
  const off = !cache.enabled;
  const set = (patch: Partial<DraftCache>) => setCache(patch);
  const optionsInUse = (Object.keys(NEUTRAL_OPTIONS) as (keyof typeof NEUTRAL_OPTIONS)[]).some((key) => cache[key] !== defaults[key]);
  return (
    <Section
      title="TeaCache"
      accessory={
        <button type="button" className="text-button" onClick={resetCache} disabled={isDefault} title="Threshold, rescale, skip-early and options back to the model's defaults">
          <ResetIcon /> Reset to defaults
        </button>
      }
    >
      <Switch label="Step caching" checked={cache.enabled} onChange={(enabled) => set({ enabled })} description="Reuse the model’s work while the schedule barely moves." />
      <PresetRow model={model} disabled={off} onPick={(preset) => set(preset)} />
      <div className={`field${off ? ' is-disabled' : ''}`}>
        <label htmlFor="policy" className="field-label">
          Policy
        </label>
        <select id="policy" className="select" value={cache.policy} disabled={off} onChange={(e) => set({ policy: e.currentTarget.value as PolicyName })}>
          {POLICY_NAMES.map((name) => (
            <option key={name} value={name}>
              {POLICY_LABELS[name].label}
            </option>
          ))}
        </select>
        <p className="field-hint">{POLICY_LABELS[cache.policy].hint}</p>
      </div>
      <Slider
        label="Threshold"
        value={cache.threshold}
        range={thresholdRange(cache.policy)}
        disabled={off}
        onChange={(threshold) => set({ threshold })}
        ends={['fewer reuses', 'more reuses']}
        hint="A step runs the model once the accumulated distance passes this, so a higher threshold reuses more."
      />
      <SpeedupAim model={model} draft={draft} disabled={off} />
      <Slider
        label="Rescale"
        value={cache.rescaleFactor}
        range={RANGES.rescaleFactor}
        disabled={off}
        onChange={(rescaleFactor) => set({ rescaleFactor })}
        hint="Multiplies each distance before it adds up: higher reuses less."
      />
      <Slider
        label="Skip-early steps"
        value={resolvedSkip}
        range={{ ...RANGES.skipEarlySteps, max: Math.min(RANGES.skipEarlySteps.max, draft.steps) }}
        disabled={off}
        display={cache.skipEarlySteps === null ? `${resolvedSkip} · auto` : String(resolvedSkip)}
        onChange={(skipEarlySteps) => set({ skipEarlySteps })}
        hint="The first steps always run the model: they shape the image most."
      />
      <details className="disclosure" open={optionsInUse || undefined}>
        <summary className="disclosure-summary">More options</summary>
        <div className="disclosure-body">
          <div className={`field${off ? ' is-disabled' : ''}`}>
            <label htmlFor="reuse" className="field-label">
              Reused steps use
            </label>
            <select id="reuse" className="select" value={cache.reuse} disabled={off} onChange={(e) => set({ reuse: e.currentTarget.value as ReuseMode })}>
              {REUSE_MODES.map((mode) => (
                <option key={mode} value={mode}>
                  {REUSE_LABELS[mode]}
                </option>
              ))}
            </select>
          </div>
          {cache.policy === 'teacache' && (
            <div className={`field${off ? ' is-disabled' : ''}`}>
              <label htmlFor="accumulate" className="field-label">
                Adds up
              </label>
              <select id="accumulate" className="select" value={cache.accumulate} disabled={off} onChange={(e) => set({ accumulate: e.currentTarget.value as TeaCacheAccumulation })}>
                {TEACACHE_ACCUMULATIONS.map((mode) => (
                  <option key={mode} value={mode}>
                    {ACCUMULATION_LABELS[mode]}
                  </option>
                ))}
              </select>
              <p className="field-hint">{ACCUMULATION_HINTS[cache.accumulate]}</p>
            </div>
          )}
          <Slider label="Cache from" value={cache.startFraction} range={RANGES.window} disabled={off} display={`${Math.round(cache.startFraction * 100)}%`} onChange={(startFraction) => set({ startFraction })} />
          <Slider label="Cache until" value={cache.endFraction} range={RANGES.window} disabled={off} display={`${Math.round(cache.endFraction * 100)}%`} onChange={(endFraction) => set({ endFraction })} />
          <Slider
            label="Reuses in a row"
            value={cache.maxConsecutiveReuses ?? RANGES.maxConsecutiveReuses.max}
            range={RANGES.maxConsecutiveReuses}
            disabled={off}
            display={cache.maxConsecutiveReuses === null ? 'no cap' : `at most ${cache.maxConsecutiveReuses}`}
            onChange={(max) => set({ maxConsecutiveReuses: max })}
          />
          <Switch label="Always compute the last step" checked={cache.alwaysComputeLast} onChange={(alwaysComputeLast) => set({ alwaysComputeLast })} />
        </div>
      </details>
      <CalibrationSection model={model} />
    </Section>
  );
}

const PRESET_LABELS: Record<PresetName, string> = { quality: 'Quality', balanced: 'Balanced', fast: 'Fast' };

/** One click to a measured point on this model's front: policy, reuse and threshold together. */
function PresetRow({ model, disabled, onPick }: { model: ModelSummary; disabled: boolean; onPick(preset: DraftCache): void }) {
  const labelId = useId();
  const presets = model.defaults.presets;
  if (!presets) return null;
  return (
    <div className={`field${disabled ? ' is-disabled' : ''}`}>
      <span id={labelId} className="field-label">
        Preset
      </span>
      <div className="segmented" role="group" aria-labelledby={labelId}>
        {PRESET_NAMES.map((name) => {
          const { policy, measured } = presets[name];
          const psnr = measured.meanPsnr === undefined ? '' : ` at ${measured.meanPsnr.toFixed(1)} dB`;
          return (
            <button
              key={name}
              type="button"
              className="segment"
              disabled={disabled}
              onClick={() => onPick(presetCache(model, name)!)}
              title={`${POLICY_LABELS[policy].label}: ${formatSpeedup(measured.speedup)}${psnr} (${measured.source})`}
            >
              {PRESET_LABELS[name]}
            </button>
          );
        })}
      </div>
    </div>
  );
}

/** Speeds offered in target-speedup mode. */
const AIMS = [1.5, 2, 3, 4] as const;

/** A prediction above the speed asked by more than this says so: the forwards a threshold can skip come in jumps. */
const OVERSHOOT = 1.02;

/** What the last "Aim for" press did, kept while the threshold stays where it put it. */
interface AimResult {
  readonly target: number;
  readonly threshold: number;
  readonly note: string;
}

/** Target-speedup mode: a one-off action that sets the threshold predicted to give a speed with the best quality. */
function SpeedupAim({ model, draft, disabled }: { model: ModelSummary; draft: Draft; disabled: boolean }) {
  const { history, setCache } = useStudio(useShallow((s) => ({ history: s.history, setCache: s.setCache })));
  const [result, setResult] = useState<AimResult | { readonly problem: string } | null>(null);
  const labelId = useId();
  const aim = (target: number) => {
    const { cache, aim: answer } = aimFor(model, draft, history, target);
    if ('error' in answer || 'unavailable' in answer) {
      setResult({ problem: 'error' in answer ? answer.error : answer.unavailable });
      return;
    }
    setCache(cache);
    const set = `Threshold set to ${formatThreshold(answer.threshold)}`;
    const note = !answer.reachable
      ? `${set}: ${target}× is out of reach with these settings; this is the fastest they allow (${formatSpeedup(answer.speedup)}).`
      : answer.speedup > target * OVERSHOOT
        ? `${set}: predicted ${formatSpeedup(answer.speedup)}, more than the ${target}× asked: no threshold gives a speed in between with these settings.`
        : `${set}: predicted ${formatSpeedup(answer.speedup)}.`;
    setResult({ target, threshold: answer.threshold, note });
  };
  // Once the slider moves on, the note about an earlier press no longer describes the settings.
  const current = result && 'threshold' in result && result.threshold !== draft.cache.threshold ? null : result;
  return (
    <div className={`field${disabled ? ' is-disabled' : ''}`}>
      <span id={labelId} className="field-label">
        Set threshold for a speed
      </span>
      <div className="aim-buttons" role="group" aria-labelledby={labelId}>
        {AIMS.map((target) => (
          <button
            key={target}
            type="button"
            className={`button button-secondary button-small${current && 'target' in current && current.target === target ? ' is-chosen' : ''}`}
            disabled={disabled}
            onClick={() => aim(target)}
            title={`Pick the policy measured best at ${target}× and the lowest threshold predicted to give it`}
          >
            {target}×
          </button>
        ))}
      </div>
      <p className="field-hint" role="status">
        {current ? ('problem' in current ? current.problem : current.note) : 'Picks the policy this model’s presets measured best at that speed, and the lowest threshold predicted to reach it.'}
      </p>
    </div>
  );
}

const BATCH_CHOICES = Array.from({ length: MAX_BATCH }, (_, i) => i + 1);

function GenerateBar({ prediction, seed }: { prediction: PredictionResult; seed: number }) {
  const { run, generateBatch, cancel, batchCount, setBatchCount } = useStudio(
    useShallow((s) => ({ run: s.run, generateBatch: s.generateBatch, cancel: s.cancel, batchCount: s.batchCount, setBatchCount: s.setBatchCount })),
  );
  const active = isActive(run);
  const invalid = 'error' in prediction ? prediction.error : null;
  const shortcut = shortcutLabel('↩');
  return (
    <div className="generate-bar">
      <NextRun prediction={prediction} />
      <div className="generate-row">
        {active ? (
          <button type="button" className="button button-secondary button-large" onClick={() => void cancel()} disabled={run?.status === 'cancelling'}>
            <StopIcon /> {run?.status === 'cancelling' ? 'Cancelling…' : 'Cancel'}
          </button>
        ) : (
          <button type="button" className="button button-primary button-large" onClick={() => void generateBatch()} disabled={invalid !== null} title={invalid ?? `Generate (${shortcut})`}>
            <SparkIcon /> {batchCount > 1 ? `Generate ${batchCount}` : 'Generate'}
          </button>
        )}
        <label className="batch-field" title="Images per press, each with the next seed">
          <span className="visually-hidden">Images per Generate</span>
          <span aria-hidden="true">×</span>
          <select className="select batch-select" value={batchCount} onChange={(e) => setBatchCount(Number(e.currentTarget.value))}>
            {BATCH_CHOICES.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
      </div>
      <p className="shortcut-hint">{active ? 'Esc cancels (outside text fields)' : batchCount > 1 ? `${shortcut} queues ${batchCount} images, seeds ${seed}–${seed + batchCount - 1}` : `${shortcut} generates`}</p>
    </div>
  );
}

/** The prediction for the next run, always in view: the decisions strip, forwards and speedup. */
function NextRun({ prediction }: { prediction: PredictionResult }) {
  if ('error' in prediction) {
    return (
      <p className="inline-error next-run-problem" role="alert">
        {prediction.error}
      </p>
    );
  }
  if ('unavailable' in prediction) return <p className="prediction prediction-unavailable">{prediction.unavailable}</p>;
  return <PredictionStrip prediction={prediction} />;
}
