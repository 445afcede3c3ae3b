// Measures what the cache's own decisions cost, apart from any model work.
// Pure JavaScript; used by the benchmarks.

import { SeedPolicy } from '../core/teacache/seed-policy.ts';
import { TeaCache } from '../core/teacache/teacache.ts';

/**
 * Time per step of the cache's own work — the policy's decision plus storing
 * or fetching the output — over many passes of the real schedule.
 */
export function bookkeepingMsPerStep(config: ConstructorParameters<typeof SeedPolicy>[0], timesteps: readonly number[], passes = 20_000): number {
  const output = {};
  const steps = timesteps.length - 1;
  const started = performance.now();
  for (let pass = 0; pass < passes; pass++) {
    const cache = new TeaCache<object>(new SeedPolicy(config));
    for (let step = 0; step < steps; step++) {
      const t = timesteps[step]!;
      if (cache.shouldCompute(step, t)) cache.updateCFGCache(output, output, t);
      else cache.getCFGCached();
    }
  }
  return (performance.now() - started) / (passes * steps);
}
