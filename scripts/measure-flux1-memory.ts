// Measures the memory the engine needs for FLUX.1 at full size, with random
// weights (no checkpoint download): builds the full-size transformer (or T5
// XXL) through the same quantize-on-load path as real folders, then runs a
// forward over a few tokens, and prints resident and peak memory beside the
// engine's own estimate. Figures for the README; not part of the app.
//
//   npx tsx scripts/measure-flux1-memory.ts --part transformer --quantize 4 [--size 32] [--text 4]
//   npx tsx scripts/measure-flux1-memory.ts --part t5 --quantize 8 [--text 8]
//   npx tsx scripts/measure-flux1-memory.ts --part vae --size 512 --backend native
//   npx tsx scripts/measure-flux1-memory.ts --part blocks --quantize none --size 1024 --text 512
// (`blocks`: full width, one double and one single block: a forward's live
// activations at full resolution, which do not grow with depth once compiled.)

import { parseArgs } from 'node:util';
import { materialize, runReleasing, type Quantization } from '../main/engine/io/materialize.ts';
import type { MxArray } from '../main/engine/mlx/backend.ts';
import { loadBackend, type BackendPreference } from '../main/engine/mlx/load-backend.ts';
import { releaseUnreferencedArrays } from '../main/engine/mlx/memory.ts';
import { FLUX1_DEV, fluxParamShapes } from '../main/engine/models/flux/config.ts';
import { FluxTransformer } from '../main/engine/models/flux/transformer.ts';
import { estimateFlux1Memory } from '../main/engine/models/flux1/memory.ts';
import { paramsBytes } from '../main/engine/models/memory-estimate.ts';
import { CLIP_L } from '../main/engine/models/text/clip.ts';
import { T5Encoder, T5_XXL, t5ParamShapes } from '../main/engine/models/text/t5.ts';
import { FLUX1_VAE, VaeDecoder, vaeDecoderParamShapes } from '../main/engine/models/vae/decoder.ts';
import { decodeTiled } from '../main/engine/models/vae/tiled-decode.ts';
import { randomPlans } from './random-plans.ts';

const { values } = parseArgs({
  options: {
    part: { type: 'string', default: 'transformer' },
    quantize: { type: 'string', default: '4' },
    size: { type: 'string', default: '32' },
    text: { type: 'string', default: '4' },
    backend: { type: 'string', default: 'npm' },
  },
});
// The engine keeps the autoencoder float32 whatever the transformer's level.
const quantization: Quantization = values.quantize === 'none' || values.part === 'vae' ? 'none' : (Number(values.quantize) as 4 | 8);
const size = Number(values.size);
const textTokens = Number(values.text);
const { mx, info } = loadBackend(values.backend as BackendPreference);
const GB = 1024 ** 3;
const gb = (bytes: number) => Number((bytes / GB).toFixed(2));
const rss = () => process.memoryUsage().rss;
const maxRss = () => process.resourceUsage().maxRSS * 1024;

async function main(): Promise<void> {
  const started = performance.now();
  const idle = rss();
  const fluxConfig = values.part === 'blocks' ? { ...FLUX1_DEV, depth: 1, depthSingle: 1 } : FLUX1_DEV;
  const shapes = values.part === 't5' ? t5ParamShapes(T5_XXL) : values.part === 'vae' ? vaeDecoderParamShapes(FLUX1_VAE) : fluxParamShapes(fluxConfig);
  const { plans, drop } = randomPlans(mx, shapes);
  const params = await runReleasing(materialize(mx, plans, quantization));
  drop();
  await releaseUnreferencedArrays();
  const loadedRss = rss();
  const loadSeconds = (performance.now() - started) / 1000;

  const forwardStarted = performance.now();
  if (values.part === 'vae') {
    const decoder = new VaeDecoder(mx, FLUX1_VAE, params);
    const decode = (latents: MxArray) => decoder.decode(decoder.unscale(latents));
    // As the engine decodes: compiled, in 512-pixel tiles beyond 512×512.
    decodeTiled(mx, mx.random.normal([1, 16, size / 8, size / 8]), mx.compile ? mx.compile(decode) : decode);
  } else if (values.part === 't5') {
    const encoder = new T5Encoder(mx, T5_XXL, params);
    const out = encoder.encode([Array.from({ length: textTokens }, (_, i) => (i * 37) % 32000)]);
    mx.eval(out);
  } else {
    const transformer = new FluxTransformer(mx, fluxConfig, params);
    const tokens = (size / 16) ** 2;
    const out = transformer.forward({
      x: mx.random.normal([1, tokens, 64]),
      rows: size / 16,
      cols: size / 16,
      timestep: 0.5,
      text: { context: mx.random.normal([1, textTokens, 4096]), pooled: mx.random.normal([1, 768]) },
      guidance: 3.5,
    });
    mx.eval(out);
  }
  const forwardSeconds = (performance.now() - forwardStarted) / 1000;
  const estimate = estimateFlux1Memory({ transformer: FLUX1_DEV, t5: T5_XXL, clip: CLIP_L, vae: FLUX1_VAE }, quantization, {
    width: 1024,
    height: 1024,
    batch: 1,
    textTokens: 512,
  });
  const report = {
    part: values.part,
    backend: `${info.package} ${info.version}`,
    quantization,
    forward: values.part === 't5' ? { textTokens } : values.part === 'vae' ? { width: size, height: size } : { width: size, height: size, textTokens },
    paramsGb: gb(paramsBytes(shapes, quantization)),
    idleRssGb: gb(idle),
    residentAfterLoadGb: gb(loadedRss),
    peakRssGb: gb(maxRss()),
    loadSeconds: Number(loadSeconds.toFixed(1)),
    forwardSeconds: Number(forwardSeconds.toFixed(1)),
    engineEstimateAt1024: {
      transformerGb: gb(estimate.transformerBytes),
      textEncodersGb: gb(estimate.textEncoderBytes),
      vaeGb: gb(estimate.vaeBytes),
      activationsGb: gb(estimate.activationBytes),
      peakGb: gb(estimate.peakBytes),
    },
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

await main();
