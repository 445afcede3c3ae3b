// Lets MLX memory go back to the allocator between steps. N-API finalizers of
// unreferenced arrays only run once V8 collects them *and* the event loop
// turns, and V8 cannot see MLX's native memory, so a synchronous step loop
// would otherwise grow without bound (measured: +2 MB per op, slowing each
// step as fresh pages fault in). Runs in the engine (Node).

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type CollectGarbage = (options?: { type?: 'major' | 'minor'; execution?: 'sync' | 'async' }) => void;

let collect: CollectGarbage | undefined;

function collector(): CollectGarbage {
  if (!collect) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as CollectGarbage;
  }
  return collect;
}

/**
 * Collects unreferenced arrays and yields once so their finalizers free them.
 * `minor` between steps: a scavenge is enough for one step's arrays, which are
 * young objects (measured on the built-in model: ~2 ms a step against ~13 ms
 * for a full collection). `major` after a whole generation: its longer-lived
 * arrays (encodings, noise, cached residuals) have reached the old generation
 * by then, which a small JS heap would not collect for many runs (measured:
 * +4 MiB of RSS per generation until one does).
 */
export async function releaseUnreferencedArrays(collection: 'minor' | 'major' = 'minor'): Promise<void> {
  collector()({ type: collection });
  await new Promise<void>((resolve) => setImmediate(resolve));
}
