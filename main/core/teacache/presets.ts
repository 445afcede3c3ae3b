// Quality / Balanced / Fast: per-model cache settings, each a point measured on
// that model's speed-vs-quality front, stored as data beside the model. Pure
// (zod only), so the CLI, the engine and the renderer apply the very same preset.

import { z } from 'zod';
import { CacheSettingsSchema, type CacheSettings } from '../request.ts';

export const PRESET_NAMES = ['quality', 'balanced', 'fast'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

export const CachePresetSchema = CacheSettingsSchema.pick({
  policy: true,
  reuse: true,
  threshold: true,
  skipEarlySteps: true,
  accumulate: true,
  alwaysComputeLast: true,
  maxConsecutiveReuses: true,
  startFraction: true,
  endFraction: true,
})
  .partial()
  .required({ policy: true, threshold: true })
  .extend({
    /** Where the setting comes from and what it gave there: a benchmark run, or published figures. */
    measured: z.object({ speedup: z.number().positive(), meanPsnr: z.number().optional(), source: z.string().min(1) }),
  });

export type CachePreset = z.infer<typeof CachePresetSchema>;

export const CachePresetsSchema = z.object({ quality: CachePresetSchema, balanced: CachePresetSchema, fast: CachePresetSchema });
export type CachePresets = z.infer<typeof CachePresetsSchema>;

/** The request cache settings a preset stands for (its record of where it was measured left out). */
export function presetSettings(presets: CachePresets | undefined, name: string, modelName: string): Partial<CacheSettings> {
  if (!(PRESET_NAMES as readonly string[]).includes(name)) throw new RangeError(`Unknown preset "${name}": pick ${PRESET_NAMES.join(', ')}.`);
  if (!presets) throw new RangeError(`${modelName} has no cache presets: set the policy and threshold yourself.`);
  const { measured: _measured, ...settings } = presets[name as PresetName];
  return { enabled: true, ...settings };
}
