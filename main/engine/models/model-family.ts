// What every model family declares, in its own folder's family.ts: how to
// recognise one of its folders, check it in depth, and load it. The registry
// in load-model.ts lists the families, one line each. Runs in the engine (Node).

import type { MxBackend } from '../mlx/backend.ts';
import type { Quantization } from '../io/materialize.ts';
import type { FolderProblem } from './flux1/inspect.ts';
import type { KleinVariant } from './flux2-klein/klein-model.ts';
import type { ImageModel } from './image-model.ts';
import type { ZImageVariant } from './z-image/inspect.ts';

export type ModelKind = 'pixel-flux' | 'flux1' | 'z-image' | 'flux2-klein';

export interface LoadModelOptions {
  /** Checkpoint models only: 4, 8, 'none' or 'auto' (the lightest that fits; the default). */
  readonly quantize?: Quantization | 'auto';
  /** Checkpoint models only: memory the engine may use; 85% of RAM by default. */
  readonly memoryLimitBytes?: number;
}

export interface FolderCheck {
  readonly kind?: ModelKind;
  /** The variant when recognised (FLUX.1's dev/schnell, Z-Image's turbo/base, klein's distilled/base). */
  readonly variant?: 'dev' | 'schnell' | ZImageVariant | KleinVariant;
  /** Empty when the folder can be loaded. */
  readonly problems: readonly FolderProblem[];
}

/**
 * What the engine needs from each model family, with an `inspect` as deep as
 * the others': every weights file's header, its size against the header, and
 * shapes and dtypes against the family's config, all without loading weights.
 * Its defaults, memory estimate and TeaCache signal live with its model class.
 */
export interface ModelFamily {
  readonly kind: ModelKind;
  /** The family's name in messages. */
  readonly name: string;
  /** What a folder of this family holds, for the message when no family recognises a folder. */
  readonly expects: string;
  /** Cheap: whether `dir` is meant to be of this family (its marker files are there). */
  recognises(dir: string): boolean;
  /** Every problem that would stop `load`, found without loading weights; no problems means it loads. */
  inspect(dir: string): Omit<FolderCheck, 'kind'>;
  load(mx: MxBackend, dir: string, options: LoadModelOptions): Promise<ImageModel>;
}
