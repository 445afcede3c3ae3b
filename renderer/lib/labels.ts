// Names people read for the engine's policies and reuse modes, and for the runs made to measure another. Pure.

import type { PolicyName, ReuseMode, TeaCacheAccumulation } from '../../main/core/teacache/policy.ts';

export const POLICY_LABELS: Record<PolicyName, { readonly label: string; readonly short: string; readonly hint: string }> = {
  seed: { label: 'Seed rule', short: 'seed', hint: 'Adds up the timestep distance to the last computed step.' },
  'timestep-consecutive': { label: 'Timestep, step to step', short: 'step-to-step', hint: 'Adds up each step’s own timestep change, as the original TeaCache does.' },
  teacache: { label: 'TeaCache (input change)', short: 'TeaCache', hint: 'Adds up how much the model’s modulated input changes, rescaled by the model’s polynomial.' },
  magcache: { label: 'MagCache (magnitude ratios)', short: 'MagCache', hint: 'Multiplies the model’s calibrated residual magnitude ratios since the last compute; known before the run.' },
  'first-block': { label: 'First-Block Cache', short: 'first block', hint: 'Runs the first block; when its residual barely changed, reuses the other blocks’ residual.' },
  easycache: { label: 'EasyCache (transformation rate)', short: 'EasyCache', hint: 'Estimates the output’s change from the input’s, at the rate learnt from the last two computes.' },
};

export const REUSE_LABELS: Record<ReuseMode, string> = {
  output: 'Last output',
  residual: 'Block residual',
  taylor: 'Taylor extrapolation',
  taylor2: 'Second-order Taylor',
  hermite: 'Hermite forecast (HiCache)',
};

export const ACCUMULATION_LABELS: Record<TeaCacheAccumulation, string> = {
  consecutive: 'Each step’s change (original)',
  'since-compute': 'Change since the last computed step',
};

export const ACCUMULATION_HINTS: Record<TeaCacheAccumulation, string> = {
  consecutive: 'Adds each step’s change to the sum, as the original TeaCache does.',
  'since-compute': 'Adds the change since the last computed step, so each reuse weighs more than the one before: computes gather where the model changes fast.',
};

/** A history entry or queued job, as far as its name goes: which run it measures, and its steps. */
interface NamedRun {
  readonly baselineOf: string | null;
  readonly fewerStepsOf?: string | null | undefined;
  readonly request: { readonly steps?: number | undefined };
}

/** What a run made to measure another is called where its prompt would stand; null for a run of its own. */
export function measuringRunLabel(run: NamedRun): string | null {
  if (run.baselineOf !== null) return 'Uncached reference';
  if (run.fewerStepsOf) return run.request.steps === undefined ? 'Plain steps' : `${run.request.steps} plain steps`;
  return null;
}
