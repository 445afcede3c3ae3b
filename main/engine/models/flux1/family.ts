// FLUX.1 dev and schnell as a model family: the diffusers folder or BFL's single files. Runs in the engine (Node).

import type { ModelFamily } from '../model-family.ts';
import { Flux1Model } from './flux1-model.ts';
import { checkFlux1Folder, looksLikeFlux1 } from './inspect.ts';

export const FLUX1_FAMILY: ModelFamily = {
  kind: 'flux1',
  name: 'FLUX.1',
  expects:
    "a FLUX.1 dev/schnell folder (diffusers: transformer/, text_encoder/, text_encoder_2/, tokenizer/, tokenizer_2/, vae/; or BFL's flux1-*.safetensors and ae.safetensors beside those text folders)",
  recognises: looksLikeFlux1,
  inspect: (dir) => {
    const { parts, problems } = checkFlux1Folder(dir);
    return { ...(parts ? { variant: parts.variant } : {}), problems };
  },
  load: (mx, dir, options) => Flux1Model.load(mx, dir, options),
};
