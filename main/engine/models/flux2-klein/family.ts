// FLUX.2 klein (4B or 9B, step-distilled or Base) as a model family: the diffusers folder or ComfyUI's single
// files. Runs in the engine (Node).

import type { ModelFamily } from '../model-family.ts';
import { checkKleinFolder, looksLikeKlein } from './inspect.ts';
import { Flux2KleinModel } from './klein-model.ts';

export const KLEIN_FAMILY: ModelFamily = {
  kind: 'flux2-klein',
  name: 'FLUX.2 klein',
  expects:
    "a FLUX.2 klein 4B or 9B folder, step-distilled or Base (diffusers: model_index.json, transformer/, text_encoder/, tokenizer/, vae/; or ComfyUI's flux-2-klein*.safetensors, qwen_3_4b* or qwen_3_8b*.safetensors and flux2-vae*.safetensors beside tokenizer/)",
  recognises: looksLikeKlein,
  inspect: (dir) => {
    const { parts, problems } = checkKleinFolder(dir);
    return { ...(parts ? { variant: parts.variant } : {}), problems };
  },
  load: (mx, dir, options) => Flux2KleinModel.load(mx, dir, options),
};
