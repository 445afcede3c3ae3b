// The predicted hit/miss pattern for the next run, recomputed as any setting
// moves, with the forwards and the speedup it implies; compact enough to sit in
// the Generate bar, so it stays in view. Renderer only.

import type { LittleToSkip } from '../../main/core/teacache/little-to-skip.ts';
import type { RunPrediction } from '../lib/prediction.ts';
import { formatSpeedup } from '../lib/format.ts';

/** The app's words for a setting that leaves little to skip, pointing at its own sliders. */
export function littleToSkipNote({ steps, reused, higherThresholdHelps }: LittleToSkip): string {
  const what = reused === 0 ? `reuses none of its ${steps} steps` : `reuses only 1 of its ${steps} steps`;
  const advice = higherThresholdHelps
    ? 'move the Threshold slider toward “more reuses” to skip more.'
    : 'no threshold skips more: skip-early, the last step or the reuse cap make every other step run; more Steps would.';
  return `This ${steps}-step run ${what}, so TeaCache cannot speed it up much; ${advice}`;
}

export function PredictionStrip({ prediction }: { prediction: RunPrediction }) {
  const { steps, forwards, reused, speedup } = prediction;
  const source = !prediction.exact && prediction.traceFrom ? prediction.traceFrom.request.prompt || 'Untitled' : null;
  return (
    <section className="prediction" aria-label="Next run, as predicted">
      <div className="prediction-head">
        <span className="prediction-title">
          Next run
          <span className="prediction-basis" title={source ? `Replayed from the input changes recorded in “${source}”; a cached run drifts slightly.` : 'Follows from the schedule alone: exact.'}>
            {source ? ` · replayed from “${source}”` : ' · predicted'}
          </span>
        </span>
        <span className="prediction-speedup" data-testid="predicted-speedup">
          <span className="visually-hidden">Predicted speedup </span>
          {formatSpeedup(speedup)}
        </span>
      </div>
      <ol className="prediction-strip" aria-hidden="true" style={{ gridTemplateColumns: `repeat(${steps.length}, minmax(0, 1fr))` }}>
        {steps.map((step) => (
          <li
            key={step.index}
            className={`prediction-cell ${step.compute ? 'is-compute' : 'is-reuse'}`}
            data-predicted={step.compute ? 'miss' : 'hit'}
            title={`Step ${step.index + 1}: ${step.compute ? 'runs the model' : 'reuses the cache'} (${step.reason})`}
          />
        ))}
      </ol>
      <p className="prediction-caption">
        <span className="legend-dot is-compute" aria-hidden="true" />
        <span>{forwards} computed</span>
        <span className="legend-dot is-reuse" aria-hidden="true" />
        <span>{reused} reused</span>
        <span className="prediction-note">{steps.length} steps</span>
      </p>
      {prediction.littleToSkip && (
        <p className="prediction-warning" role="note">
          {littleToSkipNote(prediction.littleToSkip)}
        </p>
      )}
    </section>
  );
}
