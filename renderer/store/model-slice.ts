// The model the engine has loaded: its facts and defaults, fetched once. Renderer only.

import { toAppError } from '../lib/errors.ts';
import { draftDefaults } from '../lib/draft.ts';
import type { AppError, ModelSummary, StudioBackend } from '../lib/types.ts';
import type { SliceCreator } from './types.ts';

export interface ModelSlice {
  model: ModelSummary | null;
  modelError: AppError | null;
  /** The event stream to the engine; while it is down no step events arrive. */
  connected: boolean;
  loadModel(): Promise<void>;
}

export const createModelSlice =
  (backend: StudioBackend): SliceCreator<ModelSlice> =>
  (set, get) => ({
    model: null,
    modelError: null,
    connected: true,
    async loadModel() {
      try {
        const model = await backend.model();
        // A draft kept from an earlier session survives; a first launch starts from the model's defaults.
        set({ model, modelError: null, draft: get().draft ?? draftDefaults(model) });
      } catch (error) {
        set({ modelError: toAppError(error) });
      }
    },
  });
