// The one attention call every model makes: MLX's fused scaled-dot-product attention, fed in query chunks on the CPU.
// Runs in the engine; no Node or Electron imports.

import type { MxArray, MxBackend } from '../mlx/backend.ts';

/**
 * Bytes of attention scores one CPU call may hold. MLX's CPU attention is unfused: it writes the whole
 * [batch, heads, queries, keys] score tensor, softmaxes it into another and multiplies that by v. At 128 px
 * on the built-in model that tensor is 34.6 MB, above glibc's 32 MB mmap threshold, so every call maps
 * fresh pages and faults them in, and it streams through memory twice. Chunks of at most this many
 * bytes stay in the cache between the three passes. Measured on the q=k=v [2, 4, 1040, 32] attention
 * of a 128 px forward (2-core EPYC, 1 MB L2 per core, paired rounds): 141 ms whole, 85–93 ms at 1–8 MB, best
 * at 2–4 MB; the whole forward, paired in one process: 1018 ms chunked against 1276 ms whole.
 */
export const CPU_SCORE_BUDGET_BYTES = 4 * 2 ** 20;

/**
 * Fewest query rows per chunk: below this the q·kᵀ GEMM gets too thin to run at speed, and the graph
 * grows by a call per chunk. FLUX.1 at 1024² (24 heads over 4 608 tokens: 442 KB of scores a row)
 * would otherwise split into 512 calls of 9 rows; the VAE's one-head attention never gets this thin.
 */
const MIN_CHUNK_ROWS = 16;

/**
 * softmax(q·kᵀ·scale + mask)·v for q [B, H, Lq, D], k and v [B, H, Lk, D], with an additive `mask`
 * broadcastable to [B, H, Lq, Lk]. On the GPU this is MLX's fused kernel as is. On the CPU it splits
 * the queries into chunks whose scores fit CPU_SCORE_BUDGET_BYTES, each against all of k and v: the
 * same result, since softmax runs along each query's own row. A mask with a query axis (its
 * second-to-last, when longer than one) is split the same way.
 */
export function scaledDotProductAttention(mx: MxBackend, q: MxArray, k: MxArray, v: MxArray, scale: number, mask?: MxArray): MxArray {
  const bounds = mx.device === 'cpu' ? queryChunkBounds(q, k) : [];
  if (bounds.length === 0) return mx.fast.scaledDotProductAttention(q, k, v, scale, mask);
  const queryAxis = 2;
  const queries = mx.split(q, bounds, queryAxis);
  const maskQueryAxis = mask ? mask.ndim - 2 : -1;
  const masks = mask && maskQueryAxis >= 0 && mask.shape[maskQueryAxis]! > 1 ? mx.split(mask, bounds, maskQueryAxis) : undefined;
  const outputs = queries.map((part, i) => mx.fast.scaledDotProductAttention(part, k, v, scale, masks ? masks[i] : mask));
  return mx.concatenate(outputs, queryAxis);
}

/** Where to split q's query axis so each chunk's scores fit the budget; empty when q fits whole. */
export function queryChunkBounds(q: MxArray, k: MxArray, budgetBytes = CPU_SCORE_BUDGET_BYTES): number[] {
  const [batch, heads, queries] = q.shape as [number, number, number, number];
  const keys = k.shape[2]!;
  // Counted as float32, the widest scores the engine makes, so a half-precision model's chunks only get smaller.
  const rowBytes = batch * heads * keys * 4;
  const rows = Math.max(MIN_CHUNK_ROWS, Math.floor(budgetBytes / rowBytes));
  const bounds: number[] = [];
  for (let start = rows; start < queries; start += rows) bounds.push(start);
  return bounds;
}
