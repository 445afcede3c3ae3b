// The benchmark plot: points land where their values say, fronts keep only
// unbeaten points, and the bytes encode as a PNG. Pure.

import { describe, expect, it } from 'vitest';
import { decodePng, encodePng } from '../../../../main/engine/io/png.ts';
import { niceTicks, paretoFront, scatterPlot } from '../../../../main/engine/metrics/plot.ts';

const RED = [220, 30, 30] as const;
const BLUE = [30, 30, 220] as const;
const count = (rgb: Uint8Array, colour: readonly number[]) => {
  let n = 0;
  for (let i = 0; i < rgb.length; i += 3) if (rgb[i] === colour[0] && rgb[i + 1] === colour[1] && rgb[i + 2] === colour[2]) n++;
  return n;
};

describe('paretoFront', () => {
  it('keeps the points no other beats on both speed and quality, in speed order', () => {
    const points = [
      { x: 1, y: 50 },
      { x: 1.5, y: 40 },
      { x: 1.5, y: 35 },
      { x: 2, y: 42 },
      { x: 3, y: 20 },
      { x: 2.5, y: 10 },
    ];
    expect(paretoFront(points)).toEqual([
      { x: 1, y: 50 },
      { x: 2, y: 42 },
      { x: 3, y: 20 },
    ]);
  });
});

describe('niceTicks', () => {
  it('steps by 1, 2 or 5 times a power of ten', () => {
    expect(niceTicks(0, 10, 5)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(niceTicks(0.95, 3.1, 6)).toEqual([1, 1.5, 2, 2.5, 3]);
  });
});

describe('scatterPlot', () => {
  it('draws each series in its colour, larger on its front, left-to-right by x', () => {
    const plot = scatterPlot(
      [
        { name: 'seed', colour: RED, points: [{ x: 1, y: 10 }], line: [] },
        { name: 'teacache', colour: BLUE, points: [{ x: 3, y: 30 }], line: [{ x: 3, y: 30 }] },
      ],
      { width: 400, height: 300, title: 'speedup vs psnr', xLabel: 'speedup', yLabel: 'psnr (db)', guides: [{ y: 20, label: '20 db' }] },
    );
    expect(plot.rgb.length).toBe(400 * 300 * 3);
    // Legend swatch 12×12 + a 5×5 marker for red; swatch + 9×9 front marker for blue.
    expect(count(plot.rgb, RED)).toBe(144 + 25);
    expect(count(plot.rgb, BLUE)).toBe(144 + 81);
    const columnsOf = (colour: readonly number[]) => {
      const xs: number[] = [];
      for (let i = 0; i < plot.rgb.length; i += 3) if (plot.rgb[i] === colour[0] && plot.rgb[i + 2] === colour[2]) xs.push((i / 3) % 400);
      return xs;
    };
    // The marker of the lower-x series sits left of the other's (legend swatches share a column).
    expect(Math.min(...columnsOf(RED))).toBeLessThan(Math.min(...columnsOf(BLUE)));
    const png = decodePng(encodePng(plot.rgb, plot.width, plot.height));
    expect([png.width, png.height]).toEqual([400, 300]);
  });

  it('says when the canvas is too small', () => {
    expect(() => scatterPlot([{ name: 'a', colour: RED, points: [] }], { width: 100, height: 80 })).toThrow(/no room/);
  });
});
