// What a run made to measure another is called in the history, the queue and the stage: the uncached reference,
// or its plain steps; a run of its own keeps its prompt.

import { describe, expect, it } from 'vitest';
import { measuringRunLabel } from '../../../renderer/lib/labels.ts';

describe('measuringRunLabel', () => {
  it('names an uncached reference and a plain-steps run, and leaves a run of its own to its prompt', () => {
    expect(measuringRunLabel({ baselineOf: 'run1', request: { steps: 30 } })).toBe('Uncached reference');
    expect(measuringRunLabel({ baselineOf: null, fewerStepsOf: 'run1', request: { steps: 7 } })).toBe('7 plain steps');
    expect(measuringRunLabel({ baselineOf: null, fewerStepsOf: null, request: { steps: 30 } })).toBeNull();
    // History saved before plain-steps runs existed has no fewerStepsOf at all.
    expect(measuringRunLabel({ baselineOf: null, request: { steps: 30 } })).toBeNull();
  });

  it('says plain steps without a count for a queued job whose request leaves the steps to the model', () => {
    expect(measuringRunLabel({ baselineOf: null, fewerStepsOf: 'run1', request: {} })).toBe('Plain steps');
  });
});
