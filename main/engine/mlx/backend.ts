// The MLX surface the engine codes against: a hand-written subset of MLX's own
// API (camelCase, as in @frost-beta/mlx), holding exactly the ops the engine
// calls. Every backend must satisfy it; no backend-specific type leaks past this file.

export interface MxDtype {
  readonly size: number;
}

/** What an op accepts where MLX takes "array or scalar". */
export type MxInput = MxArray | number;

/** MLX's lazy array. Values are computed on `eval`, `item` or `tolist`. */
export interface MxArray {
  readonly shape: number[];
  readonly dtype: MxDtype;
  readonly ndim: number;
  readonly size: number;
  readonly T: MxArray;
  astype(dtype: MxDtype): MxArray;
  reshape(...shape: (number | number[])[]): MxArray;
  transpose(...axes: (number | number[])[]): MxArray;
  item(): unknown;
  tolist(): unknown;
}

export interface MxRandom {
  key(seed: number): MxArray;
  split(key: MxArray, num?: number): MxArray;
  normal(shape?: number[], dtype?: MxDtype, loc?: number, scale?: number, key?: MxArray): MxArray;
}

export interface MxFast {
  rmsNorm(x: MxArray, weight: MxArray, eps: number): MxArray;
  layerNorm(x: MxArray, weight: MxArray | null, bias: MxArray | null, eps: number): MxArray;
  scaledDotProductAttention(q: MxArray, k: MxArray, v: MxArray, scale: number, mask?: MxArray): MxArray;
}

export interface MxBackend {
  /** Where arrays are computed: ops that run better another way on one of them (attention.ts) read it. */
  readonly device: 'cpu' | 'gpu';
  readonly float32: MxDtype;
  readonly float16: MxDtype;
  readonly bfloat16: MxDtype;
  readonly int32: MxDtype;
  readonly uint8: MxDtype;
  readonly random: MxRandom;
  readonly fast: MxFast;

  array(value: number | number[] | number[][], dtype?: MxDtype): MxArray;
  zeros(shape: number[], dtype?: MxDtype): MxArray;
  ones(shape: number[], dtype?: MxDtype): MxArray;
  arange(start: number, stop?: number, step?: number, dtype?: MxDtype): MxArray;

  add(a: MxInput, b: MxInput): MxArray;
  subtract(a: MxInput, b: MxInput): MxArray;
  multiply(a: MxInput, b: MxInput): MxArray;
  divide(a: MxInput, b: MxInput): MxArray;
  matmul(a: MxArray, b: MxArray): MxArray;
  addmm(c: MxArray, a: MxArray, b: MxArray, alpha?: number, beta?: number): MxArray;
  exp(a: MxArray): MxArray;
  tanh(a: MxArray): MxArray;
  sigmoid(a: MxArray): MxArray;
  abs(a: MxArray): MxArray;
  sqrt(a: MxArray): MxArray;
  square(a: MxArray): MxArray;
  clip(a: MxArray, min: MxInput, max: MxInput): MxArray;
  sum(a: MxArray, axis?: number | number[], keepdims?: boolean): MxArray;
  mean(a: MxArray, axis?: number | number[], keepdims?: boolean): MxArray;

  reshape(a: MxArray, ...shape: (number | number[])[]): MxArray;
  transpose(a: MxArray, ...axes: (number | number[])[]): MxArray;
  expandDims(a: MxArray, axis: number | number[]): MxArray;
  concatenate(arrays: MxArray[], axis?: number): MxArray;
  split(a: MxArray, indicesOrSections: number | number[], axis?: number): MxArray[];
  take(a: MxArray, indices: MxArray, axis?: number): MxArray;
  broadcastTo(a: MxArray, shape: number[]): MxArray;
  /** Channels-last convolution: input [N, H, W, Cin], weight [Cout, kH, kW, Cin]. */
  conv2d(input: MxArray, weight: MxArray, stride?: number | number[], padding?: number | number[]): MxArray;

  /** MLX's affine quantization: [packed uint32 weights, scales, biases], one scale and bias per group. */
  quantize(w: MxArray, groupSize: number, bits: number): [MxArray, MxArray, MxArray];
  quantizedMatmul(x: MxArray, w: MxArray, scales: MxArray, biases: MxArray, transpose: boolean, groupSize: number, bits: number): MxArray;

  eval(...arrays: unknown[]): void;
  /**
   * Traces `fn` once per input shape into a fused graph (MLX `compile`). Optional:
   * a backend without it runs `fn` as is, with identical results.
   */
  compile?<Args extends MxArray[]>(fn: (...args: Args) => MxArray): (...args: Args) => MxArray;
  /**
   * Work queues (MLX streams on the CPU) that evaluate concurrently, one per core: ops built inside
   * `run(lane, fn)` go to queue `lane`. Absent where one queue is best (a GPU runs one batch in
   * parallel already) or the backend has no streams; see mapAcrossLanes.
   */
  readonly lanes?: MxLanes;
  /** MLX's memory counters, in bytes (both backends; the npm package's CPU build keeps none and reports 0). */
  readonly metal?: { getActiveMemory(): number };
  load(path: string): Record<string, MxArray> | MxArray;
}

export interface MxLanes {
  readonly count: number;
  run<T>(lane: number, fn: () => T): T;
}

/** Which backend the engine is running on, for the UI, CLI and reports. */
export interface BackendInfo {
  readonly name: 'npm' | 'native';
  readonly package: string;
  readonly version: string;
  readonly device: 'cpu' | 'gpu';
  /** How many CPU lanes the backend has (MxBackend.lanes), where it has more than one. */
  readonly lanes?: number;
  /** The MLX release underneath, where the backend can tell (the native addon can). */
  readonly mlxVersion?: string;
  /** Set when `auto` found a built native addon that would not load, and fell back: why. */
  readonly fallbackReason?: string;
}

export interface LoadedBackend {
  readonly mx: MxBackend;
  readonly info: BackendInfo;
}

/** Every op of MxBackend the engine calls (all of them): what a candidate backend must have to load. */
const REQUIRED_FUNCTIONS = [
  'array', 'zeros', 'ones', 'arange', 'add', 'subtract', 'multiply', 'divide', 'matmul', 'addmm', 'exp',
  'tanh', 'sigmoid', 'abs', 'sqrt', 'square', 'clip', 'sum', 'mean', 'reshape', 'transpose', 'expandDims',
  'concatenate', 'split', 'take', 'broadcastTo', 'conv2d', 'quantize', 'quantizedMatmul', 'eval', 'load',
  'random.key', 'random.split', 'random.normal', 'fast.rmsNorm', 'fast.layerNorm', 'fast.scaledDotProductAttention',
] as const satisfies readonly string[];

/** Names of the ops a candidate backend lacks; empty when it conforms. */
export function missingOps(candidate: unknown): string[] {
  return REQUIRED_FUNCTIONS.filter((path) => {
    let value: unknown = candidate;
    for (const part of path.split('.')) {
      value = value != null && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
    }
    return typeof value !== 'function';
  });
}
