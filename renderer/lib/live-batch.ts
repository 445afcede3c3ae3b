// Gathers a run's live step events and its latest preview and hands them on together, at most once per interval.
// Renderer only.
//
// Why: each hand-off re-renders the stage's three charts over every step of the run. A fast run (the built-in model
// steps 13 times a second on two CPU cores, faster on Metal) sent one per step, each render took longer than the
// gap to the next, and the page fell seconds behind: a 64 px, 100-step run left it unresponsive for 2.5–3.8 s at a
// time, so Cancel landed after the run had finished. Gathered, a render covers every event that arrived meanwhile,
// and renders come no closer together than a few times what the last one cost.

import type { RunImage, StepEvent } from './types.ts';

/** The shortest a live event waits before it reaches the screen, in ms. */
export const LIVE_UPDATE_MS = 100;

/**
 * The wait is at least this many times what the last hand-off cost the page (the store update and the render it
 * starts), so live updates keep at most a quarter of a slow machine's main thread and input is never queued behind
 * them for long.
 */
export const RENDER_COST_FACTOR = 3;

export interface LiveBatch {
  steps(events: readonly StepEvent[]): void;
  preview(image: RunImage): void;
  /** Hands on what is pending now (before the run's outcome is shown, so its counts include every step). */
  flush(): void;
  /** Drops what is pending and stops the timer: the run is over. */
  close(): void;
}

interface Timer {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
  now(): number;
  /** Runs `fn` once the work `apply` started is done: React renders a store update in a microtask queued before it. */
  afterRender(fn: () => void): void;
}

const SYSTEM_TIMER: Timer = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  now: () => performance.now(),
  afterRender: (fn) => queueMicrotask(fn),
};

/**
 * `apply(events, preview)` with every step event and the latest preview that arrived since the last call, at most
 * every `intervalMs` (longer where the last call cost the page more: RENDER_COST_FACTOR): the first of a quiet spell
 * waits out the interval, so a burst becomes one call.
 */
export function liveBatch(apply: (events: readonly StepEvent[], preview: RunImage | null) => void, intervalMs = LIVE_UPDATE_MS, timer: Timer = SYSTEM_TIMER): LiveBatch {
  let events: StepEvent[] = [];
  let preview: RunImage | null = null;
  let pending: unknown;
  let lastCost = 0;
  const stop = () => {
    if (pending !== undefined) timer.clear(pending);
    pending = undefined;
  };
  const flush = () => {
    stop();
    if (events.length === 0 && preview === null) return;
    const batch = { events, preview };
    events = [];
    preview = null;
    const started = timer.now();
    apply(batch.events, batch.preview);
    timer.afterRender(() => {
      lastCost = timer.now() - started;
    });
  };
  const schedule = () => {
    pending ??= timer.set(flush, Math.max(intervalMs, RENDER_COST_FACTOR * lastCost));
  };
  return {
    steps(more) {
      events.push(...more);
      schedule();
    },
    preview(image) {
      preview = image;
      schedule();
    },
    flush,
    close() {
      stop();
      events = [];
      preview = null;
    },
  };
}
