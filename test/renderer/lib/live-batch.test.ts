// A run's live events reach the store in one hand-off per interval, none lost or repeated, with the latest preview,
// less often where a hand-off costs the page much; flush hands on what is pending at once, close drops it.

import { describe, expect, it } from 'vitest';
import { LIVE_UPDATE_MS, liveBatch, RENDER_COST_FACTOR } from '../../../renderer/lib/live-batch.ts';
import type { RunImage, StepEvent } from '../../../renderer/lib/types.ts';
import { stepEvent } from '../fixtures.ts';

/** A timer that fires only when told, recording the delays it was asked for. */
function manualTimer() {
  const pending = new Map<number, () => void>();
  const delays: number[] = [];
  let next = 0;
  const clock = { ms: 0 };
  return {
    delays,
    pending,
    clock,
    now: () => clock.ms,
    afterRender: (fn: () => void) => fn(),
    set(fn: () => void, ms: number) {
      delays.push(ms);
      pending.set(++next, fn);
      return next;
    },
    clear(handle: unknown) {
      pending.delete(handle as number);
    },
    fire() {
      const fns = [...pending.values()];
      pending.clear();
      for (const fn of fns) fn();
    },
  };
}

const image = (src: string): RunImage => ({ width: 32, height: 32, src });

function recorder() {
  const calls: { events: number[]; preview: string | null }[] = [];
  return { calls, apply: (events: readonly StepEvent[], preview: RunImage | null) => calls.push({ events: events.map((e) => e.index), preview: preview?.src ?? null }) };
}

describe('liveBatch', () => {
  it('hands on a burst of steps and previews as one call, with the latest preview, after the interval', () => {
    const timer = manualTimer();
    const { calls, apply } = recorder();
    const batch = liveBatch(apply, LIVE_UPDATE_MS, timer);
    batch.steps([stepEvent(0, true), stepEvent(1, false)]);
    batch.preview(image('a'));
    batch.steps([stepEvent(2, true)]);
    batch.preview(image('b'));
    expect(calls).toEqual([]);
    expect(timer.delays).toEqual([LIVE_UPDATE_MS]);
    timer.fire();
    expect(calls).toEqual([{ events: [0, 1, 2], preview: 'b' }]);
    batch.steps([stepEvent(3, false)]);
    timer.fire();
    expect(calls[1]).toEqual({ events: [3], preview: null });
    expect(timer.delays).toHaveLength(2);
  });

  it('waits longer after a hand-off that cost the page more than a third of the interval', () => {
    const timer = manualTimer();
    const batch = liveBatch(() => {
      timer.clock.ms += 70;
    }, LIVE_UPDATE_MS, timer);
    batch.steps([stepEvent(0, true)]);
    timer.fire();
    batch.steps([stepEvent(1, true)]);
    expect(timer.delays).toEqual([LIVE_UPDATE_MS, RENDER_COST_FACTOR * 70]);
  });

  it('flush hands on what is pending now and cancels the timer; with nothing pending it does nothing', () => {
    const timer = manualTimer();
    const { calls, apply } = recorder();
    const batch = liveBatch(apply, LIVE_UPDATE_MS, timer);
    batch.flush();
    expect(calls).toEqual([]);
    batch.steps([stepEvent(4, true)]);
    batch.flush();
    expect(calls).toEqual([{ events: [4], preview: null }]);
    expect(timer.pending.size).toBe(0);
  });

  it('close drops what is pending: nothing arrives after the run is over', () => {
    const timer = manualTimer();
    const { calls, apply } = recorder();
    const batch = liveBatch(apply, LIVE_UPDATE_MS, timer);
    batch.steps([stepEvent(5, true)]);
    batch.close();
    timer.fire();
    batch.flush();
    expect(calls).toEqual([]);
  });
});
