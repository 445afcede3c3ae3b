// The prediction must equal what a real run decides, step for step. Pure.

import { describe, expect, it } from 'vitest';
import { fluxSchedule } from '../../../../main/engine/sampler/schedule.ts';
import { predictDecisions } from '../../../../main/engine/teacache/predict.ts';
import { SeedPolicy } from '../../../../main/engine/teacache/seed-policy.ts';

describe('predictDecisions', () => {
  it('counts forwards and reuses over the N steps of an N+1-point schedule', () => {
    const prediction = predictDecisions(new SeedPolicy(null), fluxSchedule(30));
    expect(prediction.decisions).toHaveLength(30);
    expect(prediction.forwards + prediction.reused).toBe(30);
    expect(prediction.forwards).toBe(prediction.decisions.filter((d) => d.compute).length);
    expect(prediction.idealSpeedup).toBeCloseTo(30 / prediction.forwards, 12);
  });

  it('predicts more reuse as the threshold rises', () => {
    const forwards = [0, 0.05, 0.1, 0.2, 0.4].map(
      (threshold) => predictDecisions(new SeedPolicy({ threshold, rescaleFactor: 1, skipEarlySteps: 0 }), fluxSchedule(30)).forwards,
    );
    expect(forwards[0]).toBe(30);
    for (let i = 1; i < forwards.length; i++) expect(forwards[i]!).toBeLessThan(forwards[i - 1]!);
  });
});
