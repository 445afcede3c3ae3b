// The app icon renderer: a square RGBA PNG, transparent outside the rounded tile, opaque inside it, the same bytes
// on every run; the committed build/icon.png has the same shape at 1024 pixels.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { renderIcon } from '../../scripts/make-icon.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function alphaAt(png: ReturnType<typeof decode>, x: number, y: number): number {
  return png.data[(y * png.width + x) * png.channels + 3]!;
}

describe('renderIcon', () => {
  it('draws the tile on a transparent canvas with the macOS margin', () => {
    const png = decode(renderIcon(64));
    expect([png.width, png.height, png.channels, png.depth]).toEqual([64, 64, 4, 8]);
    for (const [x, y] of [[0, 0], [63, 0], [0, 63], [63, 63], [3, 32]]) expect(alphaAt(png, x!, y!), `${x},${y}`).toBe(0);
    for (const [x, y] of [[32, 32], [12, 12], [51, 20]]) expect(alphaAt(png, x!, y!), `${x},${y}`).toBe(255);
  });

  it('is deterministic', () => {
    expect(Buffer.from(renderIcon(48)).equals(Buffer.from(renderIcon(48)))).toBe(true);
  });

  it('rejects sizes it cannot draw', () => {
    expect(() => renderIcon(8)).toThrow(/--size must be an integer from 16 to 4096 \(got 8\)/);
    expect(() => renderIcon(100.5)).toThrow(/got 100\.5/);
  });

  it('committed build/icon.png is its 1024-pixel output in shape: RGBA, transparent margin, opaque tile', () => {
    const png = decode(readFileSync(`${ROOT}build/icon.png`));
    expect([png.width, png.height, png.channels, png.depth]).toEqual([1024, 1024, 4, 8]);
    expect([alphaAt(png, 0, 0), alphaAt(png, 1023, 1023), alphaAt(png, 50, 512)]).toEqual([0, 0, 0]);
    expect([alphaAt(png, 512, 512), alphaAt(png, 200, 200)]).toEqual([255, 255]);
  });
});
