// The bookkeeping measurement itself.

import { describe, expect, it } from 'vitest';
import { bookkeepingMsPerStep } from '../../../main/cli/bookkeeping.ts';
import { fluxSchedule } from '../../../main/core/schedule.ts';

describe('bookkeepingMsPerStep', () => {
  it('measures a positive per-step cost over the real schedule', () => {
    expect(bookkeepingMsPerStep({ threshold: 0.1, rescaleFactor: 1, skipEarlySteps: 0 }, fluxSchedule(30), 100)).toBeGreaterThan(0);
  });
});
