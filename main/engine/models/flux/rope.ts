// FLUX's multi-axis rotary position embedding (BFL `EmbedND`), precomputed once
// per resolution. Runs in the engine; no Node or Electron imports.

import type { MxArray, MxBackend } from '../../mlx/backend.ts';

/**
 * Position ids of a packed image: one row per token, [0, row, col] as in FLUX.
 * Text tokens all sit at [0, 0, 0].
 */
export function imagePositionIds(rows: number, cols: number): number[][] {
  const ids: number[][] = [];
  for (let row = 0; row < rows; row++) {
    for (let col = 0; col < cols; col++) ids.push([0, row, col]);
  }
  return ids;
}

export interface RotaryTables {
  /** [1, 1, L, D]: cos of each pair's angle, repeated for both members of the pair. */
  readonly cos: MxArray;
  /** [1, 1, L, D]: sin of each pair's angle, signed so that `x·cos + swap(x)·sin` rotates. */
  readonly sin: MxArray;
}

/**
 * Tables for rotating interleaved pairs (x₂ᵢ, x₂ᵢ₊₁) by pos·θ^(−2i/d) per axis,
 * with the axes' frequency bands concatenated in order, as BFL's `rope` does.
 */
export function rotaryTables(mx: MxBackend, ids: readonly (readonly number[])[], axesDim: readonly number[], theta: number): RotaryTables {
  const headDim = axesDim.reduce((a, b) => a + b, 0);
  const cos = new Array<number>(ids.length * headDim);
  const sin = new Array<number>(ids.length * headDim);
  ids.forEach((id, token) => {
    let offset = token * headDim;
    axesDim.forEach((dim, axis) => {
      const position = id[axis] ?? 0;
      for (let i = 0; i < dim; i += 2) {
        const angle = position * Math.pow(theta, -i / dim);
        const c = Math.cos(angle);
        const s = Math.sin(angle);
        cos[offset] = c;
        cos[offset + 1] = c;
        // Pair (a, b) becomes (a·c − b·s, a·s + b·c); with swap(a, b) = (b, a)
        // that is x·cos + swap(x)·[−s, s].
        sin[offset] = -s;
        sin[offset + 1] = s;
        offset += 2;
      }
    });
  });
  const shape = [1, 1, ids.length, headDim];
  return { cos: mx.reshape(mx.array(cos), shape), sin: mx.reshape(mx.array(sin), shape) };
}

/** Rotary tables by token layout, each computed and evaluated once: a run asks for the same ones at every step. */
export class RotaryCache {
  private readonly tables = new Map<string, RotaryTables>();

  constructor(
    private readonly mx: MxBackend,
    private readonly axesDim: readonly number[],
    private readonly theta: number,
  ) {}

  /** The tables for layout `key`, from its position ids (`ids()`, called only the first time). */
  get(key: string, ids: () => readonly (readonly number[])[]): RotaryTables {
    let tables = this.tables.get(key);
    if (!tables) {
      tables = rotaryTables(this.mx, ids(), this.axesDim, this.theta);
      this.mx.eval(tables.cos, tables.sin);
      this.tables.set(key, tables);
    }
    return tables;
  }
}

/** Rotates q or k of shape [B, H, L, D] by the precomputed tables. */
export function applyRotary(mx: MxBackend, x: MxArray, tables: RotaryTables): MxArray {
  const shape = x.shape;
  const pairs = mx.reshape(x, ...shape.slice(0, -1), shape[shape.length - 1]! / 2, 2);
  const [a, b] = mx.split(pairs, 2, -1) as [MxArray, MxArray];
  const swapped = mx.reshape(mx.concatenate([b, a], -1), shape);
  return mx.add(mx.multiply(x, tables.cos), mx.multiply(swapped, tables.sin));
}
