// FLUX.2's autoencoder on the decode side (diffusers' AutoencoderKLFlux2):
// model-space tokens are de-normalised with the checkpoint's BatchNorm running
// statistics, unpatchified 2×2 to 32 latent channels, then decoded by the same
// decoder as FLUX.1's (post-quant conv included). Runs in the engine; no Node
// or Electron imports.

import { z } from 'zod';
import type { MxArray, MxBackend } from '../../mlx/backend.ts';
import { param, type ParamShapes, type Params } from '../layers.ts';
import { VaeDecoder, vaeDecoderParamShapes, type VaeConfig } from '../vae/decoder.ts';

/** The fields of diffusers' AutoencoderKLFlux2 config.json the decoder reads; defaults are diffusers'. */
export const Flux2VaeConfigSchema = z.object({
  out_channels: z.number().int().positive().default(3),
  latent_channels: z.number().int().positive().default(32),
  block_out_channels: z.array(z.number().int().positive()).min(1).default([128, 256, 512, 512]),
  decoder_block_out_channels: z.array(z.number().int().positive()).min(1).nullable().default(null),
  layers_per_block: z.number().int().positive().default(2),
  norm_num_groups: z.number().int().positive().default(32),
  use_post_quant_conv: z.boolean().default(true),
  mid_block_add_attention: z.boolean().default(true),
  batch_norm_eps: z.number().positive().default(1e-4),
  patch_size: z.tuple([z.literal(2), z.literal(2)], { message: 'FLUX.2 autoencoders patchify 2×2 (patch_size [2, 2])' }).default([2, 2]),
});

export type Flux2VaeConfig = z.infer<typeof Flux2VaeConfigSchema>;

/** The shared decoder's view of a FLUX.2 autoencoder: no scale or shift (the BatchNorm statistics replace them). */
export function flux2DecoderConfig(config: Flux2VaeConfig): VaeConfig {
  return {
    latent_channels: config.latent_channels,
    out_channels: config.out_channels,
    block_out_channels: config.decoder_block_out_channels ?? config.block_out_channels,
    layers_per_block: config.layers_per_block,
    norm_num_groups: config.norm_num_groups,
    scaling_factor: 1,
    shift_factor: 0,
    use_post_quant_conv: config.use_post_quant_conv,
    mid_block_add_attention: config.mid_block_add_attention,
  };
}

/** Pixels per latent token: the decoder's 2^(levels − 1) times the 2×2 patch. */
export function flux2PixelsPerToken(config: Flux2VaeConfig): number {
  return 2 ** ((config.decoder_block_out_channels ?? config.block_out_channels).length - 1) * 2;
}

/** The decode side's parameters in diffusers' names: the shared decoder's and the BatchNorm statistics. */
export function flux2VaeDecodeParamShapes(config: Flux2VaeConfig): ParamShapes {
  const channels = config.latent_channels * 4;
  return { ...vaeDecoderParamShapes(flux2DecoderConfig(config)), 'bn.running_mean': [channels], 'bn.running_var': [channels] };
}

export class Flux2Vae {
  readonly decoder: VaeDecoder;
  private readonly mean: MxArray;
  private readonly std: MxArray;

  constructor(
    private readonly mx: MxBackend,
    readonly config: Flux2VaeConfig,
    params: Params,
  ) {
    this.decoder = new VaeDecoder(mx, flux2DecoderConfig(config), params);
    const channels = config.latent_channels * 4;
    const mean = param(params, 'bn.running_mean');
    const variance = param(params, 'bn.running_var');
    if (mean.shape.join() !== String(channels) || variance.shape.join() !== String(channels)) {
      throw new Error(`The autoencoder's BatchNorm statistics have shapes [${mean.shape.join(', ')}] and [${variance.shape.join(', ')}]; ${config.latent_channels} latent channels patchified 2×2 need [${channels}].`);
    }
    this.mean = mean;
    this.std = mx.sqrt(mx.add(variance, config.batch_norm_eps));
    mx.eval(this.std);
  }

  /**
   * Packed model-space tokens [1, rows·cols, 4C] → the decoder's latents
   * [1, C, 2·rows, 2·cols]: x·√(var + eps) + mean per patchified channel, then
   * channel c·4 + dy·2 + dx to pixel (2y + dy, 2x + dx), as the pipeline does.
   */
  denormalize(tokens: MxArray, rows: number, cols: number): MxArray {
    const { mx } = this;
    const channels = this.config.latent_channels;
    const x = mx.add(mx.multiply(tokens, this.std), this.mean);
    const grid = mx.reshape(x, 1, rows, cols, channels, 2, 2);
    return mx.reshape(mx.transpose(grid, 0, 3, 1, 4, 2, 5), 1, channels, 2 * rows, 2 * cols);
  }

  /** Packed model-space tokens → image [1, H, W, 3] in about [-1, 1]. */
  decode(tokens: MxArray, rows: number, cols: number, afterStage?: (x: MxArray) => void): MxArray {
    return this.decoder.decode(this.denormalize(tokens, rows, cols), afterStage);
  }
}
