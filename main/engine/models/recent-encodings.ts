// Prompt encodings a model keeps between runs: tuning the cache re-runs one
// prompt many times, and a checkpoint's text encoders are the costliest part to
// load. The most recently used prompts are kept. Runs in the engine.

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

/**
 * A least-recently-used cache of prompt encodings. A batch is asked for in two
 * steps (`missing`, then `batch` once the missing ones are remembered); between
 * them the batch's own prompts are never evicted, so a cache can never make a
 * request fail, even when the batch holds more distinct prompts than the size.
 */
export class RecentEncodings {
  private readonly held = new Map<string, PromptEncoding>();
  /** The prompts of the batch being assembled: safe from eviction until `batch` returns. */
  private inUse = new Set<string>();

  constructor(private readonly size = RECENT_ENCODINGS) {}

  /** The prompts among `prompts` that must still be encoded, each once; starts a batch of `prompts`. */
  missing(prompts: readonly string[]): string[] {
    this.inUse = new Set(prompts);
    for (const prompt of this.inUse) this.touch(prompt);
    return [...this.inUse].filter((prompt) => !this.held.has(prompt));
  }

  remember(prompt: string, encoding: PromptEncoding): void {
    this.held.delete(prompt);
    this.held.set(prompt, encoding);
    this.trim();
  }

  /** The encodings of `prompts`, in order; each must have been remembered. Ends the batch, so its prompts can be evicted again. */
  rows(prompts: readonly string[]): PromptEncoding[] {
    try {
      return prompts.map((prompt) => {
        const row = this.touch(prompt);
        if (!row) throw new Error(`No encoding is held for the prompt "${prompt}": encode the missing prompts first.`);
        return row;
      });
    } finally {
      this.inUse = new Set();
      this.trim();
    }
  }

  /** The encodings of `prompts`, in order, as one batch; each must have been remembered. */
  batch(mx: MxBackend, prompts: readonly string[]): TextConditioning & { unknownWords: string[] } {
    const rows = this.rows(prompts);
    return {
      context: mx.concatenate(rows.map((row) => row.context), 0),
      pooled: mx.concatenate(rows.map((row) => row.pooled), 0),
      unknownWords: [...new Set(rows.flatMap((row) => row.unknownWords))],
    };
  }

  /** Marks `prompt` as the most recently used, and gives its encoding if held. */
  private touch(prompt: string): PromptEncoding | undefined {
    const row = this.held.get(prompt);
    if (row) {
      this.held.delete(prompt);
      this.held.set(prompt, row);
    }
    return row;
  }

  private trim(): void {
    for (const prompt of [...this.held.keys()]) {
      if (this.held.size <= this.size) return;
      if (!this.inUse.has(prompt)) this.held.delete(prompt);
    }
  }
}
