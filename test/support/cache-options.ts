// What every cache policy's options default to, written out once for the tests that expect them (a request's
// resolved settings, the app's draft). Test-only.

/** Reuse the last output, accumulate step by step, the whole run as the window, no cap, the last step not forced. */
export const DEFAULT_CACHE_OPTIONS = {
  reuse: 'output',
  accumulate: 'consecutive',
  startFraction: 0,
  endFraction: 1,
  maxConsecutiveReuses: null,
  alwaysComputeLast: false,
} as const;
