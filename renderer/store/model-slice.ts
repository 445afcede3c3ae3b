// The model the engine has loaded: its facts and defaults, where it came from,
// and switching to another model folder (refusals keep their problems for the
// UI). Renderer only.

import { toAppError } from '../lib/errors.ts';
import { completeDraft, draftDefaults } from '../lib/draft.ts';
import type { AppError, ModelFolderProblem, ModelSource, ModelSummary, StudioBackend } from '../lib/types.ts';
import type { SliceCreator } from './types.ts';

export interface ModelSlice {
  model: ModelSummary | null;
  modelError: AppError | null;
  /** The event stream to the engine; while it is down no step events arrive. */
  connected: boolean;
  /** Built-in or a folder, with the note to show when a remembered folder could not be used. */
  modelSource: ModelSource | null;
  /** The folder last refused and why, file by file; cleared by the next attempt. */
  modelRefusal: { dir: string; problems: ModelFolderProblem[] } | null;
  /** A switch is in flight. */
  modelSwitching: boolean;
  /** The desktop app has a native folder dialog; web mode types a path instead. */
  canPickModelFolder: boolean;
  loadModel(): Promise<void>;
  loadModelSource(): Promise<void>;
  /** Checks and opens folder `dir` (null: the built-in model); true when the engine switched to it. */
  openModelFolder(dir: string | null): Promise<boolean>;
  /** Opens the native folder dialog, then the chosen folder; false when cancelled or refused. */
  pickModelFolder(): Promise<boolean>;
  /** The engine restarted on another model: forget the old one's facts and load the new one's. */
  modelChanged(source: ModelSource): Promise<void>;
}

export const createModelSlice =
  (backend: StudioBackend): SliceCreator<ModelSlice> =>
  (set, get) => ({
    model: null,
    modelError: null,
    connected: true,
    modelSource: null,
    modelRefusal: null,
    modelSwitching: false,
    canPickModelFolder: typeof backend.pickModelFolder === 'function',
    async loadModel() {
      try {
        const model = await backend.model();
        // What is valid of a draft kept from an earlier session survives; the rest comes from the model's defaults.
        set({ model, modelError: null, draft: get().draft ?? completeDraft(get().keptDraft ?? {}, model) });
      } catch (error) {
        set({ modelError: toAppError(error) });
      }
    },
    async loadModelSource() {
      try {
        set({ modelSource: await backend.modelSource() });
      } catch (error) {
        set({ modelError: toAppError(error) });
      }
    },
    async openModelFolder(dir) {
      set({ modelSwitching: true, modelRefusal: null });
      try {
        const result = await backend.setModelFolder(dir);
        if (!result.accepted) {
          set({ modelRefusal: { dir: dir ?? '', problems: result.problems } });
          return false;
        }
        await get().modelChanged(result.source);
        return true;
      } catch (error) {
        set({ error: toAppError(error) });
        return false;
      } finally {
        set({ modelSwitching: false });
      }
    },
    async pickModelFolder() {
      if (!backend.pickModelFolder) return false;
      let dir: string | null;
      try {
        dir = await backend.pickModelFolder();
      } catch (error) {
        set({ error: toAppError(error) });
        return false;
      }
      return dir === null ? false : get().openModelFolder(dir);
    },
    async modelChanged(source) {
      const previous = get().model;
      set({ modelSource: source, model: null, modelError: null });
      await get().loadModel();
      const next = get().model;
      const draft = get().draft;
      // The prompt carries over; size, steps and guidance follow the new model's defaults.
      if (next && draft && previous?.info.id !== next.info.id) {
        set({ draft: { ...draftDefaults(next), prompt: draft.prompt, negativePrompt: draft.negativePrompt, seed: draft.seed } });
      }
    },
  });
