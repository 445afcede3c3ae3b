// The built-in pixel model's format as a model family: a model.json beside its vocabulary and weights. Runs in the engine (Node).

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelFamily } from '../model-family.ts';
import { checkPixelFluxFolder, MANIFEST_FILE, PixelFluxModel } from './pixel-flux-model.ts';

export const PIXEL_FLUX_FAMILY: ModelFamily = {
  kind: 'pixel-flux',
  name: 'built-in',
  expects: `${MANIFEST_FILE} (the built-in model's format)`,
  recognises: (dir) => existsSync(join(dir, MANIFEST_FILE)),
  inspect: (dir) => ({ problems: checkPixelFluxFolder(dir) }),
  load: async (mx, dir) => PixelFluxModel.load(mx, dir),
};
