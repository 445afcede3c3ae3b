// When the worker sends the next live preview. A preview is a full decode of
// the current estimate: next to nothing for the built-in model, but about a
// step's cost for a megapixel VAE, where a preview after every step would
// nearly double the run. Pure.

/** Previews take at most this share of a run's wall time (a megapixel VAE decode costs about a step). */
export const PREVIEW_TIME_SHARE = 0.15;

export class PreviewPacer {
  private nextAt = -Infinity;

  /** `minIntervalMs` apart at least; 0 sends one after every step, however long previews take (tests, debugging). */
  constructor(private readonly minIntervalMs: number) {}

  due(now: number): boolean {
    return now >= this.nextAt;
  }

  /** Records a preview made from `started` to `ended` (ms): the next waits out the interval, and long enough that previews keep to their share. */
  made(started: number, ended: number): void {
    if (this.minIntervalMs === 0) return;
    const cost = ended - started;
    this.nextAt = Math.max(started + this.minIntervalMs, ended + cost * (1 / PREVIEW_TIME_SHARE - 1));
  }
}
