// Past runs as the host stores them (they survive restarts there), and which one is on screen. Renderer only.

import { toAppError } from '../lib/errors.ts';
import type { AppError, RunEntry, StudioBackend } from '../lib/types.ts';
import type { SliceCreator } from './types.ts';

export interface HistorySlice {
  /** Newest first. */
  history: RunEntry[];
  historyStatus: 'idle' | 'loading' | 'ready' | 'failed';
  historyError: AppError | null;
  selectedId: string | null;
  loadHistory(): Promise<void>;
  selectRun(id: string): void;
  removeRun(id: string): Promise<void>;
  /** Adds a finished run (newest first) unless it is already listed. */
  addRun(entry: RunEntry, select: boolean): void;
  /** A run deleted with Undo on offer: hidden now, deleted on the host when the offer lapses or the next delete comes. */
  pendingRemoval: { readonly id: string; readonly prompt: string; readonly timer: ReturnType<typeof setTimeout> } | null;
  removeRunUndoable(id: string): void;
  undoRemove(): void;
}

/** How long "Undo" is offered after a delete. */
export const UNDO_MS = 8000;

const newestFirst = (a: RunEntry, b: RunEntry) => b.createdAt.localeCompare(a.createdAt);

export const createHistorySlice =
  (backend: StudioBackend): SliceCreator<HistorySlice> =>
  (set, get) => ({
    history: [],
    historyStatus: 'idle',
    historyError: null,
    selectedId: null,
    async loadHistory() {
      set({ historyStatus: 'loading' });
      try {
        const entries = [...(await backend.history())].sort(newestFirst);
        const { selectedId } = get();
        const keep = selectedId !== null && entries.some((e) => e.id === selectedId);
        // An uncached reference is a means, not a result: open on the newest real run.
        const firstCached = entries.find((e) => e.baselineOf === null) ?? entries[0];
        set({ history: entries, historyStatus: 'ready', historyError: null, selectedId: keep ? selectedId : (firstCached?.id ?? null) });
      } catch (error) {
        set({ historyStatus: 'failed', historyError: toAppError(error) });
      }
    },
    selectRun(id) {
      const { run } = get();
      // A finished, cancelled or failed run steps aside; a live one keeps the stage.
      const keepRun = run !== null && (run.status === 'starting' || run.status === 'running' || run.status === 'cancelling');
      set({ selectedId: id, ...(keepRun ? {} : { run: null }) });
    },
    async removeRun(id) {
      try {
        await backend.removeRun(id);
        const history = get().history.filter((e) => e.id !== id);
        set({ history, ...(get().selectedId === id ? { selectedId: history[0]?.id ?? null } : {}) });
      } catch (error) {
        set({ error: toAppError(error) });
      }
    },
    addRun(entry, select) {
      const { history } = get();
      const rest = history.filter((e) => e.id !== entry.id);
      set({ history: [entry, ...rest].sort(newestFirst), ...(select || get().selectedId === null ? { selectedId: entry.id } : {}) });
    },
    pendingRemoval: null,
    removeRunUndoable(id) {
      const earlier = get().pendingRemoval;
      if (earlier) {
        clearTimeout(earlier.timer);
        set({ pendingRemoval: null });
        void get().removeRun(earlier.id);
      }
      const entry = get().history.find((e) => e.id === id);
      if (!entry) return;
      const timer = setTimeout(() => {
        if (get().pendingRemoval?.id !== id) return;
        set({ pendingRemoval: null });
        void get().removeRun(id);
      }, UNDO_MS);
      const next = get().history.find((e) => e.id !== id && e.baselineOf !== id);
      set({ pendingRemoval: { id, prompt: entry.request.prompt, timer }, ...(get().selectedId === id ? { selectedId: next?.id ?? null } : {}) });
    },
    undoRemove() {
      const pending = get().pendingRemoval;
      if (!pending) return;
      clearTimeout(pending.timer);
      set({ pendingRemoval: null, selectedId: pending.id });
    },
  });
