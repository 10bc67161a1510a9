// A fused elementwise kernel split across the thread pool: its vectors cut into equal units,
// each computed by the kernel's job form (fused-kernels.ts `emitFusedUnit`) on whichever thread
// claims it, into one result region of the pool's memory, and copied out by the caller: each of
// its own units as soon as it is done (still in its cache), the workers' ones at the end (or
// left there, for a reduction the caller then runs over the region). The
// operands are read where they lie in that memory (their resident copies there): staging them
// first would cost the caller about what the split saves.
import type { TypedArray } from '../../dtype.js';
import { FUSED_ARG_BYTES, type OperandLayout } from './fused-kernels.js';
import { RECORD_WORDS, type ThreadPool } from './threads.js';

/**
 * Vectors per unit: 64 KiB of float32 results. Units this size leave a late worker, or one the
 * host preempts, a small tail to finish, for a claim (two atomic adds) per 4,096 vectors.
 */
const UNIT_VECTORS = 4096;

/**
 * `out = expr(operands)` over `n` elements on `pool`, by the kernel at `slot` (a
 * {@link ThreadPool.addKernel} index): `args[k]` is vector operand k's byte address in the
 * pool's memory or scalar k's value, as `layouts[k]` says. The result has the bits of the
 * single-threaded kernel's: every vector is computed by the same instructions. With `out`
 * null, nothing is copied out: the result stays in the pool's memory, at the byte address
 * returned, until the pool's next job lays out its scratch (`n` elements, then the last
 * vector's padding).
 */
export function parallelFused(
  pool: ThreadPool,
  slot: number,
  args: readonly number[],
  layouts: readonly OperandLayout[],
  dtype: 'float32' | 'float64',
  out: TypedArray | null,
  n: number = out!.length,
): number {
  const es = dtype === 'float32' ? 4 : 8;
  const nvec = Math.ceil((n * es) / 16);
  const units = Math.ceil(nvec / UNIT_VECTORS);
  const arena = pool.arena;
  arena.resetApart();
  const argsAt = arena.alloc((args.length + 1) * FUSED_ARG_BYTES);
  const result = arena.alloc(nvec * 16);
  const tableAt = arena.alloc(units * 8);
  const recsAt = arena.alloc(units * RECORD_WORDS * 4);
  const words = arena.i32();
  const values = arena.view(dtype);
  for (const [k, value] of args.entries()) {
    if (layouts[k] === 'scalar') values[(argsAt + k * FUSED_ARG_BYTES) / es] = value;
    else words[(argsAt + k * FUSED_ARG_BYTES) >> 2] = value;
  }
  words[(argsAt + args.length * FUSED_ARG_BYTES) >> 2] = result;
  for (let u = 0; u < units; u++) {
    const first = u * UNIT_VECTORS;
    words[(tableAt >> 2) + 2 * u] = u;
    words[(tableAt >> 2) + 2 * u + 1] = 1;
    const r = (recsAt >> 2) + u * RECORD_WORDS;
    words.fill(0, r, r + RECORD_WORDS);
    words[r] = slot;
    words[r + 1] = argsAt;
    words[r + 2] = first;
    words[r + 3] = Math.min(UNIT_VECTORS, nvec - first);
  }
  if (out === null) {
    pool.run(tableAt, recsAt, 0, units);
    return result;
  }
  const perUnit = (UNIT_VECTORS * 16) / es;
  pool.run(tableAt, recsAt, 0, units, (u) => {
    const view = arena.view(dtype);
    const from = result / es + u * perUnit;
    out.set(view.subarray(from, Math.min(from + perUnit, result / es + n)), u * perUnit);
  });
  return result;
}
