// Prompt encodings a model keeps between runs: tuning the cache re-runs one
// prompt many times, and a checkpoint's text encoders are the costliest part to
// load. The most recently encoded prompts are kept. Runs in the engine.

import type { MxArray, MxBackend } from '../mlx/backend.ts';
import type { TextConditioning } from './flux/transformer.ts';

export interface PromptEncoding {
  /** One row: [1, tokens, width]. */
  readonly context: MxArray;
  /** One row: [1, pooled width]. */
  readonly pooled: MxArray;
  readonly unknownWords: readonly string[];
}

/** Prompts kept: a positive and a negative prompt each for a few recent settings. */
export const RECENT_ENCODINGS = 8;

export class RecentEncodings {
  private readonly held = new Map<string, PromptEncoding>();

  constructor(private readonly size = RECENT_ENCODINGS) {}

  /**
   * The prompts among `prompts` that must still be encoded, each once. Those already held become the
   * most recent, so remembering the missing ones cannot evict a prompt of the same batch (a negative
   * prompt held since the first run and reused by every run since would otherwise go first).
   */
  missing(prompts: readonly string[]): string[] {
    for (const prompt of prompts) {
      const row = this.held.get(prompt);
      if (row) this.remember(prompt, row);
    }
    return [...new Set(prompts.filter((prompt) => !this.held.has(prompt)))];
  }

  remember(prompt: string, encoding: PromptEncoding): void {
    this.held.delete(prompt);
    this.held.set(prompt, encoding);
    while (this.held.size > this.size) this.held.delete(this.held.keys().next().value!);
  }

  /** The encodings of `prompts`, in order, as one batch; each must have been remembered. */
  batch(mx: MxBackend, prompts: readonly string[]): TextConditioning & { unknownWords: string[] } {
    const rows = prompts.map((prompt) => {
      const row = this.held.get(prompt);
      if (!row) throw new Error(`No encoding is held for the prompt "${prompt}": encode the missing prompts first.`);
      return row;
    });
    return {
      context: mx.concatenate(rows.map((row) => row.context), 0),
      pooled: mx.concatenate(rows.map((row) => row.pooled), 0),
      unknownWords: [...new Set(rows.flatMap((row) => row.unknownWords))],
    };
  }
}
