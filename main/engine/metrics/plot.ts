// Draws a scatter plot with per-series lines (e.g. each policy's Pareto front)
// into RGB bytes, with a built-in 3×5 pixel font, so benchmarks can write a
// PNG with encodePng and no browser. Pure; no fonts or canvas libraries.

export type Rgb = readonly [number, number, number];

export interface PlotPoint {
  readonly x: number;
  readonly y: number;
}

export interface PlotSeries {
  readonly name: string;
  readonly colour: Rgb;
  /** Every measured point, drawn as small squares. */
  readonly points: readonly PlotPoint[];
  /** Drawn as a line through the points in order (e.g. the Pareto front), with larger markers. */
  readonly line?: readonly PlotPoint[];
}

export interface PlotOptions {
  readonly width?: number;
  readonly height?: number;
  readonly title?: string;
  readonly xLabel?: string;
  readonly yLabel?: string;
  /** Horizontal reference lines, e.g. a quality bar. */
  readonly guides?: readonly { readonly y: number; readonly label: string }[];
}

export interface Bitmap {
  readonly width: number;
  readonly height: number;
  /** Row-major RGB, 3 bytes a pixel. */
  readonly rgb: Uint8Array;
}

// Each glyph: 5 rows of 3 columns, '#' lit.
const GLYPHS: Record<string, string> = {
  '0': '###|#.#|#.#|#.#|###', '1': '.#.|##.|.#.|.#.|###', '2': '###|..#|###|#..|###', '3': '###|..#|.##|..#|###',
  '4': '#.#|#.#|###|..#|..#', '5': '###|#..|###|..#|###', '6': '###|#..|###|#.#|###', '7': '###|..#|.#.|.#.|.#.',
  '8': '###|#.#|###|#.#|###', '9': '###|#.#|###|..#|###', A: '.#.|#.#|###|#.#|#.#', B: '##.|#.#|##.|#.#|##.',
  C: '.##|#..|#..|#..|.##', D: '##.|#.#|#.#|#.#|##.', E: '###|#..|##.|#..|###', F: '###|#..|##.|#..|#..',
  G: '.##|#..|#.#|#.#|.##', H: '#.#|#.#|###|#.#|#.#', I: '###|.#.|.#.|.#.|###', J: '..#|..#|..#|#.#|.#.',
  K: '#.#|#.#|##.|#.#|#.#', L: '#..|#..|#..|#..|###', M: '#.#|###|###|#.#|#.#', N: '##.|#.#|#.#|#.#|#.#',
  O: '.#.|#.#|#.#|#.#|.#.', P: '##.|#.#|##.|#..|#..', Q: '.#.|#.#|#.#|##.|.##', R: '##.|#.#|##.|#.#|#.#',
  S: '.##|#..|.#.|..#|##.', T: '###|.#.|.#.|.#.|.#.', U: '#.#|#.#|#.#|#.#|###', V: '#.#|#.#|#.#|#.#|.#.',
  W: '#.#|#.#|###|###|#.#', X: '#.#|#.#|.#.|#.#|#.#', Y: '#.#|#.#|.#.|.#.|.#.', Z: '###|..#|.#.|#..|###',
  '.': '...|...|...|...|.#.', '-': '...|...|###|...|...', '(': '.#.|#..|#..|#..|.#.', ')': '.#.|..#|..#|..#|.#.',
  ':': '...|.#.|...|.#.|...', '/': '..#|..#|.#.|#..|#..', '=': '...|###|...|###|...', '>': '#..|.#.|..#|.#.|#..',
  '%': '#.#|..#|.#.|#..|#.#', '+': '...|.#.|###|.#.|...', ',': '...|...|...|.#.|#..', ' ': '...|...|...|...|...',
};

const SCALE = 2;
const GLYPH_W = 4 * SCALE;
const GLYPH_H = 5 * SCALE;
const BLACK: Rgb = [0, 0, 0];
const GREY: Rgb = [200, 200, 200];

class Canvas {
  readonly rgb: Uint8Array;
  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.rgb = new Uint8Array(width * height * 3).fill(255);
  }

  set(x: number, y: number, colour: Rgb): void {
    const px = Math.round(x);
    const py = Math.round(y);
    if (px < 0 || py < 0 || px >= this.width || py >= this.height) return;
    this.rgb.set(colour, (py * this.width + px) * 3);
  }

  rect(x: number, y: number, w: number, h: number, colour: Rgb): void {
    for (let dy = 0; dy < h; dy++) for (let dx = 0; dx < w; dx++) this.set(x + dx, y + dy, colour);
  }

  line(x0: number, y0: number, x1: number, y1: number, colour: Rgb, thickness = 1): void {
    const steps = Math.max(1, Math.ceil(Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0))));
    const half = Math.floor(thickness / 2);
    for (let i = 0; i <= steps; i++) {
      const x = x0 + ((x1 - x0) * i) / steps;
      const y = y0 + ((y1 - y0) * i) / steps;
      this.rect(Math.round(x) - half, Math.round(y) - half, thickness, thickness, colour);
    }
  }

  text(x: number, y: number, text: string, colour: Rgb = BLACK): void {
    let cx = x;
    for (const char of text.toUpperCase()) {
      const glyph = GLYPHS[char] ?? GLYPHS['?'] ?? GLYPHS[' ']!;
      glyph.split('|').forEach((row, gy) => {
        for (let gx = 0; gx < 3; gx++) if (row[gx] === '#') this.rect(cx + gx * SCALE, y + gy * SCALE, SCALE, SCALE, colour);
      });
      cx += GLYPH_W;
    }
  }

  /** Text rotated a quarter turn anticlockwise, reading upwards (for the y axis label). */
  verticalText(x: number, y: number, text: string, colour: Rgb = BLACK): void {
    let cy = y;
    for (const char of text.toUpperCase()) {
      const glyph = GLYPHS[char] ?? GLYPHS[' ']!;
      glyph.split('|').forEach((row, gy) => {
        for (let gx = 0; gx < 3; gx++) if (row[gx] === '#') this.rect(x + gy * SCALE, cy - gx * SCALE, SCALE, SCALE, colour);
      });
      cy -= GLYPH_W;
    }
  }
}

export function textWidth(text: string): number {
  return text.length * GLYPH_W;
}

/** Ticks at 1, 2 or 5 × 10^k covering [min, max]. */
export function niceTicks(min: number, max: number, count = 6): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let t = Math.ceil(min / step) * step; t <= max + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

function range(values: number[], pad: number): [number, number] {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return [0, 1];
  let lo = Math.min(...finite);
  let hi = Math.max(...finite);
  if (hi === lo) [lo, hi] = [lo - 1, hi + 1];
  const margin = (hi - lo) * pad;
  return [lo - margin, hi + margin];
}

export function scatterPlot(series: readonly PlotSeries[], options: PlotOptions = {}): Bitmap {
  const width = options.width ?? 760;
  const height = options.height ?? 480;
  const canvas = new Canvas(width, height);
  const legendWidth = Math.max(0, ...series.map((s) => textWidth(s.name))) + 40;
  const left = 70;
  const right = width - legendWidth - 10;
  const top = 40;
  const bottom = height - 50;
  if (right - left < 50 || bottom - top < 50) throw new RangeError(`A ${width}×${height} plot leaves no room to draw: make it larger.`);

  const all = series.flatMap((s) => [...s.points, ...(s.line ?? [])]);
  const [xMin, xMax] = range(all.map((p) => p.x), 0.05);
  const [yMin, yMax] = range([...all.map((p) => p.y), ...(options.guides ?? []).map((g) => g.y)], 0.05);
  const px = (x: number) => left + ((x - xMin) / (xMax - xMin)) * (right - left);
  const py = (y: number) => bottom - ((y - yMin) / (yMax - yMin)) * (bottom - top);

  for (const t of niceTicks(xMin, xMax)) {
    canvas.line(px(t), top, px(t), bottom, GREY);
    const label = String(t);
    canvas.text(px(t) - textWidth(label) / 2, bottom + 8, label);
  }
  for (const t of niceTicks(yMin, yMax)) {
    canvas.line(left, py(t), right, py(t), GREY);
    const label = String(t);
    canvas.text(left - 6 - textWidth(label), py(t) - GLYPH_H / 2, label);
  }
  for (const guide of options.guides ?? []) {
    for (let x = left; x < right; x += 8) canvas.line(x, py(guide.y), Math.min(right, x + 4), py(guide.y), [120, 120, 120], 2);
    canvas.text(right - textWidth(guide.label) - 4, py(guide.y) - GLYPH_H - 4, guide.label, [90, 90, 90]);
  }
  canvas.line(left, bottom, right, bottom, BLACK);
  canvas.line(left, top, left, bottom, BLACK);

  for (const s of series) {
    const line = s.line ?? [];
    for (let i = 1; i < line.length; i++) canvas.line(px(line[i - 1]!.x), py(line[i - 1]!.y), px(line[i]!.x), py(line[i]!.y), s.colour, 2);
    for (const p of s.points) if (Number.isFinite(p.y)) canvas.rect(px(p.x) - 2, py(p.y) - 2, 5, 5, s.colour);
    for (const p of line) if (Number.isFinite(p.y)) canvas.rect(px(p.x) - 4, py(p.y) - 4, 9, 9, s.colour);
  }

  if (options.title) canvas.text(left, 14, options.title);
  if (options.xLabel) canvas.text((left + right) / 2 - textWidth(options.xLabel) / 2, bottom + 28, options.xLabel);
  if (options.yLabel) canvas.verticalText(10, (top + bottom) / 2 + textWidth(options.yLabel) / 2, options.yLabel);
  series.forEach((s, i) => {
    const y = top + i * 22;
    canvas.rect(right + 16, y, 12, 12, s.colour);
    canvas.text(right + 34, y + 1, s.name);
  });
  return { width, height, rgb: canvas.rgb };
}

/** The points no other point beats on both axes (higher x and higher y both better), sorted by x. */
export function paretoFront<P extends PlotPoint>(points: readonly P[]): P[] {
  const finite = points.filter((p) => Number.isFinite(p.x) && !Number.isNaN(p.y));
  const sorted = [...finite].sort((a, b) => b.x - a.x || b.y - a.y);
  const front: P[] = [];
  let best = -Infinity;
  for (const p of sorted) {
    if (p.y > best) {
      front.push(p);
      best = p.y;
    }
  }
  return front.reverse();
}
