// Number and time formatting for labels, tiles and tooltips. Pure.

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

export function formatSpeedup(ratio: number): string {
  if (!Number.isFinite(ratio) || ratio <= 0) return '—';
  return `${ratio.toFixed(ratio >= 10 ? 1 : 2)}×`;
}

export function formatDb(db: number): string {
  if (db === Infinity) return 'identical';
  if (!Number.isFinite(db)) return '—';
  return `${db.toFixed(1)} dB`;
}

/** A PSNR as the contract carries it: "identical" where the images match exactly. */
export function formatPsnr(psnr: number | 'identical'): string {
  return psnr === 'identical' ? 'identical' : formatDb(psnr);
}

/** Three significant digits: a threshold found by target-speedup mode or a calibration is a long float. */
export function formatThreshold(value: number): string {
  if (!Number.isFinite(value)) return '—';
  return String(Number(value.toPrecision(3)));
}

/**
 * The accumulated distance against the threshold with just enough decimals to show which side it falls: the
 * policies reuse while strictly below and compute on reaching it, so 0.0999 and 0.1000 must not both read 0.100.
 */
export function formatAgainst(accumulated: number, threshold: number): string {
  let digits = 3;
  while (digits < 9 && accumulated !== threshold && accumulated.toFixed(digits) === threshold.toFixed(digits)) digits++;
  return `${accumulated.toFixed(digits)} ${accumulated < threshold ? '<' : '≥'} ${threshold.toFixed(digits)}`;
}

/** Trims trailing zeros so 0.10 reads 0.1 but keeps two decimals where they matter. */
export function formatValue(value: number, step: number): string {
  const decimals = step >= 1 ? 0 : Math.min(4, Math.ceil(-Math.log10(step)));
  return String(Number(value.toFixed(decimals)));
}

export function formatTime(iso: string, now: Date = new Date()): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const sameDay = date.toDateString() === now.toDateString();
  const time = date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  return sameDay ? time : `${date.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })}, ${time}`;
}
