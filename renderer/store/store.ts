// The one studio store: typed slices combined, persistence applied once on the
// whole, handed to components through React context. Renderer only.

import { createContext, createElement, useContext, type ReactNode } from 'react';
import { create, useStore, type StoreApi, type UseBoundStore } from 'zustand';
import { createJSONStorage, persist, type StateStorage } from 'zustand/middleware';
import { restoreDraft } from '../lib/draft.ts';
import type { StudioBackend } from '../lib/types.ts';
import { createCalibrationSlice } from './calibration-slice.ts';
import { createHistorySlice } from './history-slice.ts';
import { createMediaSlice } from './media-slice.ts';
import { createModelSlice } from './model-slice.ts';
import { createQueueSlice } from './queue-slice.ts';
import { createRunSlice } from './run-slice.ts';
import { createSettingsSlice } from './settings-slice.ts';
import type { StudioState } from './types.ts';
import { createViewSlice } from './view-slice.ts';

export type { StudioState } from './types.ts';
export type StudioStore = UseBoundStore<StoreApi<StudioState>>;

export interface StoreOptions {
  /** Where the draft settings are kept between sessions; none in tests unless given. */
  readonly storage?: StateStorage;
  readonly random?: () => number;
}

const PERSIST_VERSION = 1;

export function createStudioStore(backend: StudioBackend, options: StoreOptions = {}): StudioStore {
  const memory = new Map<string, string>();
  const storage: StateStorage = options.storage ?? {
    getItem: (key) => memory.get(key) ?? null,
    setItem: (key, value) => void memory.set(key, value),
    removeItem: (key) => void memory.delete(key),
  };
  return create<StudioState>()(
    persist(
      (...a) => ({
        ...createModelSlice(backend)(...a),
        ...createSettingsSlice(options.random)(...a),
        ...createRunSlice(backend)(...a),
        ...createHistorySlice(backend)(...a),
        ...createMediaSlice(backend)(...a),
        ...createViewSlice(...a),
        ...createCalibrationSlice(backend)(...a),
        ...createQueueSlice(backend)(...a),
      }),
      {
        name: 'teacache-studio:settings',
        version: PERSIST_VERSION,
        storage: createJSONStorage(() => storage),
        // Only what the user chose; runs and history belong to the host.
        // Until the model is known, the kept draft stays as it was read.
        partialize: (state) => ({ draft: state.draft ?? state.keptDraft, compareMode: state.compareMode }),
        // A kept value of the wrong shape or out of range (older build, hand edits) is dropped, never trusted.
        merge: (kept, current) => {
          const { draft, compareMode } = (kept ?? {}) as Partial<StudioState>;
          const restored = restoreDraft(draft);
          return {
            ...current,
            keptDraft: restored,
            ...(compareMode === 'side-by-side' || compareMode === 'difference' ? { compareMode } : {}),
          };
        },
      },
    ),
  );
}

/** Loads the model and history and keeps history in step with the host; returns the unsubscribe. */
export function bootStudio(store: StudioStore, backend: StudioBackend): () => void {
  const state = store.getState();
  void state.loadModel().then(() => store.getState().resumeJobs());
  void state.loadHistory();
  void state.loadModelSource();
  let wasConnected = true;
  const stops = [
    backend.onHistoryChanged((delta) => store.getState().applyHistoryDelta(delta)),
    backend.onJobsChanged(() => void store.getState().refreshJobs()),
    backend.onCalibration((event) => store.getState().calibrationEvent(event)),
    backend.onModelChanged((source) => {
      // This window's own switch already reloaded; another window's (or web client's) did not.
      const current = store.getState().modelSource;
      if (current?.kind === source.kind && current.dir === source.dir) return;
      void store.getState().modelChanged(source);
    }),
    backend.onConnectionChange((connected) => {
      store.setState({ connected });
      // Back after a drop: whatever finished meanwhile is only in the host's history and model, and
      // the run on screen may have died with a restarted server (reconcileJobs, once history is in).
      // A calibration's end may have been missed: forget it; if it still runs, its next progress
      // event brings it back, and if it finished, the reloaded model carries the fit.
      if (connected && !wasConnected) {
        void store.getState().loadHistory().then(() => store.getState().reconcileJobs());
        // A restarted host lost its queue without a word: the queue view asks again.
        void store.getState().refreshJobs();
        void store.getState().loadModel();
        if (store.getState().calibration) store.setState({ calibration: null });
      }
      wasConnected = connected;
    }),
  ];
  return () => stops.forEach((stop) => stop());
}

const StoreContext = createContext<StudioStore | null>(null);

export function StoreProvider({ store, children }: { store: StudioStore; children: ReactNode }) {
  return createElement(StoreContext.Provider, { value: store }, children);
}

export function useStudio<T>(selector: (state: StudioState) => T): T {
  const store = useContext(StoreContext);
  if (!store) throw new Error('useStudio needs a <StoreProvider> above it.');
  return useStore(store, selector);
}
