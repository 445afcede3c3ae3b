// Reads the initial latents a reference run started from (`--noise FILE`):
// one float32 tensor named `noise` in diffusers' unpacked layout, checked from
// its header before MLX reads it. Runs in the engine (Node).

import type { MxArray, MxBackend } from '../mlx/backend.ts';
import { EngineError } from '../../core/errors.ts';
import { readSafetensorsHeader } from './safetensors.ts';
import { loadSafetensors } from './weights.ts';

export const NOISE_TENSOR = 'noise';

export function readNoiseFile(mx: MxBackend, file: string): MxArray {
  const { tensors } = readSafetensorsHeader(file);
  const names = Object.keys(tensors);
  const entry = tensors[NOISE_TENSOR];
  const advice = `it must hold one float32 tensor named "${NOISE_TENSOR}" in diffusers' unpacked latent layout, [1, C, H/8, W/8] ([1, 128, H/16, W/16], the pipeline's latents, for FLUX.2 klein; [1, 3, H, W] for the built-in pixel model), e.g. safetensors.torch.save_file({"noise": latents}, path)`;
  if (!entry || names.length !== 1) {
    throw new EngineError('BAD_REQUEST', `${file} holds ${names.length === 0 ? 'no tensors' : names.map((n) => `"${n}"`).join(', ')}: ${advice}.`, { file, names });
  }
  if (entry.dtype !== 'F32' || entry.shape.length !== 4 || entry.shape[0] !== 1) {
    throw new EngineError('BAD_REQUEST', `${file}'s "${NOISE_TENSOR}" is ${entry.dtype} [${entry.shape.join(', ')}]: ${advice}.`, { file, dtype: entry.dtype, shape: entry.shape });
  }
  return loadSafetensors(mx, file)[NOISE_TENSOR]!;
}
