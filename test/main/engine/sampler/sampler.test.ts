// The step loop: Euler updates, CFG recombined fresh from cached branches,
// one event per step, cancellation, and reuse that changes nothing else; the
// reuse modes (output, residual, taylor, taylor2, hermite) and what it measures for the
// policies that read the model (input-side signal, first-block residual,
// magnitude ratios, EasyCache's changes), against a split stand-in worked out by hand.

import { describe, expect, it } from 'vitest';
import type { MxArray } from '../../../../main/engine/mlx/backend.ts';
import { relativeL1, sample, type Guidance, type SplitStep } from '../../../../main/engine/sampler/sampler.ts';
import { fluxSchedule } from '../../../../main/core/schedule.ts';
import { createPolicy } from '../../../../main/core/teacache/create-policy.ts';
import { NO_POLICY_OPTIONS } from '../../../../main/core/teacache/policy-options.ts';
import type { PolicyName, ReuseMode } from '../../../../main/core/teacache/policy.ts';
import { predictDecisions, predictSettings } from '../../../../main/core/teacache/predict.ts';
import { SeedPolicy, type TeaCacheConfig } from '../../../../main/core/teacache/seed-policy.ts';
import { TeaCache } from '../../../../main/core/teacache/teacache.ts';
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
    // A reused step of a step-level policy runs nothing worth counting: the run cost its forwards.
    expect(stats.forwardEquivalents).toBe(stats.misses);
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
    expect(cached.stats).toEqual({ hits: 0, misses: 8, forwardEquivalents: 8 });
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
    expect(stats).toEqual({ hits: 1, misses: 2, forwardEquivalents: 2 });
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

/**
 * embed: h = 2x + t; signal = h·(1 + t); blocks: tanh(h)·(1 + t) + h; final: out − 0.5x.
 * Records which parts ran, so tests can tell residual reuse (embed + final) from output reuse.
 */
function splitModel() {
  const calls = { embed: 0, blocks: 0, final: 0 };
  const split = (x: MxArray, t: number): SplitStep => {
    calls.embed++;
    const h = mx.add(mx.multiply(x, 2), t);
    return {
      blockInput: h,
      signal: mx.multiply(h, 1 + t),
      blocks: () => {
        calls.blocks++;
        return mx.add(mx.multiply(mx.tanh(h), 1 + t), h);
      },
      velocity: (out) => {
        calls.final++;
        return mx.subtract(out, mx.multiply(x, 0.5));
      },
    };
  };
  const velocity = (x: MxArray, t: number) => {
    const part = split(x, t);
    return part.velocity(part.blocks());
  };
  return { calls, guidance: { mode: 'single', velocity, split } satisfies Guidance };
}

const settings = (policy: PolicyName, threshold: number) => ({ policy, threshold, rescaleFactor: 1, skipEarlySteps: 0, coefficients: [1, 0], ...NO_POLICY_OPTIONS });
const cacheFor = (policy: PolicyName, threshold: number) => new TeaCache<MxArray>(createPolicy(settings(policy, threshold)));

describe('reuse modes', () => {
  it.each(['output', 'residual', 'taylor', 'taylor2', 'hermite'] as const)('%s: bit-identical to the uncached run when every step computes', async (reuse: ReuseMode) => {
    const timesteps = fluxSchedule(6);
    const noise = ramp([1, 4, 3]);
    const plain = await sample(mx, { noise, timesteps, guidance: splitModel().guidance });
    const cached = await sample(mx, { noise, timesteps, guidance: splitModel().guidance, reuse, cache: cacheFor('seed', 0) });
    expect(cached.stats).toEqual({ hits: 0, misses: 6, forwardEquivalents: 6 });
    expect(values(cached.result)).toEqual(values(plain.result));
  });

  it('output reuse holds the last velocity and runs nothing of the model', async () => {
    const model = splitModel();
    const seen: number[][] = [];
    await sample(mx, {
      noise: ramp([1, 4, 3]),
      timesteps: [1, 0.99, 0.98, 0],
      guidance: model.guidance,
      cache: cacheFor('seed', 0.5),
      onVelocity: (_, v) => seen.push(values(v)),
    });
    expect(seen[1]).toEqual(seen[0]);
    expect(model.calls.blocks).toBe(1);
  });

  it('residual reuse adds the held block residual to the fresh block input and runs the final layer', async () => {
    const model = splitModel();
    const velocities: MxArray[] = [];
    const states: MxArray[] = [];
    const timesteps = [1, 0.99, 0];
    const noise = ramp([1, 4, 3]);
    await sample(mx, {
      noise,
      timesteps,
      guidance: model.guidance,
      reuse: 'residual',
      cache: cacheFor('seed', 0.5),
      onVelocity: (_, v) => velocities.push(v),
      onStep: (_, estimate) => states.push(estimate()),
    });
    expect(model.calls).toEqual({ embed: 2, blocks: 1, final: 2 });
    // Step 0 at t = 1: residual r = tanh(h0)·2. Step 1 at t = 0.99 with x1 = x0 − 0.01·v0: v1 = (h1 + r) − 0.5·x1.
    const x0 = noise;
    const h0 = mx.add(mx.multiply(x0, 2), 1);
    const r = mx.multiply(mx.tanh(h0), 2);
    const x1 = mx.add(x0, mx.multiply(velocities[0]!, -0.01));
    const expected = mx.subtract(mx.add(mx.add(mx.multiply(x1, 2), 0.99), r), mx.multiply(x1, 0.5));
    values(velocities[1]!).forEach((v, i) => expect(v).toBeCloseTo(values(expected)[i]!, 5));
  });

  it('taylor reuse extrapolates linearly in t from the last two computed velocities', async () => {
    // A velocity linear in t (independent of x) is extrapolated exactly.
    const guidance: Guidance = { mode: 'single', velocity: (x, t) => mx.add(mx.multiply(mx.ones(x.shape), 3 * t), 1) };
    const seen: Array<[number, boolean]> = [];
    await sample(mx, {
      noise: mx.zeros([1, 2, 2]),
      timesteps: [1, 0.9, 0.8, 0.7, 0.6, 0],
      guidance,
      reuse: 'taylor',
      // Steps 0–2 compute (skip-early), 3 and 4 reuse.
      cache: new TeaCache<MxArray>(createPolicy({ ...settings('seed', 100), skipEarlySteps: 3 })),
      onVelocity: (_, v, computed) => seen.push([values(v)[0]!, computed]),
    });
    expect(seen.map(([, c]) => c)).toEqual([true, true, true, false, false]);
    [1, 0.9, 0.8, 0.7, 0.6].forEach((t, i) => expect(seen[i]![0]).toBeCloseTo(3 * t + 1, 5));
  });

  // v = t², computed at t = 1, 0.9, 0.8 and forecast at 0.7. taylor2: factors in t [0.64, 1.7, 2] (divided
  // differences of the divided differences), 0.64 + 1.7·(−0.1) + 2·0.01/2 = 0.48 (first order: 0.47).
  // hermite: factors per step [0.64, −0.17, 0.02]; one step on, HiCache weighs them 0.5·H₁(0.5) = 0.5 and
  // 0.25·H₂(0.5)/2 = −0.125: 0.64 − 0.085 − 0.0025.
  it.each([
    ['taylor2', "TaylorSeer's second-order term", 0.48],
    ['hermite', "HiCache's damped weights, in steps", 0.5525],
  ] as const)('%s forecasts with %s from the last three computed velocities', async (reuse, _what, expected) => {
    const guidance: Guidance = { mode: 'single', velocity: (x, t) => mx.multiply(mx.ones(x.shape), t * t) };
    const seen: Array<[number, boolean]> = [];
    await sample(mx, {
      noise: mx.zeros([1, 2, 2]),
      timesteps: [1, 0.9, 0.8, 0.7, 0],
      guidance,
      reuse,
      cache: new TeaCache<MxArray>(createPolicy({ ...settings('seed', 100), skipEarlySteps: 3 })),
      onVelocity: (_, v, computed) => seen.push([values(v)[0]!, computed]),
    });
    expect(seen.map(([, c]) => c)).toEqual([true, true, true, false]);
    expect(seen[3]![0]).toBeCloseTo(expected, 5);
  });

  it('taylor holds the output while only one computed velocity exists', async () => {
    const guidance: Guidance = { mode: 'single', velocity: (x, t) => mx.add(mx.multiply(mx.ones(x.shape), 3 * t), 1) };
    const seen: number[] = [];
    await sample(mx, {
      noise: mx.zeros([1, 2, 2]),
      timesteps: [1, 0.9, 0],
      guidance,
      reuse: 'taylor',
      cache: cacheFor('seed', 100),
      onVelocity: (_, v) => seen.push(values(v)[0]!),
    });
    expect(seen).toEqual([4, 4]);
  });

  it('says when the model cannot split for residual reuse', async () => {
    const guidance: Guidance = { mode: 'single', velocity: (x) => x };
    await expect(sample(mx, { noise: mx.zeros([1, 2, 2]), timesteps: [1, 0], guidance, reuse: 'residual', cache: cacheFor('seed', 1) })).rejects.toThrow(
      /cannot reuse their residual/,
    );
    await expect(sample(mx, { noise: mx.zeros([1, 2, 2]), timesteps: [1, 0], guidance, cache: cacheFor('teacache', 1) })).rejects.toThrow(/pick a timestep policy/);
  });
});

/** The split stand-in with its first block parted off: first h ↦ h + tanh(h), the rest adds sin; the first block a quarter of the forward. */
function firstBlockModel() {
  const calls = { first: 0, rest: 0 };
  const base = splitModel();
  const split = (x: MxArray, t: number): SplitStep => {
    const part = base.guidance.split(x, t);
    return {
      ...part,
      firstBlock: () => {
        calls.first++;
        const output = mx.add(part.blockInput, mx.tanh(part.blockInput));
        return {
          output,
          residual: mx.subtract(output, part.blockInput),
          share: 0.25,
          rest: () => {
            calls.rest++;
            return mx.add(output, mx.sin(output));
          },
        };
      },
    };
  };
  return { calls, guidance: { mode: 'single', velocity: base.guidance.velocity, split } satisfies Guidance };
}

describe('first-block cache', () => {
  it("compares the first block's residual with the last computed one and reuses the rest's residual on its output", async () => {
    const model = firstBlockModel();
    const velocities: MxArray[] = [];
    const timesteps = [1, 0.99, 0];
    const noise = ramp([1, 4, 3]);
    const { events, stats } = await sample(mx, { noise, timesteps, guidance: model.guidance, cache: cacheFor('first-block', 10), onVelocity: (_, v) => velocities.push(v) });
    expect(events.map((e) => e.computed)).toEqual([true, false]);
    expect(model.calls).toEqual({ first: 2, rest: 1 });
    // One forward, and the reused step's first block: what the run cost, not just what it computed.
    expect(stats).toEqual({ hits: 1, misses: 1, forwardEquivalents: 1.25 });
    // Step 1: its first block's output f1 plus the rest's residual sin(f0), through the final layer.
    const h = (x: MxArray, t: number) => mx.add(mx.multiply(x, 2), t);
    const f0 = mx.add(h(noise, 1), mx.tanh(h(noise, 1)));
    const x1 = mx.add(noise, mx.multiply(velocities[0]!, -0.01));
    const h1 = h(x1, 0.99);
    const r0 = mx.subtract(f0, h(noise, 1));
    const f1 = mx.add(h1, mx.tanh(h1));
    const expected = mx.subtract(mx.add(f1, mx.sin(f0)), mx.multiply(x1, 0.5));
    values(velocities[1]!).forEach((v, i) => expect(v).toBeCloseTo(values(expected)[i]!, 5));
    expect(events[1]!.signal).toBeCloseTo(relativeL1(mx, mx.subtract(f1, h1), r0), 6);
  });

  it('says when the model cannot run its first block alone', async () => {
    await expect(sample(mx, { noise: ramp([1, 4, 3]), timesteps: [1, 0.5, 0], guidance: splitModel().guidance, cache: cacheFor('first-block', 1) })).rejects.toThrow(
      /First-Block Cache cannot run on it/,
    );
  });
});

describe('easycache measurements', () => {
  it('passes the latent’s change since the last compute, and at each compute the output’s change and size', async () => {
    const seen: { inputChange?: number | undefined; observed?: unknown }[] = [];
    const policy = createPolicy(settings('easycache', 0));
    const decide = policy.decide.bind(policy);
    policy.decide = (step, t, has, context) => {
      seen.push({ inputChange: context?.inputChange });
      return decide(step, t, has, context);
    };
    policy.observe = (observation) => seen.push({ observed: observation });
    const velocities: number[][] = [];
    const states: number[][] = [];
    const timesteps = [1, 0.5, 0];
    const noise = ramp([1, 2, 2]);
    await sample(mx, {
      noise,
      timesteps,
      guidance: { mode: 'single', velocity: (x, t) => mx.add(mx.multiply(x, 2), t) },
      cache: new TeaCache<MxArray>(policy),
      onVelocity: (_, v) => velocities.push(values(v)),
      onStep: (_, estimate) => states.push(values(estimate())),
    });
    const meanAbs = (a: number[], b: number[]) => a.reduce((s, v, i) => s + Math.abs(v - b[i]!), 0) / a.length;
    const x0 = values(noise);
    const x1 = x0.map((v, i) => v - 0.5 * velocities[0]![i]!);
    expect(seen[0]).toEqual({ inputChange: undefined });
    expect(seen[1]).toEqual({ observed: { inputChange: undefined, outputChange: undefined, outputNorm: expect.closeTo(meanAbs(velocities[0]!, [0, 0, 0, 0]), 5) } });
    expect(seen[2]!.inputChange).toBeCloseTo(meanAbs(x1, x0), 5);
    const observed = seen[3]!.observed as { inputChange: number; outputChange: number };
    expect(observed.inputChange).toBeCloseTo(meanAbs(x1, x0), 5);
    expect(observed.outputChange).toBeCloseTo(meanAbs(velocities[1]!, velocities[0]!), 5);
  });
});

describe('magnitude ratios', () => {
  it("record mean over tokens of ‖r‖/‖r_previous‖ for the blocks' residual in a measured run, 1 at step 0", async () => {
    const model = splitModel();
    const residuals: number[][] = [];
    const original = model.guidance.split;
    const guidance: Guidance = {
      ...model.guidance,
      split: (x, t) => {
        const part = original(x, t);
        return { ...part, blocks: () => { const out = part.blocks(); residuals.push(values(mx.subtract(out, part.blockInput))); return out; } };
      },
    };
    const { events } = await sample(mx, { noise: ramp([1, 2, 3]), timesteps: fluxSchedule(3), guidance, measureSignal: true });
    const tokenNorms = (r: number[]) => [0, 1].map((k) => Math.hypot(...r.slice(3 * k, 3 * k + 3)));
    expect(events[0]!.magnitudeRatio).toBe(1);
    for (let i = 1; i < 3; i++) {
      const [a, b] = [tokenNorms(residuals[i]!), tokenNorms(residuals[i - 1]!)];
      expect(events[i]!.magnitudeRatio).toBeCloseTo((a[0]! / b[0]! + a[1]! / b[1]!) / 2, 5);
    }
  });
});

describe('input-side signal', () => {
  it('is the relative L1 change of the modulated input between consecutive steps', async () => {
    const model = splitModel();
    const signals: MxArray[] = [];
    const original = model.guidance.split;
    const guidance: Guidance = {
      ...model.guidance,
      split: (x, t) => {
        const part = original(x, t);
        signals.push(part.signal);
        return part;
      },
    };
    const { events } = await sample(mx, { noise: ramp([1, 4, 3]), timesteps: fluxSchedule(5), guidance, measureSignal: true });
    expect(events[0]!.signal).toBeUndefined();
    for (let i = 1; i < 5; i++) {
      const a = values(signals[i]!);
      const b = values(signals[i - 1]!);
      const expected = a.reduce((s, v, j) => s + Math.abs(v - b[j]!), 0) / b.reduce((s, v) => s + Math.abs(v), 0);
      expect(events[i]!.signal).toBeCloseTo(expected, 5);
    }
  });

  it('drives the teacache policy exactly as the prediction from the recorded trace says', async () => {
    const timesteps = fluxSchedule(12);
    const noise = ramp([1, 4, 3]);
    const run = await sample(mx, { noise, timesteps, guidance: splitModel().guidance, reuse: 'residual', cache: cacheFor('teacache', 0.3) });
    expect(run.events.every((e, i) => (i === 0) === (e.signal === undefined))).toBe(true);
    const predicted = predictSettings(settings('teacache', 0.3), timesteps, run.events.map((e) => e.signal));
    expect(run.events.map((e) => e.computed)).toEqual(predicted.decisions.map((d) => d.compute));
    expect(run.stats.hits).toBeGreaterThan(0);
  });

  it('relativeL1 is mean|a − b| / mean|b|', () => {
    expect(relativeL1(mx, mx.array([2, 4]), mx.array([1, 2]))).toBeCloseTo(1, 12);
    expect(relativeL1(mx, mx.array([0, 0]), mx.array([0, 0]))).toBe(0);
  });
});
