// Measures the memory the engine needs for Z-Image at full size, with random
// weights (no checkpoint download): builds the 6.15B transformer or the
// Qwen3-4B encoder through the same quantize-on-load path as real folders,
// optionally runs a forward, and prints resident and peak memory beside the
// engine's own estimate. Figures for the README; not part of the app.
//
//   npx tsx scripts/measure-z-image-memory.ts --part transformer --quantize 4 [--forward]
//   npx tsx scripts/measure-z-image-memory.ts --part qwen3 --quantize 8 [--text 8]
// (A transformer forward pads image and caption to 32 tokens each: 64 tokens,
// minutes on this CPU build's quantized matmul, so it is off by default.)

import { parseArgs } from 'node:util';
import { materialize, runReleasing, type Quantization } from '../main/engine/io/materialize.ts';
import { loadBackend, type BackendPreference } from '../main/engine/mlx/load-backend.ts';
import { releaseUnreferencedArrays } from '../main/engine/mlx/memory.ts';
import { paramsBytes } from '../main/engine/models/flux1/memory.ts';
import { QWEN3_4B, Qwen3Encoder, qwen3ParamShapes } from '../main/engine/models/text/qwen3.ts';
import { FLUX1_VAE } from '../main/engine/models/vae/decoder.ts';
import { Z_IMAGE_FULL, zImageParamShapes } from '../main/engine/models/z-image/config.ts';
import { estimateZImageMemory } from '../main/engine/models/z-image/memory.ts';
import { ZImageTransformer } from '../main/engine/models/z-image/transformer.ts';
import { randomPlans } from './random-plans.ts';

const { values } = parseArgs({
  options: {
    part: { type: 'string', default: 'transformer' },
    quantize: { type: 'string', default: '4' },
    text: { type: 'string', default: '8' },
    forward: { type: 'boolean', default: false },
    backend: { type: 'string', default: 'npm' },
  },
});
const quantization: Quantization = values.quantize === 'none' ? 'none' : (Number(values.quantize) as 4 | 8);
const textTokens = Number(values.text);
const { mx, info } = loadBackend(values.backend as BackendPreference);
const GB = 1024 ** 3;
const gb = (bytes: number) => Number((bytes / GB).toFixed(2));
const rss = () => process.memoryUsage().rss;
const maxRss = () => process.resourceUsage().maxRSS * 1024;

async function main(): Promise<void> {
  const started = performance.now();
  const idle = rss();
  // Z-Image reads hidden_states[-2]: the last layer is never loaded.
  const qwenLayers = QWEN3_4B.num_hidden_layers - 1;
  const shapes = values.part === 'qwen3' ? qwen3ParamShapes(QWEN3_4B, qwenLayers) : zImageParamShapes(Z_IMAGE_FULL);
  const { plans, drop } = randomPlans(mx, shapes, /embed_tokens\.weight$/);
  const params = await runReleasing(materialize(mx, plans, quantization));
  drop();
  await releaseUnreferencedArrays();
  const loadedRss = rss();
  const loadSeconds = (performance.now() - started) / 1000;
  const forwardStarted = performance.now();
  if (values.part === 'qwen3') {
    const encoder = new Qwen3Encoder(mx, QWEN3_4B, params, qwenLayers);
    const ids = [Array.from({ length: textTokens }, (_, i) => (i * 37) % 151_000)];
    mx.eval(...encoder.encode(ids, [ids[0]!.map(() => 1)], [qwenLayers]));
  } else if (values.forward) {
    const transformer = new ZImageTransformer(mx, Z_IMAGE_FULL, params);
    mx.eval(transformer.forward({ x: mx.random.normal([1, 16, 64]), caption: mx.random.normal([1, textTokens, Z_IMAGE_FULL.capFeatDim]) }, 0.5, 4, 4));
  }
  const forwardSeconds = (performance.now() - forwardStarted) / 1000;
  const estimate = estimateZImageMemory(
    { transformer: Z_IMAGE_FULL, vae: FLUX1_VAE, textEncoder: { shapes: qwen3ParamShapes(QWEN3_4B, qwenLayers), hiddenSize: QWEN3_4B.hidden_size } },
    quantization,
    { width: 1024, height: 1024, batch: 1, textTokens: 512 },
  );
  const report = {
    part: values.part,
    backend: `${info.package} ${info.version}`,
    quantization,
    forward: values.part === 'qwen3' ? { textTokens } : values.forward ? { imageTokens: 16, textTokens } : null,
    paramsGb: gb(paramsBytes(shapes, quantization)),
    idleRssGb: gb(idle),
    residentAfterLoadGb: gb(loadedRss),
    peakRssGb: gb(maxRss()),
    loadSeconds: Number(loadSeconds.toFixed(1)),
    forwardSeconds: Number(forwardSeconds.toFixed(1)),
    engineEstimateAt1024: {
      transformerGb: gb(estimate.transformerBytes),
      textEncoderGb: gb(estimate.textEncoderBytes),
      vaeGb: gb(estimate.vaeBytes),
      activationsGb: gb(estimate.activationBytes),
      peakGb: gb(estimate.peakBytes),
    },
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

await main();
