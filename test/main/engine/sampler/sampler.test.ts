// The step loop: Euler updates, CFG recombined fresh from cached branches,
// one event per step, cancellation, and reuse that changes nothing else.

import { describe, expect, it } from 'vitest';
import type { MxArray } from '../../../../main/engine/mlx/backend.ts';
import { sample, type Guidance } from '../../../../main/engine/sampler/sampler.ts';
import { fluxSchedule } from '../../../../main/engine/sampler/schedule.ts';
import { predictDecisions } from '../../../../main/engine/teacache/predict.ts';
import { SeedPolicy, type TeaCacheConfig } from '../../../../main/engine/teacache/seed-policy.ts';
import { TeaCache } from '../../../../main/engine/teacache/teacache.ts';
import { mx, ramp, values } from '../../../support/mlx.ts';

/** A nonlinear stand-in for the model that records every call. */
function recordingModel() {
  const calls: number[] = [];
  const velocity = (x: MxArray, t: number) => {
    calls.push(t);
    return mx.multiply(mx.tanh(x), 1 + t);
  };
  return { calls, guidance: { mode: 'single', velocity } satisfies Guidance };
}

const cacheWith = (config: TeaCacheConfig) => new TeaCache<MxArray>(new SeedPolicy(config));

describe('sample', () => {
  it('takes Euler steps x += (t_next − t)·v', async () => {
    // v = x gives x_N = x_0 · Π(1 + t_{i+1} − t_i).
    const timesteps = fluxSchedule(4);
    const noise = ramp([1, 3, 2]);
    const { result } = await sample(mx, { noise, timesteps, guidance: { mode: 'single', velocity: (x) => x } });
    const factor = timesteps.slice(1).reduce((f, t, i) => f * (1 + t - timesteps[i]!), 1);
    values(result).forEach((v, i) => expect(v).toBeCloseTo(values(noise)[i]! * factor, 5));
  });

  it('emits one event per step with the decision, distance, accumulator and threshold', async () => {
    const timesteps = fluxSchedule(10);
    const model = recordingModel();
    const { events, stats } = await sample(mx, {
      noise: ramp([1, 4, 3]),
      timesteps,
      guidance: model.guidance,
      cache: cacheWith({ threshold: 0.15, rescaleFactor: 1, skipEarlySteps: 0 }),
    });
    const predicted = predictDecisions(new SeedPolicy({ threshold: 0.15, rescaleFactor: 1, skipEarlySteps: 0 }), timesteps);
    expect(events.map((e) => e.index)).toEqual([...Array(10).keys()]);
    expect(events.every((e) => e.total === 10 && e.threshold === Math.fround(0.15) && e.ms >= 0)).toBe(true);
    expect(events.map((e) => e.timestep)).toEqual(timesteps.slice(0, 10));
    expect(events.map((e) => e.computed)).toEqual(predicted.decisions.map((d) => d.compute));
    expect(events.map((e) => [e.reason, e.distance, e.accumulated])).toEqual(
      predicted.decisions.map((d) => [d.reason, d.distance, d.accumulated]),
    );
    expect(model.calls).toHaveLength(stats.misses);
    expect(stats.hits + stats.misses).toBe(10);
    expect(stats.hits).toBeGreaterThan(0);
  });

  it('differs from the uncached run only from the first reused step on', async () => {
    const timesteps = fluxSchedule(12);
    const noise = ramp([1, 8, 4]);
    const trajectory = async (cache?: TeaCache<MxArray>) => {
      const states: number[][] = [];
      const run = await sample(mx, {
        noise,
        timesteps,
        guidance: recordingModel().guidance,
        ...(cache ? { cache } : {}),
        onStep: (_, estimate) => states.push(values(estimate())),
      });
      return { states, events: run.events };
    };
    const plain = await trajectory();
    const cached = await trajectory(cacheWith({ threshold: 0.2, rescaleFactor: 1, skipEarlySteps: 2 }));
    const firstReuse = cached.events.findIndex((e) => !e.computed);
    expect(firstReuse).toBeGreaterThan(1);
    for (let i = 0; i <= firstReuse - 1; i++) expect(cached.states[i]).toEqual(plain.states[i]);
    expect(cached.states[firstReuse]).not.toEqual(plain.states[firstReuse]);
    expect(plain.events.every((e) => e.computed && e.reason === 'cache-off' && e.threshold === null)).toBe(true);
  });

  it('is bit-identical to the uncached run when every step computes', async () => {
    const timesteps = fluxSchedule(8);
    const noise = ramp([1, 8, 4]);
    const plain = await sample(mx, { noise, timesteps, guidance: recordingModel().guidance });
    const cached = await sample(mx, {
      noise,
      timesteps,
      guidance: recordingModel().guidance,
      cache: cacheWith({ threshold: 0, rescaleFactor: 1, skipEarlySteps: 0 }),
    });
    expect(cached.stats).toEqual({ hits: 0, misses: 8 });
    expect(values(cached.result)).toEqual(values(plain.result));
  });

  it('recombines CFG fresh from the cached positive and negative predictions', async () => {
    const pos = ramp([1, 2, 2], 3);
    const neg = ramp([1, 2, 2], 4);
    let forwards = 0;
    const guidance: Guidance = {
      mode: 'cfg',
      scale: 3,
      velocityPair: () => {
        forwards++;
        return [pos, neg];
      },
    };
    const timesteps = [1, 0.99, 0.98, 0];
    const noise = mx.zeros([1, 2, 2]);
    const { result, stats } = await sample(mx, {
      noise,
      timesteps,
      guidance,
      // Step 1 reuses (0.01); step 2 accumulates 0.01 + 0.02 > 0.015 and computes.
      cache: cacheWith({ threshold: 0.015, rescaleFactor: 1, skipEarlySteps: 0 }),
    });
    expect(forwards).toBe(2);
    expect(stats).toEqual({ hits: 1, misses: 2 });
    // Every step's velocity is neg + 3·(pos − neg), reused or not; the steps sum to −1.
    const guided = values(neg).map((n, i) => n + 3 * (values(pos)[i]! - n));
    values(result).forEach((v, i) => expect(v).toBeCloseTo(-guided[i]!, 5));
  });

  it('stops at the next step boundary once cancelled', async () => {
    const signal = { aborted: false };
    const seen: number[] = [];
    const run = sample(mx, {
      noise: ramp([1, 2, 2]),
      timesteps: fluxSchedule(10),
      guidance: recordingModel().guidance,
      signal,
      betweenSteps: async () => {},
      onStep: (event) => {
        seen.push(event.index);
        if (event.index === 2) signal.aborted = true;
      },
    });
    await expect(run).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(seen).toEqual([0, 1, 2]);
  });
});
