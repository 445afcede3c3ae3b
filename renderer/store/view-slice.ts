// How the result is shown (side by side with its uncached reference, or as a difference map), and the passing
// notice at the foot of the window ("Saved to …", "Copied"). Renderer only.

import type { SliceCreator } from './types.ts';

export type CompareMode = 'side-by-side' | 'difference';

export interface ViewSlice {
  compareMode: CompareMode;
  setCompareMode(mode: CompareMode): void;
  /** A short confirmation; replaced by the next one. */
  notice: string | null;
  showNotice(message: string | null): void;
}

export const createViewSlice: SliceCreator<ViewSlice> = (set) => ({
  compareMode: 'side-by-side',
  setCompareMode(compareMode) {
    set({ compareMode });
  },
  notice: null,
  showNotice(notice) {
    set({ notice });
  },
});
