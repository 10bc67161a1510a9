// The blocked GEMM driver (BLIS loop order: columns NC, depth KC, rows MC, then the WASM
// macro-kernel). Operands are staged into the arena once per call and packed by WASM.
import type { DType, TypedArray } from '../../dtype.js';
import type { StridedView } from '../backend.js';
import type { Arena } from './arena.js';
import { nrOf, type GemmShape } from './matmul-kernels.js';
import { copyOut, stage } from './stage.js';
import { forEachElement } from '../odometer.js';

type I32Fn7 = (a: number, b: number, c: number, d: number, e: number, f: number, g: number) => void;
type I32Fn9 = (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number, i: number) => void;

/** The exports and geometry of one element type's GEMM. */
export interface GemmKernels {
  readonly dtype: DType;
  readonly shape: GemmShape;
  readonly packA: I32Fn7;
  readonly packB: I32Fn7;
  readonly macro: I32Fn7;
  /** The macro-kernel that stores instead of accumulating: the first depth block's. */
  readonly macroSet: I32Fn7;
  /** `macroSet` reading A where it is staged (strides in bytes), for an A of one block; absent when unrolled. */
  readonly macroSetStridedA?: I32Fn9;
  /** Moves padded rows together (see `emitCompact`). */
  readonly compact: (dst: number, src: number, rows: number, rowBytes: number, pitchBytes: number) => void;
  /** Depth block: one B micro-panel (KC × NR) must stay in L1 across the row sweep. */
  readonly kc: number;
  /** Row block: the packed A block (MC × KC) should live in L2. */
  readonly mc: number;
  /** Column block: the packed B block (KC × NC) should live in L2/L3. */
  readonly nc: number;
}

const roundUp = (x: number, q: number): number => Math.ceil(x / q) * q;

/**
 * The block sizes of an m×k by k×n product, shared by the single- and multi-threaded drivers.
 * Blocks are whole tiles: a C block starts on a tile boundary of the padded C (`mPad × ldc`).
 */
export function blockLayout(kern: GemmKernels, m: number, k: number, n: number) {
  const g = kern.shape;
  const mr = g.mr;
  const nr = nrOf(g);
  return {
    es: g.esize,
    mr,
    nr,
    kcMax: Math.min(roundUp(kern.kc, g.unroll), roundUp(k, g.unroll)),
    mcMax: Math.min(roundUp(kern.mc, mr), roundUp(m, mr)),
    ncMax: Math.min(roundUp(kern.nc, nr), roundUp(n, nr)),
    ldc: roundUp(n, nr),
    mPad: roundUp(m, mr),
  };
}

/**
 * `out[batch] = a[batch] · b[batch]` as in `Backend.matmul`. Rows/columns are padded to the
 * register tile inside a scratch C, so the macro-kernel only ever sees whole tiles.
 */
export function gemm(...args: Parameters<typeof prepareGemm>): void {
  prepareGemm(...args)();
}

const nothing = (): void => {};

/**
 * {@link gemm} as two halves: the call stages the operands (where they do not already live in
 * linear memory) and lays out the scratch; the function it returns runs the products. Where
 * both operands already live in memory that function may run again for their new contents
 * (jit's lowered replay), as long as the scratch's base does not move.
 */
export function prepareGemm(
  arena: Arena,
  kern: GemmKernels,
  a: StridedView,
  b: StridedView,
  batchShape: readonly number[],
  m: number,
  k: number,
  n: number,
  out: TypedArray,
): () => void {
  const nb = batchShape.length;
  const batches = batchShape.reduce((x, y) => x * y, 1);
  if (batches === 0 || m === 0 || n === 0) return nothing;
  if (k === 0) return () => out.fill(0, 0, batches * m * n);
  const { shape: g, dtype } = kern;
  const { es, mr, nr, kcMax, mcMax, ncMax, ldc: ldcPad, mPad } = blockLayout(kern, m, k, n);
  // NOTE: a C of one column panel and one depth block is stored at its own pitch (n): each
  // tile row's stores run past the row's end onto the next rows, which the macro-kernel stores
  // after it (tiles and their rows go in ascending order), so nothing needs compacting. Only
  // here: the threaded driver's row blocks run at once, and a second depth block would load
  // the overrun as C.
  const ldc = ldcPad === nr && k <= kcMax ? n : ldcPad;

  arena.reset();
  const sa = stage(arena, a, [...batchShape, m, k], dtype);
  const aRow = sa.strides[nb]!;
  const aCol = sa.strides[nb + 1]!;
  // An A of one depth block that fits L1 (16 KiB) beside the B micro-panel, with strides >= 0,
  // is read where it is staged instead of packed, when at most 4 column panels read it again
  // (measured: a transposed 128×128 A, and 128×10×128, each +3% read in place; 150×16×16 -10%).
  // Its padding rows read past it: the slack keeps those reads in memory.
  // An A read where it already lives (linear memory) has whatever follows it there: direct only
  // where those reads stay inside memory.
  const slack = (mPad - m) * aRow * es;
  const inside = a.data.buffer !== arena.memoryBuffer || a.data.byteOffset + a.data.byteLength + slack <= arena.memoryBytes;
  const direct = k <= kcMax && m * k * es <= 16384 && n <= 4 * nr && aRow >= 0 && aCol >= 0 && inside ? kern.macroSetStridedA : undefined;
  if (direct) arena.alloc(slack);
  const sb = stage(arena, b, [...batchShape, k, n], dtype);
  const ap = arena.alloc(mcMax * kcMax * es);
  const bp = arena.alloc(ncMax * kcMax * es);
  const cp = arena.alloc(mPad * ldcPad * es);
  const bRow = sb.strides[nb]!;
  const bCol = sb.strides[nb + 1]!;
  // A single B block per batch can be reused when consecutive batches share B (stride 0).
  const singleB = ncMax >= n && kcMax >= k;
  let packedB = -1;

  const product = (batch: number, aOff: number, bOff: number): void => {
    for (let jc = 0; jc < n; jc += ncMax) {
      const nc = Math.min(ncMax, n - jc);
      for (let pc = 0; pc < k; pc += kcMax) {
        const kc = Math.min(kcMax, k - pc);
        const kcPad = roundUp(kc, g.unroll);
        if (!(singleB && packedB === bOff)) {
          kern.packB(sb.ptr + (bOff + pc * bRow + jc * bCol) * es, bCol, bRow, nc, kc, bp, kcPad);
          packedB = singleB ? bOff : -1;
        }
        if (direct) {
          direct(sa.ptr + aOff * es, bp, cp + jc * es, mPad, roundUp(nc, nr), k, ldc * es, aRow * es, aCol * es);
          continue;
        }
        for (let ic = 0; ic < m; ic += mcMax) {
          const mc = Math.min(mcMax, m - ic);
          kern.packA(sa.ptr + (aOff + ic * aRow + pc * aCol) * es, aRow, aCol, mc, kc, ap, kcPad);
          (pc === 0 ? kern.macroSet : kern.macro)(ap, bp, cp + (ic * ldc + jc) * es, roundUp(mc, mr), roundUp(nc, nr), kcPad, ldc * es);
        }
      }
    }
    // Copy the valid m × n corner of the padded C out: rows moved together in WASM first when
    // padded (a JS loop, or a subarray per row, costs more than the product for narrow ones).
    if (ldc !== n) kern.compact(cp, cp, m, n * es, ldc * es);
    const c0 = cp / es;
    copyOut(arena.view(dtype), c0, m * n, out, batch * m * n);
  };
  // One product needs no batch odometer (its arrays and closures cost as much as a small product).
  if (nb === 0)
    return () => {
      packedB = -1;
      product(0, sa.offset, sb.offset);
    };
  // The batch odometer (row-major over batchShape) gives each product's operand offsets.
  const batchA = { offset: sa.offset, strides: sa.strides.slice(0, nb) };
  const batchB = { offset: sb.offset, strides: sb.strides.slice(0, nb) };
  return () => {
    packedB = -1;
    forEachElement(batchShape, [batchA, batchB], (batch, offsets) => product(batch, offsets[0]!, offsets[1]!));
  };
}
