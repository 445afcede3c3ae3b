// The TeaCache panel's calibration block: fits the loaded model's rescale polynomial from the app (prompts and
// steps), shows run i of n with Cancel, then the fit beside FLUX.1's polynomial on the same samples and that the
// teacache policy now uses it. Renderer only; reaches the engine through the store, never Node or Electron.

import { useId, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { DEFAULT_CALIBRATION_PROMPTS } from '../../main/core/teacache/default-prompts.ts';
import { CalibrationRequestSchema } from '../../main/core/contract.ts';
import { RANGES } from '../lib/draft.ts';
import { formatTime } from '../lib/format.ts';
import type { CalibrationRequest, CalibrationResult, ModelSummary } from '../lib/types.ts';
import type { LiveCalibration } from '../store/calibration-slice.ts';
import { useStudio } from '../store/store.ts';
import { Slider } from './controls.tsx';
import { StopIcon } from './icons.tsx';

const percent = (fraction: number) => `${(fraction * 100).toFixed(fraction < 0.1 ? 1 : 0)}%`;

type FormCheck = { readonly prompts: string[] } & ({ readonly request: CalibrationRequest } | { readonly problem: string });

/** The request the form describes, or what is wrong with it in words the contract chose. */
function checkForm(promptsText: string, steps: number): FormCheck {
  const prompts = promptsText
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  if (prompts.length === 0) return { prompts, problem: 'Give at least one prompt, one a line.' };
  const parsed = CalibrationRequestSchema.safeParse({ prompts, steps });
  return parsed.success ? { prompts, request: parsed.data } : { prompts, problem: `${parsed.error.issues[0]!.message}.` };
}

export function CalibrationSection({ model }: { model: ModelSummary }) {
  const { calibration, result, cancelled, policy, calibrate, cancelCalibration, setCache } = useStudio(
    useShallow((s) => ({
      calibration: s.calibration,
      result: s.calibrationResult,
      cancelled: s.calibrationCancelled,
      policy: s.draft?.cache.policy,
      calibrate: s.calibrate,
      cancelCalibration: s.cancelCalibration,
      setCache: s.setCache,
    })),
  );
  const promptsId = useId();
  const [promptsText, setPromptsText] = useState(DEFAULT_CALIBRATION_PROMPTS.join('\n'));
  const [steps, setSteps] = useState(model.defaults.steps);
  const form = checkForm(promptsText, steps);
  const current = model.calibration ?? null;
  // The comparison with FLUX.1 exists only for a fit made while this window watched, and only while it is in force.
  const fit = result && current && result.file === current.file && result.createdAt === current.createdAt ? result : null;
  const active = calibration !== null;
  return (
    <details className="disclosure" open={active || fit !== null || undefined}>
      <summary className="disclosure-summary">Calibration</summary>
      <div className="disclosure-body">
        <p className="field-hint" aria-label="Polynomial in use">
          {current
            ? `The teacache policy uses this model’s own calibration (R² ${current.fit.r2.toFixed(3)}, ${percent(current.fit.relativeError)} error), fitted ${formatTime(current.createdAt)}.`
            : model.defaults.teacache.coefficients
              ? 'The teacache policy uses the polynomial in this model’s description.'
              : 'The teacache policy uses FLUX.1’s published polynomial, fitted for another model: calibrate to fit this one.'}
        </p>
        <div className={`field${active ? ' is-disabled' : ''}`}>
          <label htmlFor={promptsId} className="field-label">
            Calibration prompts
          </label>
          <textarea id={promptsId} className="textarea calibration-prompts" rows={4} value={promptsText} disabled={active} onChange={(e) => setPromptsText(e.currentTarget.value)} />
          <p className="field-hint">
            One a line; each runs once uncached: {form.prompts.length} run{form.prompts.length === 1 ? '' : 's'} of {steps} steps.
          </p>
        </div>
        <Slider label="Calibration steps" value={steps} range={RANGES.steps} disabled={active} onChange={setSteps} />
        {active ? (
          <CalibrationProgressView live={calibration} onCancel={() => void cancelCalibration()} />
        ) : (
          <>
            {'problem' in form && (
              <p className="inline-error" role="alert">
                {form.problem}
              </p>
            )}
            <button
              type="button"
              className="button button-secondary"
              disabled={'problem' in form}
              onClick={() => 'request' in form && void calibrate(form.request)}
              title="Run the prompts uncached, fit the polynomial to what changed, and use it for the teacache policy"
            >
              Calibrate for this model
            </button>
            {cancelled && (
              <p className="field-hint" role="status">
                Calibration cancelled; the earlier polynomial stays in force.
              </p>
            )}
          </>
        )}
        {fit && !active && <CalibrationFit result={fit} usingTeacache={policy === 'teacache'} onUseTeacache={() => setCache({ policy: 'teacache' })} />}
      </div>
    </details>
  );
}

function CalibrationProgressView({ live, onCancel }: { live: LiveCalibration; onCancel: () => void }) {
  const { progress, status } = live;
  const total = progress ? progress.runs * progress.steps : 1;
  const done = progress ? (progress.run - 1) * progress.steps + progress.step : 0;
  const label = status === 'cancelling' ? 'Cancelling…' : progress ? `Run ${progress.run} of ${progress.runs}` : 'Waiting for the engine…';
  return (
    <div className="calibration-progress">
      <div className="field-row">
        <span className="field-label" role="status">
          {label}
        </span>
        {progress && <span className="field-value">{percent(done / total)}</span>}
      </div>
      <div className="progress" role="progressbar" aria-label="Calibration progress" aria-valuemin={0} aria-valuemax={total} aria-valuenow={done} aria-valuetext={label}>
        <div className={`progress-fill${status === 'cancelling' ? ' is-cancelling' : ''}`} style={{ width: `${(done / total) * 100}%` }} />
      </div>
      {progress && (
        <p className="field-hint">
          “{progress.prompt}” · seed {progress.seed} · step {progress.step} of {progress.steps}
        </p>
      )}
      <button type="button" className="button button-secondary" onClick={onCancel} disabled={status === 'cancelling'}>
        <StopIcon /> {status === 'cancelling' ? 'Cancelling…' : 'Cancel calibration'}
      </button>
    </div>
  );
}

function CalibrationFit({ result, usingTeacache, onUseTeacache }: { result: CalibrationResult; usingTeacache: boolean; onUseTeacache: () => void }) {
  const stats: [string, string][] = [
    ['R²', result.fit.r2.toFixed(3)],
    ['Relative error', percent(result.fit.relativeError)],
    ['FLUX.1’s polynomial', percent(result.flux1.relativeError)],
    ['Step pairs', String(result.fit.samples)],
  ];
  return (
    <div className="calibration-fit" role="group" aria-label="Calibration fit">
      <div className="prediction-head">
        <span className="prediction-title">Fitted polynomial</span>
      </div>
      <dl className="calibration-stats">
        {stats.map(([label, value]) => (
          <div key={label} className="calibration-stat">
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      <p className="field-hint">
        Relative errors on the same {result.fit.samples} step pairs: this fit’s, and FLUX.1’s published polynomial’s.
        {result.trained ? '' : ' The weights are random, so this fit describes noise.'}
      </p>
      <p className="calibration-note" role="status">
        The teacache policy now uses this polynomial.
        {!usingTeacache && (
          <button type="button" className="text-button" onClick={onUseTeacache}>
            Switch to it
          </button>
        )}
      </p>
      <p className="field-hint calibration-file" title={result.file}>
        Saved {result.location === 'user-data' ? 'in the app’s data folder' : 'in the model folder'}: {result.file}
      </p>
    </div>
  );
}
