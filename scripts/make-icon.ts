// Renders the app icon (build/icon.png, 1024×1024 RGBA) that electron-builder turns into .icns and Linux icons.
// Deterministic and offline; writes only the one PNG it is asked for.
//
//   npx tsx scripts/make-icon.ts [--out build/icon.png] [--size 1024]
//
// The picture: a cup of tea on a teal rounded square, its steam rising as a grid of pixels that grows cleaner
// towards the cup (noise resolving into an image, as a diffusion sampler does).

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { encode } from 'fast-png';

type Rgb = readonly [number, number, number];

/** Straight-alpha RGBA in 0..1. */
interface Paint {
  r: number;
  g: number;
  b: number;
  a: number;
}

const clamp01 = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);
const mix = (a: number, b: number, t: number): number => a + (b - a) * t;
const hex = (h: string): Rgb => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16) / 255) as unknown as Rgb;
const smoothstep = (e0: number, e1: number, x: number): number => {
  const t = clamp01((x - e0) / (e1 - e0));
  return t * t * (3 - 2 * t);
};

/** Signed distance to a rounded box centred at the origin (negative inside). */
function roundedBox(x: number, y: number, halfW: number, halfH: number, radius: number): number {
  const qx = Math.abs(x) - halfW + radius;
  const qy = Math.abs(y) - halfH + radius;
  const outside = Math.hypot(Math.max(qx, 0), Math.max(qy, 0));
  return outside + Math.min(Math.max(qx, qy), 0) - radius;
}

/** Approximate signed distance to an axis-aligned ellipse (good enough for anti-aliased edges). */
function ellipse(x: number, y: number, rx: number, ry: number): number {
  const k = Math.hypot(x / rx, y / ry);
  return ((k - 1) * Math.min(rx, ry));
}

/** Deterministic per-cell noise in 0..1, so the icon is identical on every run. */
function hash2(i: number, j: number): number {
  let h = Math.imul(i * 374761393 + j * 668265263, 1274126177) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 1103515245) >>> 0;
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

function over(dst: Paint, color: Rgb, alpha: number): void {
  if (alpha <= 0) return;
  const a = alpha + dst.a * (1 - alpha);
  if (a <= 0) return;
  dst.r = (color[0] * alpha + dst.r * dst.a * (1 - alpha)) / a;
  dst.g = (color[1] * alpha + dst.g * dst.a * (1 - alpha)) / a;
  dst.b = (color[2] * alpha + dst.b * dst.a * (1 - alpha)) / a;
  dst.a = a;
}

const TEAL_TOP = hex('#2bb39a');
const TEAL_BOTTOM = hex('#0b4746');
const CREAM = hex('#fbf3e4');
const CREAM_SHADE = hex('#dccbb0');
const TEA = hex('#b86b22');
const TEA_LIGHT = hex('#e3a552');
const SAUCER = hex('#efe3cc');
const STEAM = hex('#ffffff');
const SHADOW = hex('#000000');

/** Coverage of one shape from its signed distance, with a one-sample-wide soft edge. */
const cover = (d: number, soft = 0.75): number => clamp01(0.5 - d / soft);

/** Colour of the icon at a point of the 1024-unit design grid. */
function shade(x: number, y: number): Paint {
  const p: Paint = { r: 0, g: 0, b: 0, a: 0 };
  // macOS icon grid: an 824-unit rounded square centred on the 1024 canvas, with a soft drop shadow.
  const tileD = roundedBox(x - 512, y - 512, 412, 412, 185);
  const shadowD = roundedBox(x - 512, y - 530, 404, 404, 185);
  over(p, SHADOW, 0.32 * (1 - smoothstep(-20, 28, shadowD)));
  const tile = cover(tileD);
  if (tile <= 0) return p;
  const t = clamp01((y - 100) / 824);
  const glow = Math.exp(-((x - 400) ** 2 + (y - 260) ** 2) / (2 * 300 ** 2)) * 0.18;
  const bg: Rgb = [
    clamp01(mix(TEAL_TOP[0], TEAL_BOTTOM[0], t) + glow),
    clamp01(mix(TEAL_TOP[1], TEAL_BOTTOM[1], t) + glow),
    clamp01(mix(TEAL_TOP[2], TEAL_BOTTOM[2], t) + glow),
  ];
  over(p, bg, tile);

  // Steam: a pixel grid; cells near the steam curves light up, cleaner and brighter towards the cup.
  const pitch = 36;
  const ci = Math.floor(x / pitch);
  const cj = Math.floor(y / pitch);
  const cx = (ci + 0.5) * pitch;
  const cy = (cj + 0.5) * pitch;
  if (cy > 170 && cy < 500 && cx > 300 && cx < 724) {
    const rise = clamp01((500 - cy) / 330); // 0 at the cup, 1 at the top
    let near = Infinity;
    for (const [x0, phase] of [[420, 0], [512, 2.1], [604, 4.2]] as const) {
      near = Math.min(near, Math.abs(cx - (x0 + 34 * Math.sin(cy / 58 + phase))));
    }
    const noise = hash2(ci, cj);
    const onCurve = near < 30 ? 1 : 0;
    // Higher up, curve cells drop out and stray cells appear: the steam dissolves into noise.
    const lit = onCurve ? noise > rise * 0.5 : noise > 1 - rise * 0.16 && near < 90;
    if (lit) {
      const cellD = roundedBox(x - cx, y - cy, 13, 13, 5);
      const alpha = (onCurve ? mix(0.95, 0.45, rise) : 0.35) * cover(cellD);
      over(p, STEAM, alpha * tile);
    }
  }

  // Saucer behind the cup, with its own faint shadow.
  over(p, SHADOW, 0.18 * (1 - smoothstep(-10, 24, ellipse(x - 512, y - 772, 270, 44))) * tile);
  over(p, SAUCER, cover(ellipse(x - 512, y - 756, 262, 40)) * tile);
  over(p, CREAM_SHADE, cover(ellipse(x - 512, y - 748, 170, 20)) * 0.6 * tile);

  // Handle: the right half of a ring.
  const ring = Math.abs(Math.hypot(x - 682, y - 612) - 54) - 20;
  if (x > 640) over(p, CREAM_SHADE, cover(ring) * tile);

  // Cup body: a tapered box with round bottom corners, lit from the left.
  const top = 520;
  const bottom = 748;
  const v = clamp01((y - top) / (bottom - top));
  const halfW = mix(176, 124, v * v);
  const bodyD = Math.max(roundedBox(x - 512, y - (top + bottom) / 2, halfW, (bottom - top) / 2, 60), top - y);
  const light = clamp01(0.5 + (512 - x) / (2 * halfW));
  const cup: Rgb = [mix(CREAM_SHADE[0], CREAM[0], light), mix(CREAM_SHADE[1], CREAM[1], light), mix(CREAM_SHADE[2], CREAM[2], light)];
  over(p, cup, cover(bodyD) * tile);

  // Rim and the tea inside it.
  over(p, CREAM, cover(ellipse(x - 512, y - top, 178, 32)) * tile);
  const teaD = ellipse(x - 512, y - top - 3, 160, 24);
  const teaT = clamp01((x - 352) / 320);
  const tea: Rgb = [mix(TEA_LIGHT[0], TEA[0], teaT), mix(TEA_LIGHT[1], TEA[1], teaT), mix(TEA_LIGHT[2], TEA[2], teaT)];
  over(p, tea, cover(teaD) * tile);
  return p;
}

/** Renders the icon at `size`×`size` with 4×4 supersampling per pixel. */
export function renderIcon(size: number): Uint8Array {
  if (!Number.isInteger(size) || size < 16 || size > 4096) {
    throw new Error(`--size must be an integer from 16 to 4096 (got ${size}).`);
  }
  const scale = 1024 / size;
  const samples = 4;
  const data = new Uint8Array(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          const c = shade((px + (sx + 0.5) / samples) * scale, (py + (sy + 0.5) / samples) * scale);
          // Premultiplied accumulation keeps edges against transparency free of dark fringes.
          r += c.r * c.a;
          g += c.g * c.a;
          b += c.b * c.a;
          a += c.a;
        }
      }
      const o = (py * size + px) * 4;
      const n = samples * samples;
      data[o] = a > 0 ? Math.round((255 * r) / a) : 0;
      data[o + 1] = a > 0 ? Math.round((255 * g) / a) : 0;
      data[o + 2] = a > 0 ? Math.round((255 * b) / a) : 0;
      data[o + 3] = Math.round((255 * a) / n);
    }
  }
  return encode({ width: size, height: size, data, channels: 4, depth: 8 });
}

function main(): void {
  const { values } = parseArgs({ options: { out: { type: 'string', default: 'build/icon.png' }, size: { type: 'string', default: '1024' } } });
  const out = resolve(values.out);
  const png = renderIcon(Number(values.size));
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, png);
  console.log(`wrote ${out} (${png.byteLength} bytes)`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
