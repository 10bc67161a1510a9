// The threaded GEMM: the same blocking as `gemm` (identical depth blocks, so every element of C
// sums the same products in the same order: results are bit-identical), laid out as a job for
// the thread pool. Phase 1 packs every B block once, in column chunks; phase 2 splits the rows
// of C into chunks, each packing its own A rows and accumulating into its own rows of C.
import type { TypedArray } from '../../dtype.js';
import type { StridedView } from '../backend.js';
import { blockLayout, type GemmKernels } from './gemm.js';
import type { ResidentCopies } from './resident-copies.js';
import { stage, type Staged } from './stage.js';
import { forEachElement } from '../odometer.js';
import { MAX_UNITS, POOL_FUNCTIONS, RECORD_WORDS, type ThreadPool } from './threads.js';

/** A memory page, as the system maps it (the smallest size; larger pages take more than one write). */
const PAGE_BYTES = 4096;

const roundUp = (x: number, q: number): number => Math.ceil(x / q) * q;
const fnIndex = (name: (typeof POOL_FUNCTIONS)[number]): number => POOL_FUNCTIONS.indexOf(name);

/**
 * The phase-2 units, in claim order, as [batch, first row, rows]: guided self-scheduling. Each
 * unit takes about 1/(2·threads) of the rows not yet handed out (at most the single-threaded row
 * block, at least `minRows`), so units shrink toward the end of the job. A worker that woke late
 * or was preempted (the usual case on a 2-vCPU machine shared with other work) then keeps the
 * caller waiting for one small unit, not for a quarter of the product; smaller units cost no
 * extra packing (a unit packs only its own rows of A).
 */
function rowUnits(m: number, mr: number, mcMax: number, batches: number, threads: number): [number, number, number][] {
  const minRows = roundUp(8, mr); // whole tiles: every unit but a batch's last starts and ends on one
  const units: [number, number, number][] = [];
  let left = batches * m;
  for (let batch = 0; batch < batches; batch++) {
    for (let i0 = 0; i0 < m; ) {
      const share = roundUp(Math.ceil(left / (2 * threads)), mr);
      const rows = Math.min(m - i0, mcMax, Math.max(minRows, share));
      units.push([batch, i0, rows]);
      i0 += rows;
      left -= rows;
    }
  }
  return units;
}

/**
 * `out[batch] = a[batch] · b[batch]` on `pool`, as `gemm` computes it. Returns false, having
 * done nothing, when the product does not split into at least two row chunks (then the
 * caller's single-threaded path is as fast) or needs more units than one job can hold.
 */
export function parallelGemm(
  pool: ThreadPool,
  kern: GemmKernels,
  a: StridedView,
  b: StridedView,
  batchShape: readonly number[],
  m: number,
  k: number,
  n: number,
  out: TypedArray,
  copies: ResidentCopies,
): boolean {
  const nb = batchShape.length;
  const batches = batchShape.reduce((x, y) => x * y, 1);
  const { shape: g, dtype } = kern;
  const { es, mr, nr, kcMax, mcMax, ncMax, ldc, mPad } = blockLayout(kern, m, k, n);
  const threads = pool.readyWorkers() + 1;
  const units = rowUnits(m, mr, mcMax, batches, threads);
  if (units.length < 2) return false;
  const kBlocks = Math.ceil(k / kcMax);
  const nBlocks = Math.ceil(n / ncMax);
  // Phase-1 column chunks: split a B block across the threads when the batch alone cannot.
  const bChunk = Math.max(nr, roundUp(Math.ceil(ncMax / threads), nr));

  pool.wake();
  // Operands reused call after call (a model's weights, a fixed input) are read from their
  // resident copies in the shared memory, looked up before the scratch is laid out.
  const [residentA, residentB] = copies.stagedViews([a, b], [batches * m * k, batches * k * n]) as [Staged | null, Staged | null];
  const arena = pool.arena;
  arena.resetApart();
  const sa = residentA ?? stage(arena, a, [...batchShape, m, k], dtype);
  const sb = residentB ?? stage(arena, b, [...batchShape, k, n], dtype);
  const aRow = sa.strides[nb]!;
  const aCol = sa.strides[nb + 1]!;
  const bRow = sb.strides[nb]!;
  const bCol = sb.strides[nb + 1]!;

  // Per-batch operand offsets over the staged strides; batches that share B (stride-0 batch
  // axes) share its packing.
  const aOffs = new Array<number>(batches);
  const bIdx = new Array<number>(batches);
  const bOffs: number[] = [];
  const bSeen = new Map<number, number>();
  const batchA = { offset: sa.offset, strides: sa.strides.slice(0, nb) };
  const batchB = { offset: sb.offset, strides: sb.strides.slice(0, nb) };
  forEachElement(batchShape, [batchA, batchB], (batch, offsets) => {
    const bOff = offsets[1]!;
    aOffs[batch] = offsets[0]!;
    let bi = bSeen.get(bOff);
    if (bi === undefined) {
      bi = bOffs.push(bOff) - 1;
      bSeen.set(bOff, bi);
    }
    bIdx[batch] = bi;
  });
  const phase1 = bOffs.length * nBlocks * kBlocks * Math.ceil(ncMax / bChunk);
  const total = phase1 + units.length;
  if (total > MAX_UNITS) return false;

  // Packed B: per distinct B, per column block, per depth block, kcPad × ncPad elements.
  const blockPtr: number[] = [];
  const bBlock = (bi: number, jb: number, pb: number): number => blockPtr[(bi * nBlocks + jb) * kBlocks + pb]!;
  for (let bi = 0; bi < bOffs.length; bi++) {
    for (let jc = 0; jc < n; jc += ncMax) {
      const ncPad = roundUp(Math.min(ncMax, n - jc), nr);
      for (let pc = 0; pc < k; pc += kcMax) blockPtr.push(arena.alloc(roundUp(Math.min(kcMax, k - pc), g.unroll) * ncPad * es));
    }
  }
  const cp = arena.alloc(batches * mPad * ldc * es);
  // Each unit's packed A rows (a unit's rows are whole tiles but for a batch's last: mPad per batch).
  let apNext = arena.alloc(batches * mPad * kcMax * es);
  const recCount = phase1 + units.length * 2 * nBlocks * kBlocks;
  const tablePtr = arena.alloc(total * 8);
  const recsPtr = arena.alloc(recCount * RECORD_WORDS * 4);

  const mem = arena.i32();
  const tbl = tablePtr >> 2;
  let r = recsPtr >> 2;
  let rec = 0;
  let unit = 0;
  const packA = fnIndex(dtype === 'float64' ? 'pack_a_f64' : 'pack_a_f32');
  const packB = fnIndex(dtype === 'float64' ? 'pack_b_f64' : 'pack_b_f32');
  const macro = fnIndex(dtype === 'float64' ? 'macro_f64' : 'macro_f32');
  const macroSet = fnIndex(dtype === 'float64' ? 'macro_set_f64' : 'macro_set_f32');
  const emit = (f: number, x0: number, x1 = 0, x2 = 0, x3 = 0, x4 = 0, x5 = 0, x6 = 0): void => {
    mem[r] = f;
    mem[r + 1] = x0;
    mem[r + 2] = x1;
    mem[r + 3] = x2;
    mem[r + 4] = x3;
    mem[r + 5] = x4;
    mem[r + 6] = x5;
    mem[r + 7] = x6;
    r += RECORD_WORDS;
    rec++;
  };
  const beginUnit = (): void => {
    mem[tbl + 2 * unit] = rec;
  };
  const endUnit = (): void => {
    mem[tbl + 2 * unit + 1] = rec - mem[tbl + 2 * unit]!;
    unit++;
  };

  for (let bi = 0; bi < bOffs.length; bi++) {
    const bOff = bOffs[bi]!;
    for (let jc = 0, jb = 0; jc < n; jc += ncMax, jb++) {
      const nc = Math.min(ncMax, n - jc);
      for (let pc = 0, pb = 0; pc < k; pc += kcMax, pb++) {
        const kc = Math.min(kcMax, k - pc);
        const kcPad = roundUp(kc, g.unroll);
        // A chunk of whole NR-column panels packs independently into its own panels.
        for (let j0 = 0; j0 < ncMax; j0 += bChunk) {
          beginUnit();
          if (j0 < nc) {
            const w = Math.min(bChunk, nc - j0);
            emit(
              packB,
              sb.ptr + (bOff + pc * bRow + (jc + j0) * bCol) * es,
              bCol,
              bRow,
              w,
              kc,
              bBlock(bi, jb, pb) + (j0 / nr) * kcPad * nr * es,
              kcPad,
            );
          }
          endUnit();
        }
      }
    }
  }
  for (const [batch, i0, rows] of units) {
    const aOff = aOffs[batch]!;
    const cb = cp + batch * mPad * ldc * es;
    const ap = apNext;
    apNext += roundUp(rows, mr) * kcMax * es;
    beginUnit();
    for (let jc = 0, jb = 0; jc < n; jc += ncMax, jb++) {
      const nc = Math.min(ncMax, n - jc);
      for (let pc = 0, pb = 0; pc < k; pc += kcMax, pb++) {
        const kc = Math.min(kcMax, k - pc);
        const kcPad = roundUp(kc, g.unroll);
        emit(packA, sa.ptr + (aOff + i0 * aRow + pc * aCol) * es, aRow, aCol, rows, kc, ap, kcPad);
        emit(
          pb === 0 ? macroSet : macro,
          ap,
          bBlock(bIdx[batch]!, jb, pb),
          cb + (i0 * ldc + jc) * es,
          roundUp(rows, mr),
          roundUp(nc, nr),
          kcPad,
          ldc * es,
        );
      }
    }
    endUnit();
  }

  // The caller copies out the rows of each unit it ran as soon as that unit is done, while the
  // workers still compute (the copy is part of its share of the job instead of a serial tail:
  // a fresh result page-faults at its first write), and the workers' rows after the job.
  const c0 = cp / es;
  let touched = false;
  pool.run(tablePtr, recsPtr, phase1, total, (u, own) => {
    // Before its first copy the caller writes one element a page's length apart over the
    // result: a fresh array takes its page faults here, beside the workers, instead of in the
    // serial copy of their rows at the end (a cache line a page where it is mapped already).
    if (own && !touched) {
      touched = true;
      for (let e = 0, step = PAGE_BYTES / es, end = batches * m * n; e < end; e += step) out[e] = 0;
    }
    const view = arena.view(dtype);
    const [batch, i0, rows] = units[u - phase1]!;
    const cb = c0 + batch * mPad * ldc + i0 * ldc;
    const o0 = batch * m * n + i0 * n;
    if (ldc === n) out.set(view.subarray(cb, cb + rows * n), o0);
    else for (let r = 0; r < rows; r++) out.set(view.subarray(cb + r * ldc, cb + r * ldc + n), o0 + r * n);
  });
  return true;
}
