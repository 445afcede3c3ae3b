// The left sidebar: prompt and sampling settings, the TeaCache panel with its
// live prediction, and the Generate / Cancel bar. Renderer only.

import { useId, useMemo, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { POLICY_NAMES, REUSE_MODES, TEACACHE_ACCUMULATIONS, type PolicyName, type ReuseMode, type TeaCacheAccumulation } from '../../main/core/teacache/policy.ts';
import { cacheDefaults, NEUTRAL_OPTIONS, RANGES, sizeChoices, thresholdRange, type Draft, type DraftCache } from '../lib/draft.ts';
import { ACCUMULATION_HINTS, ACCUMULATION_LABELS, POLICY_LABELS, REUSE_LABELS } from '../lib/labels.ts';
import { formatSpeedup } from '../lib/format.ts';
import { predictRun, thresholdForTarget, type PredictionResult } from '../lib/prediction.ts';
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
      <GenerateBar invalid={'error' in prediction ? prediction.error : null} />
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
  const cfg = draft.guidanceScale !== 1 && !model.info.guidanceEmbedded;
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
      <Segmented label="Size" value={draft.size} options={sizes} format={(s) => `${s}×${s}`} onChange={(size) => setDraft({ size })} />
      <Slider
        label="Guidance"
        value={draft.guidanceScale}
        range={RANGES.guidanceScale}
        onChange={(guidanceScale) => setDraft({ guidanceScale })}
        hint={model.info.guidanceEmbedded ? 'Embedded guidance: one forward per step.' : cfg ? 'True CFG: prompt and negative run together.' : 'Scale 1 turns guidance off.'}
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
      {'error' in prediction ? (
        <p className="inline-error" role="alert">
          {prediction.error}
        </p>
      ) : 'unavailable' in prediction ? (
        <p className="prediction prediction-unavailable">{prediction.unavailable}</p>
      ) : (
        <PredictionStrip prediction={prediction} />
      )}
    </Section>
  );
}

/** Speeds offered in target-speedup mode. */
const AIMS = [1.5, 2, 3, 4] as const;

/** Target-speedup mode: pick a speed, get the threshold that gives it with the best quality. */
function SpeedupAim({ model, draft, disabled }: { model: ModelSummary; draft: Draft; disabled: boolean }) {
  const { history, setCache } = useStudio(useShallow((s) => ({ history: s.history, setCache: s.setCache })));
  const [note, setNote] = useState<string | null>(null);
  const labelId = useId();
  const aim = (target: number) => {
    const answer = thresholdForTarget(model, draft, history, target);
    if ('error' in answer || 'unavailable' in answer) {
      setNote('error' in answer ? answer.error : answer.unavailable);
      return;
    }
    setCache({ threshold: answer.threshold });
    setNote(answer.reachable ? null : `${target}× is out of reach with these settings; this is the fastest they allow (${formatSpeedup(answer.speedup)}).`);
  };
  return (
    <div className={`field${disabled ? ' is-disabled' : ''}`}>
      <span id={labelId} className="field-label">
        Aim for
      </span>
      <div className="segmented" role="group" aria-labelledby={labelId}>
        {AIMS.map((target) => (
          <button key={target} type="button" className="segment" disabled={disabled} onClick={() => aim(target)} title={`Set the lowest threshold predicted to give ${target}×`}>
            {target}×
          </button>
        ))}
      </div>
      <p className="field-hint">{note ?? 'Sets the lowest threshold, so the best quality, predicted to reach that speed.'}</p>
    </div>
  );
}

function GenerateBar({ invalid }: { invalid: string | null }) {
  const { run, generate, cancel } = useStudio(useShallow((s) => ({ run: s.run, generate: s.generate, cancel: s.cancel })));
  const active = isActive(run);
  return (
    <div className="generate-bar">
      {active ? (
        <button type="button" className="button button-secondary button-large" onClick={() => void cancel()} disabled={run?.status === 'cancelling'}>
          <StopIcon /> {run?.status === 'cancelling' ? 'Cancelling…' : 'Cancel'}
        </button>
      ) : (
        <button type="button" className="button button-primary button-large" onClick={() => void generate()} disabled={invalid !== null} title={invalid ?? 'Generate (⌘↩)'}>
          <SparkIcon /> Generate
        </button>
      )}
      <p className="shortcut-hint" aria-hidden="true">
        {active ? 'Esc cancels' : '⌘↩ generates'}
      </p>
    </div>
  );
}
