// Pins every behaviour of the seed's TeaCache (shared/seed/teacache.go): each
// case here fails if one seed rule changes. Pure: no MLX needed.

import { describe, expect, it } from 'vitest';
import { DEFAULT_TEACACHE_CONFIG, SeedPolicy, type TeaCacheConfig } from '../../../../main/core/teacache/seed-policy.ts';
import { TeaCache } from '../../../../main/core/teacache/teacache.ts';

const f32 = Math.fround;

/**
 * Drives a cache the way the seed's caller does: compute → UpdateCache,
 * reuse → GetCached. Returns the decision string (C = compute, R = reuse).
 */
function drive(config: TeaCacheConfig | null, timesteps: number[]): { pattern: string; cache: TeaCache<string> } {
  const cache = TeaCache.seed<string>(config);
  let pattern = '';
  timesteps.forEach((t, step) => {
    if (cache.shouldCompute(step, t)) {
      cache.updateCache(`out@${step}`, t);
      pattern += 'C';
    } else {
      cache.getCached();
      pattern += 'R';
    }
  });
  return { pattern, cache };
}

const linspace = (steps: number) => Array.from({ length: steps }, (_, i) => 1 - i / steps);
const config = (overrides: Partial<TeaCacheConfig>): TeaCacheConfig => ({ ...DEFAULT_TEACACHE_CONFIG, ...overrides });

describe('seed TeaCache defaults', () => {
  it('uses threshold 0.1, rescale 1.0 and skip-early 0', () => {
    expect(DEFAULT_TEACACHE_CONFIG).toEqual({ threshold: 0.1, rescaleFactor: 1.0, skipEarlySteps: 0 });
  });

  it('treats a missing config as the defaults', () => {
    const ts = linspace(30);
    expect(drive(null, ts).pattern).toBe(drive(DEFAULT_TEACACHE_CONFIG, ts).pattern);
    expect(drive(undefined as unknown as null, ts).pattern).toBe(drive(DEFAULT_TEACACHE_CONFIG, ts).pattern);
    expect(new SeedPolicy(null).threshold).toBe(f32(0.1));
  });
});

describe('seed ShouldCompute', () => {
  it.each([
    // [case, config, timesteps, expected pattern]
    ['step 0 always computes, however close the next step is', config({ threshold: 1 }), [0.5, 0.5, 0.5], 'CRR'],
    ['steps below skip-early always compute', config({ threshold: 1, skipEarlySteps: 3 }), [1, 0.99, 0.98, 0.97, 0.96], 'CCCRR'],
    // Distances to the last *computed* step accumulate: 0.04 + 0.08 = 0.12 > 0.1
    // fires at step 2; with consecutive distances it would be 0.04 + 0.04 = 0.08.
    ['accumulates the distance to the last computed step', config({ threshold: 0.1 }), [1, 0.96, 0.92, 0.88], 'CRCR'],
    // 0.5 is exact in float32: an accumulator equal to the threshold reuses.
    ['compares strictly: equal to the threshold reuses', config({ threshold: 0.5 }), [1, 0.5, 0.25], 'CRC'],
    ['rescale multiplies each distance', config({ threshold: 0.1, rescaleFactor: 3 }), [1, 0.96, 0.92], 'CCC'],
    ['a zero threshold computes every step with distinct timesteps', config({ threshold: 0 }), linspace(8), 'CCCCCCCC'],
    ['a zero threshold still reuses when the timestep repeats', config({ threshold: 0 }), [1, 1, 0.5], 'CRC'],
    // After firing at step 2 the accumulator restarts from 0: step 3 adds only
    // |0.88 − 0.92| = 0.04 and reuses.
    ['resets the accumulator to 0 when it fires', config({ threshold: 0.1 }), [1, 0.96, 0.92, 0.88, 0.84, 0.8], 'CRCRCR'],
  ])('%s', (_, cfg, timesteps, expected) => {
    expect(drive(cfg, timesteps).pattern).toBe(expected);
  });

  it('does float32 arithmetic: 1 − 0.9 exceeds 0.1 in float32 but not in float64', () => {
    // f32(1) − f32(0.9) = 0.100000024 > f32(0.1) = 0.100000001; in float64 the
    // difference is 0.09999999999999998 and step 1 would reuse.
    expect(drive(DEFAULT_TEACACHE_CONFIG, linspace(10)).pattern).toBe('CCRCRCRCCR');
  });

  it('matches the seed on the default 30-step schedule', () => {
    expect(drive(DEFAULT_TEACACHE_CONFIG, linspace(30)).pattern).toBe('CRCRCRCRCRCRCRCRCRRCRRCRCRRCRR');
  });

  it('leaves the accumulator alone on forced computes (step 0, skip-early, cold cache)', () => {
    const policy = new SeedPolicy(config({ threshold: 0.1, skipEarlySteps: 2 }));
    expect(policy.decide(0, 1, false)).toEqual({ compute: true, reason: 'first-step', distance: 0, accumulated: 0 });
    policy.markComputed(1);
    expect(policy.decide(1, 0.5, true)).toEqual({ compute: true, reason: 'skip-early', distance: 0, accumulated: 0 });
    policy.markComputed(0.5);
    expect(policy.decide(2, 0.45, false)).toEqual({ compute: true, reason: 'cold-cache', distance: 0, accumulated: 0 });
    const evaluated = policy.decide(3, 0.45, true);
    expect(evaluated).toEqual({ compute: false, reason: 'reuse', distance: f32(f32(0.45) - f32(0.5)) * -1, accumulated: evaluated.distance });
  });

  it('keeps an accumulated distance across a forced compute', () => {
    const cache = TeaCache.seed<string>(config({ threshold: 0.1 }));
    cache.shouldCompute(0, 1);
    cache.updateCache('a', 1);
    expect(cache.shouldCompute(1, 0.96)).toBe(false);
    const carried = cache.lastDecision()!.accumulated;
    cache.free();
    expect(cache.shouldCompute(2, 0.92)).toBe(true);
    expect(cache.lastDecision()).toMatchObject({ reason: 'cold-cache', accumulated: carried });
    cache.updateCache('b', 0.92);
    cache.shouldCompute(3, 0.9);
    expect(cache.lastDecision()!.accumulated).toBe(f32(carried + f32(f32(0.92) - f32(0.9))));
  });

  it('computes when nothing is cached, even past the early steps', () => {
    const cache = TeaCache.seed<string>(config({ threshold: 10 }));
    expect(cache.shouldCompute(0, 1)).toBe(true);
    expect(cache.shouldCompute(5, 0.9)).toBe(true);
    expect(cache.lastDecision()?.reason).toBe('cold-cache');
  });

  it('reports the pre-reset accumulator and the step distance when it fires', () => {
    const cache = TeaCache.seed<string>(config({ threshold: 0.1 }));
    cache.shouldCompute(0, 1);
    cache.updateCache('a', 1);
    cache.shouldCompute(1, 0.96);
    cache.getCached();
    expect(cache.shouldCompute(2, 0.92)).toBe(true);
    const decision = cache.lastDecision()!;
    expect(decision.reason).toBe('threshold');
    expect(decision.distance).toBe(f32(f32(1) - f32(0.92)));
    expect(decision.accumulated).toBe(f32(f32(f32(1) - f32(0.96)) + decision.distance));
  });

  it('updates the previous timestep only when a step is computed', () => {
    const policy = new SeedPolicy(config({ threshold: 0.1 }));
    policy.decide(0, 1, false);
    policy.markComputed(1);
    // Two reuses: both measure from t = 1, not from each other.
    expect(policy.decide(1, 0.98, true).distance).toBe(f32(f32(1) - f32(0.98)));
    expect(policy.decide(2, 0.96, true).distance).toBe(f32(f32(1) - f32(0.96)));
  });
});

describe('seed cache bookkeeping', () => {
  it('counts misses in updateCache and hits in getCached, never in shouldCompute', () => {
    const cache = TeaCache.seed<string>(null);
    for (let i = 0; i < 5; i++) cache.shouldCompute(i, 1 - i * 0.01);
    expect(cache.stats()).toEqual({ hits: 0, misses: 0 });
    cache.updateCache('x', 1);
    cache.updateCache('y', 0.9);
    // A reuse decision alone is not a hit: the caller has not read the cache yet.
    expect(cache.shouldCompute(5, 0.9)).toBe(false);
    expect(cache.stats()).toEqual({ hits: 0, misses: 2 });
    expect(cache.getCached()).toBe('y');
    expect(cache.stats()).toEqual({ hits: 1, misses: 2 });
  });

  it('counts CFG updates as one miss and CFG reads as one hit', () => {
    const cache = TeaCache.seed<string>(null);
    cache.updateCFGCache('pos', 'neg', 1);
    expect(cache.getCFGCached()).toEqual(['pos', 'neg']);
    expect(cache.stats()).toEqual({ hits: 1, misses: 1 });
  });

  it('needs both CFG outputs for hasCFGCache, and counts a CFG cache as cached', () => {
    const cache = TeaCache.seed<string>(config({ threshold: 10 }));
    expect(cache.hasCFGCache()).toBe(false);
    cache.updateCFGCache('pos', undefined as unknown as string, 1);
    expect(cache.hasCFGCache()).toBe(false);
    expect(cache.shouldCompute(1, 0.99)).toBe(true);
    cache.updateCFGCache('pos', 'neg', 1);
    expect(cache.hasCFGCache()).toBe(true);
    expect(cache.shouldCompute(2, 0.99)).toBe(false);
  });

  it('keeps separate slots for plain and CFG outputs', () => {
    const cache = TeaCache.seed<string>(null);
    cache.updateCache('plain', 1);
    cache.updateCFGCache('pos', 'neg', 0.9);
    expect(cache.getCached()).toBe('plain');
    expect(cache.getCFGCached()).toEqual(['pos', 'neg']);
    expect(cache.arrays()).toEqual(['plain', 'pos', 'neg']);
  });

  it('free drops the cached outputs but keeps stats and policy state', () => {
    const cache = TeaCache.seed<string>(config({ threshold: 0.1 }));
    cache.shouldCompute(0, 1);
    cache.updateCache('x', 1);
    cache.getCached();
    cache.free();
    expect(cache.stats()).toEqual({ hits: 1, misses: 1 });
    expect(cache.arrays()).toEqual([]);
    expect(cache.getCached()).toBeUndefined();
    expect(cache.stats()).toEqual({ hits: 2, misses: 1 });
    // Nothing cached any more: the next step must compute.
    expect(cache.shouldCompute(1, 0.99)).toBe(true);
  });
});
