// The record written next to every image (FILE.json, history entries) and the
// human-readable "parameters" text embedded in the PNG. Pure.

import type { RunRecordFields } from '../../core/contract.ts';
import type { GenerationResult } from '../generate.ts';
import { encodePng } from './png.ts';

export const RUN_RECORD_VERSION = 1;

/** The run's record in the contract's one shape (RunRecordSchema): FILE.json, the worker's result and history entries. */
export function recordFields(result: GenerationResult): RunRecordFields {
  return {
    request: result.request,
    model: { id: result.model.id, name: result.model.name, trained: result.model.trained },
    backend: result.backend,
    width: result.width,
    height: result.height,
    timesteps: [...result.timesteps],
    stats: result.stats,
    wallMs: result.wallMs,
    unknownWords: [...result.unknownWords],
    events: [...result.events],
  };
}

/** FILE.json: the record with its format version. */
export function runRecord(result: GenerationResult): { readonly version: number } & RunRecordFields {
  return { version: RUN_RECORD_VERSION, ...recordFields(result) };
}

export type RunRecord = ReturnType<typeof runRecord>;

/** The run's image as a PNG carrying its "parameters" text and its record (steps left out: FILE.json has them). */
export function recordPng(result: GenerationResult, record: RunRecord = runRecord(result)): Uint8Array {
  return encodePng(result.rgb, result.width, result.height, {
    parameters: parametersText(result),
    'teacache-studio': JSON.stringify({ ...record, events: undefined }),
  });
}

/** One line per field, in the layout other generators use for "parameters". */
export function parametersText(result: GenerationResult): string {
  const { request: r } = result;
  const cache = r.cache.enabled ? cacheText(r.cache) : 'off';
  const guidance = r.guidanceMode === 'cfg' ? `CFG scale: ${r.guidanceScale}` : r.guidanceMode === 'embedded' ? `Guidance: ${r.guidanceScale}` : 'CFG scale: 1';
  return [
    r.prompt,
    `Negative prompt: ${r.negativePrompt}`,
    [
      `Steps: ${r.steps}`,
      'Sampler: Euler (flow matching)',
      guidance,
      `Seed: ${r.seed}`,
      `Size: ${r.width}x${r.height}`,
      `Model: ${result.model.id}`,
      `TeaCache: ${cache}`,
      `Forwards: ${result.stats.forwards}/${r.steps}`,
      // Only First-Block Cache's reused steps cost something, so only its runs say what they cost in all.
      ...(result.stats.forwardEquivalents === result.stats.forwards ? [] : [`Forward-equivalents: ${result.stats.forwardEquivalents.toFixed(2)}`]),
      `Backend: ${result.backend.package} ${result.backend.version}`,
    ].join(', '),
  ].join('\n');
}

/** The cache settings that decide which steps run: always the rule's own, and each option only where it departs from leaving the rule alone. */
function cacheText(c: GenerationResult['request']['cache']): string {
  const parts = [`${c.policy} threshold ${c.threshold} rescale ${c.rescaleFactor} skip-early ${c.skipEarlySteps}`];
  if (c.policy === 'teacache' && c.accumulate === 'since-compute') parts.push('since last compute');
  if (c.reuse !== 'output') parts.push(`reuse ${c.reuse}`);
  if (c.startFraction !== 0 || c.endFraction !== 1) parts.push(`window ${c.startFraction}-${c.endFraction}`);
  if (c.maxConsecutiveReuses !== null) parts.push(`max reuses ${c.maxConsecutiveReuses}`);
  parts.push(c.alwaysComputeLast ? 'last step computed' : 'last step by rule');
  return parts.join(' ');
}
