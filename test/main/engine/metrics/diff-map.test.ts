// The difference heat map: black where equal, white at the largest (or the
// given) difference, red and yellow between. Pure.

import { describe, expect, it } from 'vitest';
import { differenceMap, heatColour } from '../../../../main/engine/metrics/diff-map.ts';

const pixel = (rgb: Uint8Array, i: number) => [...rgb.subarray(i * 3, i * 3 + 3)];

describe('differenceMap', () => {
  it('is black everywhere for identical images', () => {
    const image = Uint8Array.from({ length: 4 * 3 * 3 }, (_, i) => i * 7);
    const map = differenceMap(image, image, 4, 3);
    expect(map.maxDifference).toBe(0);
    expect(map.rgb.every((v) => v === 0)).toBe(true);
  });

  it('draws the largest difference white and scales the others by it', () => {
    const a = new Uint8Array(3 * 3);
    const b = new Uint8Array(3 * 3);
    b[1] = 90; // pixel 0: green differs by 90
    b[3 * 2 + 2] = 30; // pixel 2: blue differs by 30
    const map = differenceMap(a, b, 3, 1);
    expect(map.maxDifference).toBe(90);
    expect(pixel(map.rgb, 0)).toEqual([255, 255, 255]);
    expect(pixel(map.rgb, 1)).toEqual([0, 0, 0]);
    expect(pixel(map.rgb, 2)).toEqual([255, 0, 0]); // a third of the way: full red
  });

  it('uses a fixed scale when given one, so maps compare fairly', () => {
    const a = new Uint8Array(3);
    const b = Uint8Array.of(51, 0, 0);
    expect(pixel(differenceMap(a, b, 1, 1, { scale: 255 }).rgb, 0)).toEqual(heatColour(51 / 255));
  });

  it('ramps black → red → yellow → white', () => {
    expect(heatColour(0)).toEqual([0, 0, 0]);
    expect(heatColour(1 / 3)).toEqual([255, 0, 0]);
    expect(heatColour(2 / 3)).toEqual([255, 255, 0]);
    expect(heatColour(1)).toEqual([255, 255, 255]);
    expect(heatColour(2)).toEqual([255, 255, 255]);
  });

  it('rejects mismatched sizes', () => {
    expect(() => differenceMap(new Uint8Array(3), new Uint8Array(6), 1, 1)).toThrow(/differ in size/);
  });
});
