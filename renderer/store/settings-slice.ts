// The settings form: prompt, sampling and TeaCache choices, edited in place. Renderer only.

import { cacheDefaults, clamp, randomSeed, RANGES, type Draft, type DraftCache } from '../lib/draft.ts';
import type { SliceCreator } from './types.ts';

type DraftFields = Omit<Draft, 'cache'>;

export interface SettingsSlice {
  /** null until the model (and so its defaults) is known. */
  draft: Draft | null;
  setDraft(patch: Partial<DraftFields>): void;
  setCache(patch: Partial<DraftCache>): void;
  randomizeSeed(): void;
  /** Threshold, rescale and skip-early back to the model's defaults; on/off stays. */
  resetCache(): void;
}

export const createSettingsSlice =
  (random: () => number = Math.random): SliceCreator<SettingsSlice> =>
  (set, get) => ({
    draft: null,
    setDraft(patch) {
      const { draft } = get();
      if (!draft) return;
      const next = { ...draft, ...patch };
      set({ draft: { ...next, steps: Math.round(clamp(next.steps, RANGES.steps)), guidanceScale: clamp(next.guidanceScale, RANGES.guidanceScale) } });
    },
    setCache(patch) {
      const { draft } = get();
      if (!draft) return;
      const cache = { ...draft.cache, ...patch };
      set({
        draft: {
          ...draft,
          cache: {
            ...cache,
            threshold: clamp(cache.threshold, RANGES.threshold),
            rescaleFactor: clamp(cache.rescaleFactor, RANGES.rescaleFactor),
            skipEarlySteps: cache.skipEarlySteps === null ? null : Math.round(clamp(cache.skipEarlySteps, RANGES.skipEarlySteps)),
          },
        },
      });
    },
    randomizeSeed() {
      get().setDraft({ seed: randomSeed(random) });
    },
    resetCache() {
      const { draft, model } = get();
      if (!draft || !model) return;
      set({ draft: { ...draft, cache: { ...cacheDefaults(model), enabled: draft.cache.enabled } } });
    },
  });
