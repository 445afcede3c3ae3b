// The built-in model: a small FLUX transformer working directly on p×p-packed
// RGB pixels (no autoencoder) with the word-level text encoder. Loads from a
// folder holding model.json, vocab.json and, once trained, the weights; with
// no weights it runs on seeded random ones and says so. Runs in the engine.

import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { MxArray, MxBackend } from '../../mlx/backend.ts';
import { EngineError } from '../../../core/errors.ts';
import { electronResourcesPath, findShippedFile } from '../../shipped-file.ts';
import { Checkpoint } from '../../io/checkpoint.ts';
import { checkParams, loadSafetensors } from '../../io/weights.ts';
import { FluxConfigSchema, fluxParamShapes } from '../flux/config.ts';
import { FluxTransformer, transformerInput, type TextConditioning } from '../flux/transformer.ts';
import { ModelDefaultsSchema, rgbBytes, seededNoise, type ImageModel, type ModelInfo, type ModelSplitStep, type PackedNoise } from '../image-model.ts';
import { randomParams, type ParamShapes } from '../layers.ts';
import { pack, unpack } from '../packing.ts';
import { RecentEncodings } from '../recent-encodings.ts';
import { WordEncoder, WordEncoderConfigSchema, WordTokenizer, wordEncoderParamShapes } from '../text/word-encoder.ts';

export const PIXEL_FLUX_FORMAT = 'teacache-studio/pixel-flux@1';

export const PixelFluxManifestSchema = z.object({
  format: z.literal(PIXEL_FLUX_FORMAT),
  id: z.string().min(1),
  name: z.string().min(1),
  image: z.object({
    channels: z.number().int().positive(),
    patchSize: z.number().int().positive(),
    maxSize: z.number().int().positive(),
  }),
  transformer: FluxConfigSchema,
  textEncoder: WordEncoderConfigSchema,
  defaults: ModelDefaultsSchema,
  /** Seed of the random weights used when the folder has no weights files. */
  randomInitSeed: z.number().int().nonnegative(),
});

export type PixelFluxManifest = z.infer<typeof PixelFluxManifestSchema>;

export const MANIFEST_FILE = 'model.json';
export const VOCAB_FILE = 'vocab.json';
export const TRANSFORMER_FILE = 'transformer.safetensors';
export const TEXT_ENCODER_FILE = 'text_encoder.safetensors';

/**
 * The model that ships with the app: TEACACHE_MODEL_DIR when set; in a packaged app <Resources>/models/builtin
 * (electron-builder's extraResources, under process.resourcesPath); in development the checkout's models/builtin,
 * found from this module's location whether it runs from source or bundled into dist/.
 */
export function builtinModelDir(
  env: NodeJS.ProcessEnv = process.env,
  resourcesPath: string | undefined = electronResourcesPath(),
  moduleUrl: string = import.meta.url,
): string {
  if (env.TEACACHE_MODEL_DIR !== undefined) return env.TEACACHE_MODEL_DIR;
  const manifest = findShippedFile(join('models', 'builtin', MANIFEST_FILE), moduleUrl, resourcesPath);
  return manifest ? dirname(manifest) : fileURLToPath(new URL('../../../../models/builtin/', moduleUrl));
}

function readJson(file: string): unknown {
  if (!existsSync(file)) {
    throw new EngineError('MODEL_NOT_FOUND', `The model folder has no ${file}. Pick a folder that holds ${MANIFEST_FILE} and ${VOCAB_FILE}.`, { file });
  }
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new EngineError('MODEL_INVALID', `${file} is not valid JSON: ${(error as Error).message}`, { file }, { cause: error });
  }
}

function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, file: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
    throw new EngineError('MODEL_INVALID', `${file} is not a valid model description: ${issues}`, { file, issues: parsed.error.issues });
  }
  return parsed.data;
}

/** model.json and vocab.json, parsed and checked to fit together; throws naming the file at fault. */
function readDescription(dir: string): { manifest: PixelFluxManifest; vocab: string[] } {
  const manifestFile = join(dir, MANIFEST_FILE);
  const manifest = parseOrThrow(PixelFluxManifestSchema, readJson(manifestFile), manifestFile);
  const vocabFile = join(dir, VOCAB_FILE);
  const vocab = parseOrThrow(z.array(z.string()).min(4), readJson(vocabFile), vocabFile);
  const { image, transformer: fluxConfig, textEncoder: encoderConfig } = manifest;
  const expectedInput = image.channels * image.patchSize * image.patchSize;
  if (fluxConfig.inChannels !== expectedInput || fluxConfig.contextInDim !== encoderConfig.width || fluxConfig.vecInDim !== encoderConfig.pooledDim) {
    throw new EngineError(
      'MODEL_INVALID',
      `${manifestFile}: the parts do not fit together (transformer.inChannels must be channels·patchSize² = ${expectedInput}, contextInDim must equal textEncoder.width, vecInDim must equal textEncoder.pooledDim).`,
      { file: manifestFile },
    );
  }
  return { manifest, vocab };
}

interface WeightsPart {
  readonly file: string;
  readonly what: string;
  readonly shapes: ParamShapes;
}

function weightParts(dir: string, manifest: PixelFluxManifest, vocabSize: number): [WeightsPart, WeightsPart] {
  return [
    { file: join(dir, TRANSFORMER_FILE), what: 'transformer', shapes: fluxParamShapes(manifest.transformer) },
    { file: join(dir, TEXT_ENCODER_FILE), what: 'text encoder', shapes: wordEncoderParamShapes(manifest.textEncoder, vocabSize) },
  ];
}

/** A folder with either weights file is trained, and then needs both; with neither it runs on seeded random weights. */
function isTrained(dir: string): boolean {
  return existsSync(join(dir, TRANSFORMER_FILE)) || existsSync(join(dir, TEXT_ENCODER_FILE));
}

/** From the header alone: the file is whole (its size against the header), every tensor there with model.json's shape and a float dtype. */
function checkWeights(part: WeightsPart): void {
  Checkpoint.fromFiles(basename(part.file), [part.file]).check(part.shapes, { what: `the ${part.what} ${MANIFEST_FILE} describes` });
}

/**
 * Checks a folder in the built-in model's format as deeply as FLUX.1 folders
 * are checked, without loading weights: model.json and vocab.json, then each
 * weights file's safetensors header, its size against the header, and every
 * tensor's shape and dtype against model.json. Empty when it can be loaded.
 */
export function checkPixelFluxFolder(dir: string): Array<{ readonly path: string; readonly message: string }> {
  let description: ReturnType<typeof readDescription>;
  try {
    description = readDescription(dir);
  } catch (error) {
    const file = error instanceof EngineError ? (error.details as { file?: string } | undefined)?.file : undefined;
    return [{ path: file ?? join(dir, MANIFEST_FILE), message: (error as Error).message }];
  }
  if (!isTrained(dir)) return [];
  const problems: Array<{ path: string; message: string }> = [];
  for (const part of weightParts(dir, description.manifest, description.vocab.length)) {
    try {
      checkWeights(part);
    } catch (error) {
      problems.push({ path: part.file, message: (error as Error).message });
    }
  }
  return problems;
}

export class PixelFluxModel implements ImageModel {
  readonly info: ModelInfo;
  readonly defaults: PixelFluxManifest['defaults'];

  private readonly encodings = new RecentEncodings();

  private constructor(
    private readonly mx: MxBackend,
    readonly manifest: PixelFluxManifest,
    private readonly transformer: FluxTransformer,
    private readonly textEncoder: WordEncoder,
    trained: boolean,
    notes: readonly string[] = [],
  ) {
    const { patchSize, maxSize } = manifest.image;
    this.defaults = manifest.defaults;
    this.info = {
      id: manifest.id,
      name: manifest.name,
      trained,
      notes: [...(trained ? [] : [`No trained weights in the model folder: running on seeded random weights (seed ${manifest.randomInitSeed}), so images will look like noise.`]), ...notes],
      guidanceEmbedded: manifest.transformer.guidanceEmbed,
      sizeMultiple: patchSize,
      maxSize,
    };
  }

  static load(mx: MxBackend, dir: string = builtinModelDir()): PixelFluxModel {
    // Its calibration is put in force by the engine's one lookup (calibrationInForce), as for every model kind.
    const { manifest, vocab } = readDescription(dir);
    const tokenizer = new WordTokenizer(vocab);
    const { transformer: fluxConfig, textEncoder: encoderConfig } = manifest;
    const [transformerPart, encoderPart] = weightParts(dir, manifest, vocab.length);
    const trained = isTrained(dir);
    const weights = (part: WeightsPart, seed: number) => {
      if (!trained) return randomParams(mx, part.shapes, seed);
      checkWeights(part);
      return checkParams(mx, part.file, loadSafetensors(mx, part.file), part.shapes);
    };
    const transformerParams = weights(transformerPart, manifest.randomInitSeed);
    const encoderParams = weights(encoderPart, manifest.randomInitSeed + 1);
    mx.eval(Object.values(transformerParams), Object.values(encoderParams));
    return new PixelFluxModel(
      mx,
      manifest,
      new FluxTransformer(mx, fluxConfig, transformerParams),
      new WordEncoder(mx, encoderConfig, tokenizer, encoderParams),
      trained,
    );
  }

  encodeText(prompts: readonly string[]): TextConditioning & { unknownWords: string[] } {
    const { mx, textEncoder } = this;
    const missing = this.encodings.missing(prompts);
    if (missing.length > 0) {
      const { context, pooled } = textEncoder.encode(missing);
      mx.eval(context, pooled);
      const contexts = mx.split(context, missing.length, 0);
      const pooledRows = mx.split(pooled, missing.length, 0);
      missing.forEach((prompt, i) => {
        const { unknown } = textEncoder.tokenizer.encode(prompt, textEncoder.config.maxTokens);
        this.encodings.remember(prompt, { context: contexts[i]!, pooled: pooledRows[i]!, unknownWords: unknown });
      });
    }
    return this.encodings.batch(mx, prompts);
  }

  noise(seed: number, width: number, height: number): PackedNoise {
    return seededNoise(this.mx, this, seed, width, height);
  }

  noiseShape(width: number, height: number): number[] {
    return [1, this.manifest.image.channels, height, width];
  }

  packNoise(image: MxArray, width: number, height: number): PackedNoise {
    const { patchSize } = this.manifest.image;
    return { tokens: pack(this.mx, image, patchSize), rows: height / patchSize, cols: width / patchSize };
  }

  velocity(x: MxArray, rows: number, cols: number, timestep: number, text: TextConditioning, guidance?: number): MxArray {
    return this.transformer.forward(transformerInput(x, rows, cols, timestep, text, guidance));
  }

  split(x: MxArray, rows: number, cols: number, timestep: number, text: TextConditioning, guidance?: number): ModelSplitStep {
    return this.transformer.split(transformerInput(x, rows, cols, timestep, text, guidance));
  }

  toRgb(tokens: MxArray, width: number, height: number): Uint8Array {
    const { mx } = this;
    const image = unpack(mx, tokens, this.manifest.image.patchSize, height, width);
    const hwc = mx.transpose(mx.reshape(image, this.manifest.image.channels, height, width), 1, 2, 0);
    // Read back flat: nested lists and flat() cost more than the image's math.
    return rgbBytes(mx.reshape(hwc, [-1]).tolist() as number[]);
  }
}
