// What a caller may ask of the engine, as runtime schemas the CLI, the IPC
// contract and the worker all share. Pure: imports only zod, so the renderer
// may use it too.

import { z } from 'zod';

export const MAX_SEED = 0xffff_ffff;

export const CacheSettingsSchema = z.object({
  enabled: z.boolean(),
  policy: z.literal('seed'),
  threshold: z.number().finite().nonnegative().max(10),
  rescaleFactor: z.number().finite().nonnegative().max(100),
  /** Omitted: the seed's choice, 3 under true CFG and 0 otherwise. */
  skipEarlySteps: z.number().int().nonnegative().max(1000).optional(),
});

export type CacheSettings = z.infer<typeof CacheSettingsSchema>;

/** A request as sent; anything omitted takes the model's default. */
export const GenerationRequestSchema = z.object({
  prompt: z.string().max(2000),
  negativePrompt: z.string().max(2000).optional(),
  seed: z.number().int().min(0).max(MAX_SEED),
  steps: z.number().int().min(1).max(500).optional(),
  width: z.number().int().min(8).max(4096).optional(),
  height: z.number().int().min(8).max(4096).optional(),
  guidanceScale: z.number().finite().min(0).max(50).optional(),
  cache: CacheSettingsSchema.partial().optional(),
});

export type GenerationRequest = z.infer<typeof GenerationRequestSchema>;

/** A request with every choice made, as recorded next to each image. */
export const ResolvedRequestSchema = z.object({
  prompt: z.string(),
  negativePrompt: z.string(),
  seed: z.number().int(),
  steps: z.number().int(),
  width: z.number().int(),
  height: z.number().int(),
  guidanceScale: z.number(),
  guidanceMode: z.enum(['cfg', 'embedded', 'none']),
  shift: z.boolean(),
  cache: CacheSettingsSchema.required(),
});

export type ResolvedRequest = z.infer<typeof ResolvedRequestSchema>;
