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
import type { Quantization } from '../main/engine/io/materialize.ts';
import { loadBackend, type BackendPreference } from '../main/engine/mlx/load-backend.ts';
import { QWEN3_4B, qwen3ParamShapes } from '../main/engine/models/text/qwen3.ts';
import { FLUX1_VAE } from '../main/engine/models/vae/decoder.ts';
import { Z_IMAGE_FULL, zImageParamShapes } from '../main/engine/models/z-image/config.ts';
import { estimateZImageMemory } from '../main/engine/models/z-image/memory.ts';
import { ZImageTransformer } from '../main/engine/models/z-image/transformer.ts';
import { measurePart, qwen3Forward } from './memory-report.ts';

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

// Z-Image reads hidden_states[-2]: the last layer is never loaded.
const qwenLayers = QWEN3_4B.num_hidden_layers - 1;
await measurePart({
  mx,
  backend: info,
  part: values.part,
  quantization,
  shapes: values.part === 'qwen3' ? qwen3ParamShapes(QWEN3_4B, qwenLayers) : zImageParamShapes(Z_IMAGE_FULL),
  forwardOf: (params) => {
    if (values.part === 'qwen3') return qwen3Forward(mx, QWEN3_4B, params, [qwenLayers], textTokens);
    if (!values.forward) return null;
    const transformer = new ZImageTransformer(mx, Z_IMAGE_FULL, params);
    const input = { x: mx.random.normal([1, 16, 64]), caption: mx.random.normal([1, textTokens, Z_IMAGE_FULL.capFeatDim]) };
    return { describe: { imageTokens: 16, textTokens }, run: () => mx.eval(transformer.forward(input, 0.5, 4, 4)) };
  },
  estimate: estimateZImageMemory(
    { transformer: Z_IMAGE_FULL, vae: FLUX1_VAE, textEncoder: { shapes: qwen3ParamShapes(QWEN3_4B, qwenLayers), hiddenSize: QWEN3_4B.hidden_size } },
    quantization,
    { width: 1024, height: 1024, batch: 1, textTokens: 512 },
  ),
});
