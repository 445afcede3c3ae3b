// A heat map of where two RGB images differ: black where equal, through red
// and yellow to white at the largest difference. Returns RGB bytes ready for
// encodePng. Pure.

export interface DiffMap {
  /** Row-major RGB, 3 bytes a pixel. */
  readonly rgb: Uint8Array;
  /** Largest per-pixel difference found (0–255, the maximum over channels). */
  readonly maxDifference: number;
  /** The difference drawn as white. */
  readonly scale: number;
}

export interface DiffMapOptions {
  /**
   * The difference shown as white. Default: the largest difference in the
   * pair, so faint changes stay visible; pass 255 to compare maps fairly.
   */
  readonly scale?: number;
}

/** Black → red → yellow → white for v in [0, 1]. */
export function heatColour(v: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, v)) * 3;
  const channel = (from: number) => Math.round(255 * Math.min(1, Math.max(0, x - from)));
  return [channel(0), channel(1), channel(2)];
}

export function differenceMap(a: Uint8Array, b: Uint8Array, width: number, height: number, options: DiffMapOptions = {}): DiffMap {
  if (a.length !== b.length) throw new RangeError(`Images differ in size (${a.length} vs ${b.length} bytes).`);
  if (a.length !== width * height * 3) throw new RangeError(`RGB data has ${a.length} bytes; ${width}×${height} needs ${width * height * 3}.`);
  const pixels = width * height;
  const difference = new Uint8Array(pixels);
  let maxDifference = 0;
  for (let i = 0; i < pixels; i++) {
    let d = 0;
    for (let c = 0; c < 3; c++) d = Math.max(d, Math.abs(a[i * 3 + c]! - b[i * 3 + c]!));
    difference[i] = d;
    if (d > maxDifference) maxDifference = d;
  }
  const scale = options.scale ?? Math.max(1, maxDifference);
  if (!(scale > 0)) throw new RangeError(`The heat map's scale must be positive, got ${scale}.`);
  const rgb = new Uint8Array(pixels * 3);
  for (let i = 0; i < pixels; i++) rgb.set(heatColour(difference[i]! / scale), i * 3);
  return { rgb, maxDifference, scale };
}
