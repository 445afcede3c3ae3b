// When live previews go out: the interval for cheap ones, and no more than
// their share of the run for costly ones.

import { describe, expect, it } from 'vitest';
import { PREVIEW_TIME_SHARE, PreviewPacer } from '../../../main/host/preview-pacing.ts';

describe('PreviewPacer', () => {
  it('spaces cheap previews by the interval, as before', () => {
    const pacer = new PreviewPacer(150);
    expect(pacer.due(0)).toBe(true);
    pacer.made(0, 2);
    expect(pacer.due(100)).toBe(false);
    expect(pacer.due(150)).toBe(true);
  });

  it('keeps costly previews (a megapixel decode) to their share of the wall time', () => {
    const pacer = new PreviewPacer(150);
    // A 1.2 s decode may be followed by the next only after 1.2·(1/share − 1) s more.
    pacer.made(1000, 2200);
    const wait = 1200 * (1 / PREVIEW_TIME_SHARE - 1);
    expect(pacer.due(2200 + wait - 1)).toBe(false);
    expect(pacer.due(2200 + wait)).toBe(true);
    // Over a long run made of such cycles, previews take exactly their share.
    expect(1200 / (1200 + wait)).toBeCloseTo(PREVIEW_TIME_SHARE, 12);
  });

  it('sends one after every step with interval 0, whatever they cost', () => {
    const pacer = new PreviewPacer(0);
    pacer.made(0, 5000);
    expect(pacer.due(5000)).toBe(true);
  });
});
