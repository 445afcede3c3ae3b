// The predicted hit/miss pattern for the current settings, recomputed as sliders
// move, with the speedup it implies. Renderer only.

import type { RunPrediction } from '../lib/prediction.ts';
import { formatSpeedup } from '../lib/format.ts';

export function PredictionStrip({ prediction }: { prediction: RunPrediction }) {
  const { steps, forwards, reused, speedup } = prediction;
  return (
    <div className="prediction" aria-label="Prediction">
      <div className="prediction-head">
        <span className="prediction-title">{prediction.exact ? 'Predicted' : 'Predicted from a recorded run'}</span>
        <span className="prediction-speedup" aria-label="Predicted speedup">
          {formatSpeedup(speedup)}
        </span>
      </div>
      <ol className="prediction-strip" aria-label="Predicted decisions" style={{ gridTemplateColumns: `repeat(${steps.length}, minmax(0, 1fr))` }}>
        {steps.map((step) => (
          <li
            key={step.index}
            className={`prediction-cell ${step.compute ? 'is-compute' : 'is-reuse'}`}
            data-predicted={step.compute ? 'miss' : 'hit'}
            title={`Step ${step.index + 1}: ${step.compute ? 'runs the model' : 'reuses the cache'} (${step.reason})`}
          />
        ))}
      </ol>
      {!prediction.exact && prediction.traceFrom && (
        <p className="prediction-source">Replayed from the input changes recorded in “{prediction.traceFrom.request.prompt || 'Untitled'}”; a cached run drifts slightly.</p>
      )}
      <p className="prediction-caption">
        <span className="legend-dot is-compute" /> {forwards} computed
        <span className="legend-dot is-reuse" /> {reused} reused
        <span className="prediction-note">of {steps.length} steps</span>
      </p>
    </div>
  );
}
