// A checkpoint's tensors across one or many safetensors files (single file,
// diffusers/transformers sharded index), known from headers alone and loaded
// lazily one tensor at a time. Every error names the file and what was
// expected. Runs in the engine (Node); no Electron imports.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { MxArray, MxBackend } from '../mlx/backend.ts';
import { EngineError } from '../../core/errors.ts';
import type { ParamShapes } from '../models/layers.ts';
import { readSafetensorsHeader, type TensorInfo } from './safetensors.ts';

/** Float formats the engine computes from; anything else is refused up front. */
export const FLOAT_DTYPES = ['F32', 'F16', 'BF16'] as const;

const DTYPE_ADVICE: Readonly<Record<string, string>> = {
  F8_E4M3: 'fp8 checkpoints are not supported: use the bf16 release of the model (and let the engine quantize it on load)',
  F8_E5M2: 'fp8 checkpoints are not supported: use the bf16 release of the model (and let the engine quantize it on load)',
  U8: 'pre-quantized (bitsandbytes/GGUF-style) weights are not supported: use the bf16 release and choose --quantize 4 or 8',
  U32: 'pre-quantized weights are not supported: use the bf16 release and choose --quantize 4 or 8',
};

export interface TensorEntry extends TensorInfo {
  readonly file: string;
}

export class Checkpoint {
  private readonly loaded = new Map<string, Record<string, MxArray>>();

  private constructor(
    /** What the user would call this part, e.g. "transformer/" or "flux1-dev.safetensors". */
    readonly label: string,
    readonly files: readonly string[],
    readonly tensors: ReadonlyMap<string, TensorEntry>,
  ) {}

  /** Reads the headers of `files` (no tensor data) and indexes every tensor by name. */
  static fromFiles(label: string, files: readonly string[]): Checkpoint {
    const tensors = new Map<string, TensorEntry>();
    for (const file of files) {
      const header = readSafetensorsHeader(file);
      for (const [name, info] of Object.entries(header.tensors)) {
        const previous = tensors.get(name);
        if (previous) {
          throw new EngineError('MODEL_INVALID', `Tensor "${name}" appears in both ${previous.file} and ${file}; a checkpoint must hold each tensor once.`, { file, name });
        }
        tensors.set(name, { ...info, file });
      }
    }
    return new Checkpoint(label, files, tensors);
  }

  /**
   * The safetensors of a folder: through `*.safetensors.index.json` when there is
   * one (every shard must exist and hold what the index says), else every
   * `.safetensors` file in it.
   */
  static fromDir(dir: string, label = `${basename(dir)}/`): Checkpoint {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      throw new EngineError('MODEL_NOT_FOUND', `The folder ${dir} does not exist; expected ${label} with safetensors weights.`, { file: dir });
    }
    const names = readdirSync(dir).sort();
    const index = names.find((name) => name.endsWith('.safetensors.index.json'));
    if (index) return Checkpoint.fromIndex(join(dir, index), label);
    const files = names.filter((name) => name.endsWith('.safetensors')).map((name) => join(dir, name));
    if (files.length === 0) {
      const other = names.filter((name) => /\.(bin|pt|pth|ckpt|gguf)$/.test(name));
      const hint = other.length > 0 ? ` It holds ${other.join(', ')}: only safetensors are read; download the .safetensors files of the same model.` : '';
      throw new EngineError('MODEL_INVALID', `${dir} has no .safetensors file.${hint}`, { file: dir });
    }
    return Checkpoint.fromFiles(label, files);
  }

  static fromIndex(indexFile: string, label: string): Checkpoint {
    let weightMap: Record<string, string>;
    try {
      const parsed = JSON.parse(readFileSync(indexFile, 'utf8')) as { weight_map?: unknown };
      if (!parsed.weight_map || typeof parsed.weight_map !== 'object') throw new Error('it has no "weight_map" object');
      weightMap = parsed.weight_map as Record<string, string>;
    } catch (error) {
      throw new EngineError('MODEL_INVALID', `${indexFile} is not a valid sharded-checkpoint index: ${(error as Error).message}.`, { file: indexFile }, { cause: error });
    }
    const dir = join(indexFile, '..');
    const shards = [...new Set(Object.values(weightMap))].sort();
    const missing = shards.filter((shard) => !existsSync(join(dir, shard)));
    if (missing.length > 0) {
      throw new EngineError(
        'MODEL_INVALID',
        `${indexFile} lists ${shards.length} shards but ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing from ${dir}. Download the missing shard files.`,
        { file: indexFile, missing },
      );
    }
    const checkpoint = Checkpoint.fromFiles(label, shards.map((shard) => join(dir, shard)));
    for (const [name, shard] of Object.entries(weightMap)) {
      const entry = checkpoint.tensors.get(name);
      if (!entry || basename(entry.file) !== shard) {
        throw new EngineError('MODEL_INVALID', `${indexFile} says "${name}" is in ${shard}, but ${entry ? `it is in ${basename(entry.file)}` : 'no shard holds it'}. The shards and the index come from different downloads.`, { file: indexFile, name });
      }
    }
    return checkpoint;
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  entry(name: string): TensorEntry {
    const entry = this.tensors.get(name);
    if (!entry) throw new EngineError('MODEL_INVALID', `${this.label} has no tensor "${name}".`, { name });
    return entry;
  }

  /** Total bytes of tensor data (as stored). */
  bytes(names: Iterable<string> = this.tensors.keys()): number {
    let total = 0;
    for (const name of names) {
      const entry = this.tensors.get(name);
      if (entry) total += entry.dataOffsets[1] - entry.dataOffsets[0];
    }
    return total;
  }

  /**
   * Checks that every expected tensor is present with its shape and a float
   * dtype, from headers only. `storedName` maps an expected name to its name
   * in the files. Unexpected tensors matching `ignore` are allowed. Throws
   * once, listing every problem.
   */
  check(
    expected: ParamShapes,
    options: { readonly ignore?: RegExp; readonly what?: string; readonly storedName?: (name: string) => string } = {},
  ): void {
    const problems: string[] = [];
    const files = new Set<string>();
    const stored = new Set<string>();
    for (const [canonical, shape] of Object.entries(expected)) {
      const name = options.storedName?.(canonical) ?? canonical;
      stored.add(name);
      const entry = this.tensors.get(name);
      if (!entry) {
        problems.push(`missing "${name}" (expected shape [${shape.join(', ')}])`);
        continue;
      }
      if (entry.shape.join(',') !== shape.join(',')) {
        problems.push(`"${name}" in ${basename(entry.file)} has shape [${entry.shape.join(', ')}], expected [${shape.join(', ')}]`);
        files.add(entry.file);
      }
      if (!(FLOAT_DTYPES as readonly string[]).includes(entry.dtype)) {
        const advice = DTYPE_ADVICE[entry.dtype] ?? 'convert the checkpoint to bf16 or float32 safetensors';
        problems.push(`"${name}" in ${basename(entry.file)} is ${entry.dtype}, expected one of ${FLOAT_DTYPES.join(', ')} (${advice})`);
        files.add(entry.file);
      }
    }
    for (const name of this.tensors.keys()) {
      if (!stored.has(name) && !options.ignore?.test(name)) problems.push(`unexpected "${name}"`);
    }
    if (problems.length > 0) {
      const shown = problems.slice(0, 12).join('; ');
      const more = problems.length > 12 ? `; and ${problems.length - 12} more` : '';
      const where = files.size > 0 ? [...files].join(', ') : this.files.join(', ');
      throw new EngineError(
        'MODEL_INVALID',
        `${this.label} (${where}) does not match ${options.what ?? 'the expected model'}: ${shown}${more}. Check that every file of this folder comes from the same model release.`,
        { files: [...this.files], problems },
      );
    }
  }

  /**
   * One tensor as a lazy MLX array (MLX reads it from disk at evaluation).
   * The checkpoint keeps no reference once handed out, so the caller's
   * reference decides when its memory goes.
   */
  take(mx: MxBackend, name: string): MxArray {
    const entry = this.entry(name);
    let record = this.loaded.get(entry.file);
    if (!record) {
      try {
        const value = mx.load(entry.file);
        if ('shape' in value && Array.isArray(value.shape)) throw new Error('it holds a single array, not named tensors');
        record = value as Record<string, MxArray>;
      } catch (error) {
        throw new EngineError('MODEL_INVALID', `Could not read ${entry.file}: ${(error as Error).message}. Download or export it again.`, { file: entry.file }, { cause: error });
      }
      this.loaded.set(entry.file, record);
    }
    const array = record[name];
    if (!array) throw new EngineError('MODEL_INVALID', `${entry.file} lost tensor "${name}" between reading its header and loading it.`, { file: entry.file, name });
    delete record[name];
    return array;
  }

  /** Drops the lazily loaded records so their remaining tensors can be freed. */
  close(): void {
    this.loaded.clear();
  }
}
