// Measures the memory the engine needs for FLUX.2 klein 4B or 9B at full
// size, with random weights (no checkpoint download): builds the transformer
// or its Qwen3 encoder (4B's Qwen3-4B, 9B's Qwen3-8B, up to hidden state 27)
// through the same quantize-on-load path as real folders, optionally runs a
// forward, and prints resident and peak memory beside the engine's own
// estimate. Figures for the README; not part of the app.
//
//   npx tsx scripts/measure-klein-memory.ts --size 4B --part transformer --quantize 4 [--forward]
//   npx tsx scripts/measure-klein-memory.ts --size 9B --part qwen3 --quantize 8 [--text 8]

import { parseArgs } from 'node:util';
import type { Quantization } from '../main/engine/io/materialize.ts';
import { loadBackend, type BackendPreference } from '../main/engine/mlx/load-backend.ts';
import { flux2ParamShapes, KLEIN_4B, KLEIN_9B } from '../main/engine/models/flux2-klein/config.ts';
import { estimateKleinMemory, KLEIN_TEXT_TOKENS } from '../main/engine/models/flux2-klein/memory.ts';
import { Flux2Transformer } from '../main/engine/models/flux2-klein/transformer.ts';
import { Flux2VaeConfigSchema } from '../main/engine/models/flux2-klein/vae.ts';
import { QWEN3_4B, QWEN3_8B, qwen3ParamShapes } from '../main/engine/models/text/qwen3.ts';
import { KLEIN_LAYERS } from '../main/engine/models/text/qwen3-text-encoder.ts';
import { measurePart, qwen3Forward } from './memory-report.ts';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '4B' },
    part: { type: 'string', default: 'transformer' },
    quantize: { type: 'string', default: '4' },
    text: { type: 'string', default: '8' },
    forward: { type: 'boolean', default: false },
    backend: { type: 'string', default: 'npm' },
  },
});
if (values.size !== '4B' && values.size !== '9B') throw new Error(`--size takes 4B or 9B, got "${values.size}".`);
const quantization: Quantization = values.quantize === 'none' ? 'none' : (Number(values.quantize) as 4 | 8);
const textTokens = Number(values.text);
const { mx, info } = loadBackend(values.backend as BackendPreference);
const transformerConfig = values.size === '4B' ? KLEIN_4B : KLEIN_9B;
const qwen = values.size === '4B' ? QWEN3_4B : QWEN3_8B;
const upTo = KLEIN_LAYERS[KLEIN_LAYERS.length - 1]!;

await measurePart({
  mx,
  backend: info,
  part: `${values.size} ${values.part}`,
  quantization,
  shapes: values.part === 'qwen3' ? qwen3ParamShapes(qwen, upTo) : flux2ParamShapes(transformerConfig),
  forwardOf: (params) => {
    if (values.part === 'qwen3') return qwen3Forward(mx, qwen, params, KLEIN_LAYERS, textTokens);
    if (!values.forward) return null;
    const transformer = new Flux2Transformer(mx, transformerConfig, params);
    const x = mx.random.normal([1, 16, transformerConfig.in_channels]);
    const text = mx.random.normal([1, textTokens, transformerConfig.joint_attention_dim]);
    return { describe: { imageTokens: 16, textTokens }, run: () => mx.eval(transformer.forward(x, text, 0.5, 4, 4)) };
  },
  estimate: estimateKleinMemory({ transformer: transformerConfig, vae: Flux2VaeConfigSchema.parse({}), textEncoder: qwen }, quantization, { width: 1024, height: 1024, batch: 1, textTokens: KLEIN_TEXT_TOKENS }),
});
