// The memory scripts' shared measurement: random full-size weights loaded
// through the real quantize-on-load path, then one JSON line with resident and
// peak memory beside the engine's own estimate at 1024×1024. Not part of the app.

import { materialize, runReleasing, type Quantization } from '../main/engine/io/materialize.ts';
import type { MxBackend } from '../main/engine/mlx/backend.ts';
import { releaseUnreferencedArrays } from '../main/engine/mlx/memory.ts';
import { paramsBytes, type MemoryEstimate } from '../main/engine/models/memory-estimate.ts';
import type { ParamShapes, Params } from '../main/engine/models/layers.ts';
import { Qwen3Encoder, type Qwen3Config } from '../main/engine/models/text/qwen3.ts';
import { randomPlans } from './random-plans.ts';

const GB = 1024 ** 3;
const gb = (bytes: number) => Number((bytes / GB).toFixed(2));
const rss = () => process.memoryUsage().rss;

interface Forward {
  readonly describe: Record<string, number>;
  readonly run: () => void;
}

/**
 * Loads `shapes` as random weights, quantized as asked exactly as a real
 * folder loads, runs the forward `forwardOf` builds on them (if any), and
 * prints one JSON line: resident and peak memory beside `estimate`.
 */
export async function measurePart(r: {
  readonly mx: MxBackend;
  readonly backend: { readonly package: string; readonly version: string };
  readonly part: string;
  readonly quantization: Quantization;
  readonly shapes: ParamShapes;
  readonly forwardOf: (params: Params) => Forward | null;
  readonly estimate: MemoryEstimate;
}): Promise<void> {
  const started = performance.now();
  const idleRss = rss();
  const { plans, drop } = randomPlans(r.mx, r.shapes, /embed_tokens\.weight$/);
  const params = await runReleasing(materialize(r.mx, plans, r.quantization));
  drop();
  await releaseUnreferencedArrays();
  const loadedRss = rss();
  const loadSeconds = (performance.now() - started) / 1000;
  const forward = r.forwardOf(params);
  const forwardStarted = performance.now();
  forward?.run();
  const forwardSeconds = (performance.now() - forwardStarted) / 1000;
  const report = {
    part: r.part,
    backend: `${r.backend.package} ${r.backend.version}`,
    quantization: r.quantization,
    forward: forward?.describe ?? null,
    paramsGb: gb(paramsBytes(r.shapes, r.quantization)),
    idleRssGb: gb(idleRss),
    residentAfterLoadGb: gb(loadedRss),
    peakRssGb: gb(process.resourceUsage().maxRSS * 1024),
    loadSeconds: Number(loadSeconds.toFixed(1)),
    forwardSeconds: Number(forwardSeconds.toFixed(1)),
    engineEstimateAt1024: {
      transformerGb: gb(r.estimate.transformerBytes),
      textEncoderGb: gb(r.estimate.textEncoderBytes),
      vaeGb: gb(r.estimate.vaeBytes),
      activationsGb: gb(r.estimate.activationBytes),
      peakGb: gb(r.estimate.peakBytes),
    },
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

/** The Qwen3 part's forward: `textTokens` made-up ids through the loaded layers, up to the hidden states asked for. */
export function qwen3Forward(mx: MxBackend, config: Qwen3Config, params: Params, indices: readonly number[], textTokens: number): Forward {
  return {
    describe: { textTokens },
    run: () => {
      const encoder = new Qwen3Encoder(mx, config, params, Math.max(...indices));
      const ids = [Array.from({ length: textTokens }, (_, i) => (i * 37) % 151_000)];
      mx.eval(...encoder.encode(ids, [ids[0]!.map(() => 1)], [...indices]));
    },
  };
}
