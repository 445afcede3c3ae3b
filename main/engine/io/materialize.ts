// Turns lazily loaded checkpoint tensors into the parameters a model computes
// with: float32, or MLX 4-/8-bit quantized for linear weights, one tensor at a
// time so only one layer's float copy is alive at once. Written as a generator
// that yields where memory may be released: the async driver lets N-API
// finalizers run there (see mlx/memory.ts), the sync one just runs through.
// Runs in the engine (Node).

import type { MxArray, MxBackend } from '../mlx/backend.ts';
import { releaseUnreferencedArrays } from '../mlx/memory.ts';
import { quantizeLinearInto, type ParamShapes, type QuantBits } from '../models/layers.ts';
import type { Checkpoint } from './checkpoint.ts';

export type Quantization = 'none' | QuantBits;

export interface TensorPlan {
  /** The parameter's name as the model reads it. */
  readonly name: string;
  /** Builds the stored tensor (lazily: nothing is read until evaluated). */
  readonly build: () => MxArray;
  /** A linear layer's [out, in] weight, eligible for quantization. */
  readonly linearWeight: boolean;
  /** Bytes it occupies on disk, to pace the release points. */
  readonly bytes: number;
}

/** Release memory after about this many bytes have been read. */
const RELEASE_EVERY_BYTES = 512 * 1024 * 1024;

export function* materialize(
  mx: MxBackend,
  plans: readonly TensorPlan[],
  quantization: Quantization,
): Generator<void, Record<string, MxArray>, void> {
  const params: Record<string, MxArray> = {};
  let sinceRelease = 0;
  for (const plan of plans) {
    const value = plan.build().astype(mx.float32);
    const prefix = plan.name.replace(/\.weight$/, '');
    if (quantization !== 'none' && plan.linearWeight && quantizeLinearInto(mx, params, prefix, value, quantization)) {
      mx.eval(params[`${prefix}.weight`], params[`${prefix}.scales`], params[`${prefix}.biases`]);
    } else {
      params[plan.name] = value;
      mx.eval(value);
    }
    sinceRelease += plan.bytes;
    if (sinceRelease >= RELEASE_EVERY_BYTES) {
      sinceRelease = 0;
      yield;
    }
  }
  return params;
}

/** Runs a stepwise job to its end without pausing (tests, small models). */
export function runSync<T>(job: Generator<void, T, void>): T {
  for (;;) {
    const step = job.next();
    if (step.done) return step.value;
  }
}

/** Runs a stepwise job, freeing unreferenced arrays at each of its pauses. */
export async function runReleasing<T>(job: Generator<void, T, void>): Promise<T> {
  for (;;) {
    const step = job.next();
    if (step.done) {
      await releaseUnreferencedArrays();
      return step.value;
    }
    await releaseUnreferencedArrays();
  }
}

const NOT_LINEAR = /(embedding|embed_tokens|shared|relative_attention_bias)\.weight$/;

/**
 * One plan per expected parameter, read from `checkpoint` under
 * `storedName(name)` (the same name unless the layout differs).
 */
export function checkpointPlans(
  mx: MxBackend,
  checkpoint: Checkpoint,
  shapes: ParamShapes,
  storedName: (name: string) => string = (name) => name,
): TensorPlan[] {
  return Object.entries(shapes).map(([name, shape]) => {
    const stored = storedName(name);
    return {
      name,
      build: () => checkpoint.take(mx, stored),
      linearWeight: shape.length === 2 && name.endsWith('.weight') && !NOT_LINEAR.test(name),
      bytes: checkpoint.bytes([stored]),
    };
  });
}
