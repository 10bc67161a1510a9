// WASM code for im2col (unfold) and col2im (fold) with unit column stride. Both walk a table of
// runs computed once per window geometry in JS (see windowRuns): a run is one output row of
// one tap of a plane, the byte offsets of where it lands in the columns and where it reads in
// the plane, and the part [first, end) of it that lies inside the plane. Unfold copies that
// part (memory.copy) and zero-fills the rest; fold adds it back into the plane with vector
// adds, in the JS kernel's order, so both backends give the same bits.
import type { WindowGeometry } from '../backend.js';
import { FunctionBuilder, OP, SIMD, T, type ModuleBuilder } from './emitter.js';

/** Bytes per run in the table: four int32s (cols offset, plane offset, first, end; all in bytes). */
export const RUN_BYTES = 16;

/** The parameter slots the two kernels' loops walk: plane and column pointers, the run table and the counts. */
interface RunLoopSlots {
  readonly planes: number;
  readonly cols: number;
  readonly table: number;
  readonly runs: number;
  readonly count: number;
  readonly planeBytes: number;
  readonly colsBytes: number;
}

/**
 * The loops both kernels share: for each of `count` planes, `body(t)` once per table entry with
 * local `t` at the entry; then the plane and column pointers move on by a plane.
 */
function emitRunLoops(f: FunctionBuilder, s: RunLoopSlots, body: (t: number) => void): void {
  const pl = f.local(T.i32);
  const r = f.local(T.i32);
  const t = f.local(T.i32);
  f.forRange(pl, s.count, 1, () => {
    f.get(s.table).set(t);
    f.i32(0).set(r);
    f.forRange(r, s.runs, 1, () => {
      body(t);
      f.get(t).i32(RUN_BYTES).op(OP.i32Add).set(t);
    });
    f.get(s.planes).get(s.planeBytes).op(OP.i32Add).set(s.planes);
    f.get(s.cols).get(s.colsBytes).op(OP.i32Add).set(s.cols);
  });
}

/**
 * Emits `name(planes, cols, table, runs, count, planeBytes, colsBytes, rowBytes)`: for each of
 * `count` planes (at `planes`, `planeBytes` apart) and each of the `runs` table entries, writes
 * the run's `rowBytes` bytes of columns (at `cols`, `colsBytes` apart per plane).
 */
export function emitUnfoldRuns(mod: ModuleBuilder, name: string): void {
  const f = new FunctionBuilder([T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.i32], []);
  const [planes, cols, table, runs, count, planeBytes, colsBytes, rowBytes] = [0, 1, 2, 3, 4, 5, 6, 7];
  const dst = f.local(T.i32);
  const first = f.local(T.i32);
  const end = f.local(T.i32);
  emitRunLoops(f, { planes, cols, table, runs, count, planeBytes, colsBytes }, (t) => {
    f.get(cols).get(t).mem(OP.i32Load, 0, 2).op(OP.i32Add).set(dst);
    f.get(t).mem(OP.i32Load, 8, 2).set(first);
    f.get(t).mem(OP.i32Load, 12, 2).set(end);
    // zeros before, the copy, zeros after (a padding row has first = end = 0: all zeros).
    f.get(dst).i32(0).get(first).memoryFill();
    f.get(dst).get(first).op(OP.i32Add);
    f.get(planes).get(t).mem(OP.i32Load, 4, 2).op(OP.i32Add).get(first).op(OP.i32Add);
    f.get(end).get(first).op(OP.i32Sub).memoryCopy();
    f.get(dst).get(end).op(OP.i32Add).i32(0).get(rowBytes).get(end).op(OP.i32Sub).memoryFill();
  });
  mod.add(name, f);
}

/**
 * Emits `name(cols, planes, table, runs, count, planeBytes, colsBytes)`: zeroes the `count`
 * planes, then adds each run's inside part of the columns into its plane, run by run.
 */
export function emitFoldRuns(mod: ModuleBuilder, name: string, esize: 4 | 8): void {
  const f = new FunctionBuilder([T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.i32], []);
  const [cols, planes, table, runs, count, planeBytes, colsBytes] = [0, 1, 2, 3, 4, 5, 6];
  const src = f.local(T.i32); // the run's first column in cols
  const dst = f.local(T.i32); // where column 0 of the run lands in the plane
  const i = f.local(T.i32);
  const end = f.local(T.i32);
  const vecEnd = f.local(T.i32);
  const f32 = esize === 4;
  const [load, store, add] = f32 ? [OP.f32Load, OP.f32Store, OP.f32Add] : [OP.f64Load, OP.f64Store, OP.f64Add];
  const align = f32 ? 2 : 3;
  f.get(planes).i32(0).get(planeBytes).get(count).op(OP.i32Mul).memoryFill();
  emitRunLoops(f, { planes, cols, table, runs, count, planeBytes, colsBytes }, (t) => {
    f.get(cols).get(t).mem(OP.i32Load, 0, 2).op(OP.i32Add).set(src);
    f.get(planes).get(t).mem(OP.i32Load, 4, 2).op(OP.i32Add).set(dst);
    f.get(t).mem(OP.i32Load, 8, 2).set(i);
    f.get(t).mem(OP.i32Load, 12, 2).set(end);
    f.get(end).get(i).op(OP.i32Sub).i32(-16).op(OP.i32And).get(i).op(OP.i32Add).set(vecEnd);
    f.forRange(i, vecEnd, 16, () => {
      f.get(dst).get(i).op(OP.i32Add);
      f.get(dst).get(i).op(OP.i32Add).vmem(SIMD.load, 0, 0).get(src).get(i).op(OP.i32Add).vmem(SIMD.load, 0, 0);
      f.simd(f32 ? SIMD.f32x4Add : SIMD.f64x2Add).vmem(SIMD.store, 0, 0);
    });
    f.forRange(i, end, esize, () => {
      f.get(dst).get(i).op(OP.i32Add);
      f.get(dst).get(i).op(OP.i32Add).mem(load, 0, align).get(src).get(i).op(OP.i32Add).mem(load, 0, align);
      f.op(add).mem(store, 0, align);
    });
  });
  mod.add(name, f);
}

// Run tables depend only on the geometry and the element size; a training loop asks for the same few again and again.
const runCache = new Map<string, Int32Array>();

/**
 * The run table of one plane for `g` (unit column stride) with `esize`-byte elements: per tap
 * (i, j) and output row p, in the JS kernel's order, [cols offset, plane offset of output
 * column 0 (may be negative), first, end] in bytes; a row in the padding has first = end = 0.
 */
export function windowRuns(g: WindowGeometry, esize: number): Int32Array {
  const key = [esize, g.height, g.width, ...g.padding, ...g.kernel, ...g.stride, ...g.dilation, ...g.out].join(',');
  const cached = runCache.get(key);
  if (cached !== undefined) return cached;
  const [kh, kw] = g.kernel;
  const [oh, ow] = g.out;
  const table = new Int32Array(kh * kw * oh * 4);
  let k = 0;
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const offset = j * g.dilation[1] - g.padding[1];
      const first = Math.min(ow, Math.max(0, -offset));
      const end = Math.max(first, Math.min(ow, g.width - offset));
      for (let p = 0; p < oh; p++) {
        const r = p * g.stride[0] + i * g.dilation[0] - g.padding[0];
        const inside = r >= 0 && r < g.height;
        table[k++] = ((i * kw + j) * oh + p) * ow * esize;
        table[k++] = inside ? (r * g.width + offset) * esize : 0;
        table[k++] = inside ? first * esize : 0;
        table[k++] = inside ? end * esize : 0;
      }
    }
  }
  if (runCache.size > 256) runCache.clear();
  runCache.set(key, table);
  return table;
}
