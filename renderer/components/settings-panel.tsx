// The left sidebar: prompt and sampling settings, the TeaCache panel with its
// live prediction, and the Generate / Cancel bar. Renderer only.

import { useMemo } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { RANGES, sizeChoices, type Draft, type DraftCache } from '../lib/draft.ts';
import { predictRun } from '../lib/prediction.ts';
import { isActive } from '../store/run-slice.ts';
import { useStudio } from '../store/store.ts';
import { Section, Segmented, Slider, Switch } from './controls.tsx';
import { DiceIcon, ResetIcon, SparkIcon, StopIcon } from './icons.tsx';
import { PredictionStrip } from './prediction-strip.tsx';
import type { ModelSummary } from '../lib/types.ts';

export function SettingsPanel({ model, draft }: { model: ModelSummary; draft: Draft }) {
  const prediction = useMemo(() => predictRun(model, draft), [model, draft]);
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

function TeaCachePanel({ model, draft, prediction }: { model: ModelSummary; draft: Draft; prediction: ReturnType<typeof predictRun> }) {
  const { setCache, resetCache } = useStudio(useShallow((s) => ({ setCache: s.setCache, resetCache: s.resetCache })));
  const { cache } = draft;
  const resolvedSkip = 'error' in prediction ? (cache.skipEarlySteps ?? 0) : prediction.request.cache.skipEarlySteps;
  const isDefault =
    cache.threshold === model.defaults.teacache.threshold && cache.rescaleFactor === model.defaults.teacache.rescaleFactor && cache.skipEarlySteps === null;
  const set = (patch: Partial<DraftCache>) => setCache(patch);
  return (
    <Section
      title="TeaCache"
      accessory={
        <button type="button" className="text-button" onClick={resetCache} disabled={isDefault} title="Threshold, rescale and skip-early back to the model's defaults">
          <ResetIcon /> Reset to defaults
        </button>
      }
    >
      <Switch label="Step caching" checked={cache.enabled} onChange={(enabled) => set({ enabled })} description="Reuse the model's last output while the schedule barely moves." />
      <div className="field">
        <label htmlFor="policy" className="field-label">
          Policy
        </label>
        <select id="policy" className="select" value={cache.policy} disabled={!cache.enabled} onChange={() => set({ policy: 'seed' })}>
          <option value="seed">Seed rule · distance since last computed step</option>
        </select>
      </div>
      <Slider
        label="Threshold"
        value={cache.threshold}
        range={RANGES.threshold}
        disabled={!cache.enabled}
        onChange={(threshold) => set({ threshold })}
        ends={['fewer reuses', 'more reuses']}
        hint="A step runs the model once the accumulated timestep distance passes this; higher reuses more."
      />
      <Slider
        label="Rescale"
        value={cache.rescaleFactor}
        range={RANGES.rescaleFactor}
        disabled={!cache.enabled}
        onChange={(rescaleFactor) => set({ rescaleFactor })}
        hint="Multiplies each step's distance before it accumulates; higher reuses less."
      />
      <Slider
        label="Skip-early steps"
        value={resolvedSkip}
        range={{ ...RANGES.skipEarlySteps, max: Math.min(RANGES.skipEarlySteps.max, draft.steps) }}
        disabled={!cache.enabled}
        display={cache.skipEarlySteps === null ? `${resolvedSkip} · auto` : String(resolvedSkip)}
        onChange={(skipEarlySteps) => set({ skipEarlySteps })}
        hint="The first steps always run the model; they shape the image most."
      />
      {'error' in prediction ? (
        <p className="inline-error" role="alert">
          {prediction.error}
        </p>
      ) : (
        <PredictionStrip prediction={prediction} />
      )}
    </Section>
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
