// Command-line flags into an engine request: every cache option a policy takes,
// and clear usage errors. Pure: no model is loaded.

import { describe, expect, it } from 'vitest';
import { requestFromOptions, UsageError } from '../../../main/cli/options.ts';

describe('requestFromOptions', () => {
  it("reaches every cache option: the benchmark's best teacache setting can be run from the command line", () => {
    const request = requestFromOptions({
      prompt: 'red heart',
      policy: 'teacache',
      threshold: '0.74',
      accumulate: 'since-compute',
      'skip-early': '2',
      'last-step': 'rule',
      'max-reuses': '6',
      window: '0.1,0.9',
    });
    expect(request.cache).toEqual({
      enabled: true,
      policy: 'teacache',
      threshold: 0.74,
      accumulate: 'since-compute',
      skipEarlySteps: 2,
      alwaysComputeLast: false,
      maxConsecutiveReuses: 6,
      startFraction: 0.1,
      endFraction: 0.9,
    });
  });

  it("leaves the last step to the policy's default unless asked", () => {
    expect(requestFromOptions({ prompt: 'x', policy: 'teacache' }).cache).not.toHaveProperty('alwaysComputeLast');
    expect(requestFromOptions({ prompt: 'x', 'last-step': 'always' }).cache).toMatchObject({ alwaysComputeLast: true });
  });

  it.each([
    [{ 'last-step': 'sometimes' }, /--last-step expects always or rule, got "sometimes"/],
    [{ window: '0.5' }, /--window expects START,END/],
    [{ window: '0.1,' }, /--window expects START,END/],
    [{ accumulate: 'sum' }, /--accumulate: .*"consecutive"\|"since-compute"/],
    [{ 'max-reuses': '-1' }, /--max-reuses: /],
    [{ 'no-cache': true, accumulate: 'since-compute' }, /--no-cache cannot be combined with .*--accumulate/],
  ] as const)('refuses %j with a message naming the flag', (flags, message) => {
    expect(() => requestFromOptions({ prompt: 'x', ...flags })).toThrow(UsageError);
    expect(() => requestFromOptions({ prompt: 'x', ...flags })).toThrow(message);
  });
});
