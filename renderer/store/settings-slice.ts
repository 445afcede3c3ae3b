// The settings form: prompt, sampling and TeaCache choices, edited in place. Renderer only.

import { cacheDefaults, clamp, draftFromRequest, followDefaults, guidanceRange, randomSeed, RANGES, thresholdRange, type Draft, type DraftCache, type KeptDraft } from '../lib/draft.ts';
import type { ResolvedRequest } from '../lib/types.ts';
import type { SliceCreator } from './types.ts';

type DraftFields = Omit<Draft, 'cache'>;

export interface SettingsSlice {
  /** null until the model (and so its defaults) is known. */
  draft: Draft | null;
  /** What passed the checks of the draft kept from an earlier session; completed into `draft` once the model is known. */
  keptDraft: KeptDraft | null;
  setDraft(patch: Partial<DraftFields>): void;
  setCache(patch: Partial<DraftCache>): void;
  randomizeSeed(): void;
  /** Threshold, rescale, skip-early and the options back to the model's defaults; on/off and policy stay. */
  resetCache(): void;
  /** Every setting of a recorded run ("Use these settings"), kept within the sliders' ranges. */
  applySettings(request: ResolvedRequest): void;
}

export const createSettingsSlice =
  (random: () => number = Math.random): SliceCreator<SettingsSlice> =>
  (set, get) => ({
    draft: null,
    keptDraft: null,
    setDraft(patch) {
      const { draft, model } = get();
      if (!draft) return;
      const next = { ...draft, ...patch };
      // The model's own range: Z-Image's 0 (CFG off) must survive every edit of the form.
      const guidance = model ? guidanceRange(model) : RANGES.guidanceScale;
      set({ draft: { ...next, steps: Math.round(clamp(next.steps, RANGES.steps)), guidanceScale: clamp(next.guidanceScale, guidance) } });
    },
    setCache(patch) {
      const { draft, model } = get();
      if (!draft) return;
      let cache = { ...draft.cache, ...patch };
      // Another policy: its threshold has another scale, and only the original TeaCache forces the last step.
      if (model && patch.policy !== undefined) {
        cache = followDefaults(cache, cacheDefaults(model, draft.cache.policy), cacheDefaults(model, cache.policy), patch);
      }
      const max = cache.maxConsecutiveReuses;
      set({
        draft: {
          ...draft,
          cache: {
            ...cache,
            threshold: clamp(cache.threshold, thresholdRange(cache.policy)),
            rescaleFactor: clamp(cache.rescaleFactor, RANGES.rescaleFactor),
            skipEarlySteps: cache.skipEarlySteps === null ? null : Math.round(clamp(cache.skipEarlySteps, RANGES.skipEarlySteps)),
            startFraction: clamp(cache.startFraction, RANGES.window),
            endFraction: clamp(cache.endFraction, RANGES.window),
            maxConsecutiveReuses: max === null || max >= RANGES.maxConsecutiveReuses.max ? null : Math.round(clamp(max, RANGES.maxConsecutiveReuses)),
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
      set({ draft: { ...draft, cache: { ...cacheDefaults(model, draft.cache.policy), enabled: draft.cache.enabled } } });
    },
    applySettings(request) {
      if (!get().draft) return;
      const { cache, ...fields } = draftFromRequest(request);
      get().setDraft(fields);
      get().setCache(cache);
    },
  });
