// Past runs as the host stores them (they survive restarts there), and which one is on screen. Renderer only.

import { toAppError } from '../lib/errors.ts';
import { measuredRunOf } from '../../main/core/run-links.ts';
import type { AppError, HistoryDelta, RunEntry, StudioBackend } from '../lib/types.ts';
import type { SliceCreator } from './types.ts';

export interface HistorySlice {
  /** Newest first. */
  history: RunEntry[];
  historyStatus: 'idle' | 'loading' | 'ready' | 'failed';
  historyError: AppError | null;
  /** Older runs remain on the host beyond the pages loaded so far. */
  historyMore: boolean;
  selectedId: string | null;
  /** The first page (the newest runs); older ones come with loadMoreHistory. */
  loadHistory(): Promise<void>;
  /** The next page after the oldest run listed. */
  loadMoreHistory(): Promise<void>;
  /** What the host says changed, applied in place: no page is fetched again. */
  applyHistoryDelta(delta: HistoryDelta): void;
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

/** An uncached reference or plain-steps run is a means, not a result: open on the newest real run, never one hidden by a pending delete. */
function firstToOpen(entries: readonly RunEntry[], hidden: string | undefined): string | null {
  const shown = hidden === undefined ? entries : entries.filter((e) => e.id !== hidden && measuredRunOf(e) !== hidden);
  return (shown.find((e) => measuredRunOf(e) === null) ?? shown[0])?.id ?? null;
}

export const createHistorySlice =
  (backend: StudioBackend): SliceCreator<HistorySlice> =>
  (set, get) => ({
    history: [],
    historyStatus: 'idle',
    historyError: null,
    historyMore: false,
    selectedId: null,
    async loadHistory() {
      set({ historyStatus: 'loading' });
      try {
        const page = await backend.history();
        const entries = [...page.entries].sort(newestFirst);
        const { selectedId } = get();
        const keep = selectedId !== null && entries.some((e) => e.id === selectedId);
        set({ history: entries, historyMore: page.more, historyStatus: 'ready', historyError: null, selectedId: keep ? selectedId : firstToOpen(entries, get().pendingRemoval?.id) });
      } catch (error) {
        set({ historyStatus: 'failed', historyError: toAppError(error) });
      }
    },
    async loadMoreHistory() {
      const { history, historyMore, historyStatus } = get();
      const last = history.at(-1);
      if (!historyMore || historyStatus === 'loading' || !last) return;
      set({ historyStatus: 'loading' });
      try {
        const page = await backend.history(last.id);
        const known = new Set(get().history.map((e) => e.id));
        const older = page.entries.filter((e) => !known.has(e.id));
        set({ history: [...get().history, ...older].sort(newestFirst), historyMore: page.more, historyStatus: 'ready', historyError: null });
      } catch (error) {
        // The run paged from went away meanwhile: start again from the newest.
        if (toAppError(error).code === 'NOT_FOUND') await get().loadHistory();
        else set({ historyStatus: 'failed', historyError: toAppError(error) });
      }
    },
    applyHistoryDelta({ added, updated, removed }) {
      const gone = new Set(removed);
      const rewritten = new Map(updated.map((e) => [e.id, e]));
      const fresh = new Map(added.map((e) => [e.id, e]));
      // A rewritten run not loaded yet stays for its page; an added one is new, so it belongs on the first.
      const history = get()
        .history.filter((e) => !gone.has(e.id) && !fresh.has(e.id))
        .map((e) => rewritten.get(e.id) ?? e);
      const next = [...fresh.values(), ...history].sort(newestFirst);
      const { selectedId, pendingRemoval } = get();
      const keep = selectedId !== null && next.some((e) => e.id === selectedId);
      // Deleted elsewhere meanwhile: there is nothing left to undo.
      const pendingGone = pendingRemoval !== null && gone.has(pendingRemoval.id);
      if (pendingGone) clearTimeout(pendingRemoval.timer);
      const pending = pendingGone ? null : pendingRemoval;
      set({ history: next, selectedId: keep ? selectedId : firstToOpen(next, pending?.id), ...(pendingGone ? { pendingRemoval: null } : {}) });
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
      const next = get().history.find((e) => e.id !== id && measuredRunOf(e) !== id);
      set({ pendingRemoval: { id, prompt: entry.request.prompt, timer }, ...(get().selectedId === id ? { selectedId: next?.id ?? null } : {}) });
    },
    undoRemove() {
      const pending = get().pendingRemoval;
      if (!pending) return;
      clearTimeout(pending.timer);
      set({ pendingRemoval: null, selectedId: pending.id });
    },
  });
