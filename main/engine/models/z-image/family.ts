// Z-Image and Z-Image-Turbo as a model family: the diffusers folder or ComfyUI's single files. Runs in the engine (Node).

import type { ModelFamily } from '../model-family.ts';
import { checkZImageFolder, looksLikeZImage } from './inspect.ts';
import { ZImageModel } from './z-image-model.ts';

export const Z_IMAGE_FAMILY: ModelFamily = {
  kind: 'z-image',
  name: 'Z-Image',
  expects:
    "a Z-Image or Z-Image-Turbo folder (diffusers: transformer/, text_encoder/, tokenizer/, vae/, scheduler/; or ComfyUI's z_image*.safetensors, qwen_3_4b*.safetensors and ae.safetensors beside tokenizer/)",
  recognises: looksLikeZImage,
  inspect: (dir) => {
    const { parts, problems } = checkZImageFolder(dir);
    return { ...(parts ? { variant: parts.variant } : {}), problems };
  },
  load: (mx, dir, options) => ZImageModel.load(mx, dir, options),
};
