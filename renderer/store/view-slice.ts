// How the result is shown: side by side with its uncached reference, or as a difference map. Renderer only.

import type { SliceCreator } from './types.ts';

export type CompareMode = 'side-by-side' | 'difference';

export interface ViewSlice {
  compareMode: CompareMode;
  setCompareMode(mode: CompareMode): void;
}

export const createViewSlice: SliceCreator<ViewSlice> = (set) => ({
  compareMode: 'side-by-side',
  setCompareMode(compareMode) {
    set({ compareMode });
  },
});
