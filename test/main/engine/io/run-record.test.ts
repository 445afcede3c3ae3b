// The PNG's human-readable "parameters": enough to repeat a run's cache decisions, and what it cost. Pure.

import { describe, expect, it } from 'vitest';
import type { GenerationResult } from '../../../../main/engine/generate.ts';
import { parametersText } from '../../../../main/engine/io/run-record.ts';
import type { ResolvedRequest } from '../../../../main/core/request.ts';
import { resolveRequest } from '../../../../main/core/resolve-request.ts';
import { MODEL } from '../../../renderer/fixtures.ts';

// The defaults as the engine resolves them (seed rule, CFG's skip-early 3, no options in use).
const { cache } = resolveRequest(MODEL, { prompt: 'red heart', seed: 1 });

function result(patch: Partial<ResolvedRequest['cache']>, stats = { forwards: 7, forwardEquivalents: 7 }): GenerationResult {
  const request = { prompt: 'red heart', negativePrompt: '', seed: 1, steps: 30, width: 64, height: 64, guidanceScale: 4, guidanceMode: 'cfg', shift: false, cache: { ...cache, ...patch } } as ResolvedRequest;
  return { request, model: { id: 'builtin-emoji' }, backend: { package: 'mlx', version: '1' }, stats } as unknown as GenerationResult;
}

const teaCacheLine = (patch: Partial<ResolvedRequest['cache']>) => /TeaCache: ([^,]*),/.exec(parametersText(result(patch)))![1];

describe('parametersText', () => {
  it("names the rule's settings and leaves out options that change nothing", () => {
    expect(teaCacheLine({})).toBe('seed threshold 0.1 rescale 1 skip-early 3 last step by rule');
  });

  it('names every option that changes the decisions', () => {
    expect(teaCacheLine({ policy: 'teacache', accumulate: 'since-compute', reuse: 'residual', startFraction: 0.1, endFraction: 0.9, maxConsecutiveReuses: 4, alwaysComputeLast: true })).toBe(
      'teacache threshold 0.1 rescale 1 skip-early 3 since last compute reuse residual window 0.1-0.9 max reuses 4 last step computed',
    );
  });

  it('says what a First-Block Cache run cost in forwards beside what it computed, and nothing more for the others', () => {
    expect(parametersText(result({}))).toContain('Forwards: 7/30, Backend');
    expect(parametersText(result({ policy: 'first-block' }, { forwards: 7, forwardEquivalents: 7 + 23 / 6 }))).toContain('Forwards: 7/30, Forward-equivalents: 10.83, Backend');
  });

  it('says the cache was off', () => {
    expect(teaCacheLine({ enabled: false })).toBe('off');
  });
});
