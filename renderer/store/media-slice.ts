// Images and baseline comparisons of stored runs, fetched on demand and kept
// (a run's image never changes once stored). Renderer only.

import { toAppError } from '../lib/errors.ts';
import { copyImage, downloadImage, imageFileName } from '../lib/image-file.ts';
import type { AppError, Comparison, RunImage, StudioBackend } from '../lib/types.ts';
import type { SliceCreator } from './types.ts';

export type Loadable<T> = { readonly state: 'loading' } | { readonly state: 'ready'; readonly value: T } | { readonly state: 'failed'; readonly error: AppError };

export interface MediaSlice {
  images: Record<string, Loadable<RunImage>>;
  /** Keyed by `${runId}:${baselineId}` so a new baseline is compared afresh (a plain-steps run is compared with its cached run's baseline). */
  comparisons: Record<string, Loadable<Comparison>>;
  loadImage(id: string): Promise<void>;
  loadComparison(id: string, baselineId: string): Promise<void>;
  /** Saves run `id`'s stored PNG (parameters chunk kept): the native dialog in the app, a download in web mode. */
  saveImage(id: string): Promise<void>;
  /** Puts run `id`'s image on the clipboard. */
  copyImage(id: string): Promise<void>;
}

export const comparisonKey = (id: string, baselineId: string) => `${id}:${baselineId}`;

export const createMediaSlice =
  (backend: StudioBackend): SliceCreator<MediaSlice> =>
  (set, get) => ({
    images: {},
    comparisons: {},
    async loadImage(id) {
      const known = get().images[id];
      if (known && known.state !== 'failed') return;
      set({ images: { ...get().images, [id]: { state: 'loading' } } });
      try {
        const value = await backend.image(id);
        set({ images: { ...get().images, [id]: { state: 'ready', value } } });
      } catch (error) {
        set({ images: { ...get().images, [id]: { state: 'failed', error: toAppError(error) } } });
      }
    },
    async loadComparison(id, baselineId) {
      const key = comparisonKey(id, baselineId);
      const known = get().comparisons[key];
      if (known && known.state !== 'failed') return;
      set({ comparisons: { ...get().comparisons, [key]: { state: 'loading' } } });
      try {
        const value = await backend.compare(id, baselineId);
        set({ comparisons: { ...get().comparisons, [key]: { state: 'ready', value } } });
      } catch (error) {
        set({ comparisons: { ...get().comparisons, [key]: { state: 'failed', error: toAppError(error) } } });
      }
    },
    async saveImage(id) {
      const entry = get().history.find((e) => e.id === id);
      if (!entry) return;
      const fileName = imageFileName(entry);
      try {
        if (backend.saveImage) {
          const path = await backend.saveImage(id, fileName);
          if (path !== null) get().showNotice(`Saved to ${path}`);
        } else {
          downloadImage((await backend.image(id)).src, fileName);
          get().showNotice(`Downloaded ${fileName}`);
        }
      } catch (error) {
        set({ error: toAppError(error) });
      }
    },
    async copyImage(id) {
      try {
        await copyImage((await backend.image(id)).src);
        get().showNotice('Image copied');
      } catch (error) {
        set({ error: toAppError(error) });
      }
    },
  });
