// WASM code for the accumulating kernels: running sums along an axis and scatter-adds of rows.
// Both add in the JS kernels' order, element by element, so both backends give the same bits.
import { FunctionBuilder, OP, SIMD, T, type ModuleBuilder } from './emitter.js';

/**
 * Emits `name(src, dst, acc, outer, n, width, reverse)`: for each of `outer` blocks of `n` rows
 * of `width` elements, `dst` row k = running sum of `src` rows 0..k (or k..n−1 when `reverse`).
 * `acc` holds `width` float64 partial sums (scratch). The rows are walked whole, each as
 * vectors across the width (one column's sum per lane); with `width` 1 (a last-axis scan) the
 * sum stays in a register instead.
 */
export function emitCumsum(mod: ModuleBuilder, name: string, esize: 4 | 8): void {
  const f = new FunctionBuilder([T.i32, T.i32, T.i32, T.i32, T.i32, T.i32, T.i32], []);
  const [src, dst, acc, outer, n, width, reverse] = [0, 1, 2, 3, 4, 5, 6];
  const o = f.local(T.i32);
  const k = f.local(T.i32);
  const p = f.local(T.i32); // the current source row
  const shift = f.local(T.i32); // dst − src in bytes: the output row is p + shift
  const step = f.local(T.i32); // bytes between processed rows (negative when reversed)
  const rowBytes = f.local(T.i32);
  const i = f.local(T.i32); // byte offset within the row
  const vecEnd = f.local(T.i32);
  const a = f.local(T.i32); // the accumulator address for element i
  const s = f.local(T.f64);
  const v = f.local(T.v128);
  const lo = f.local(T.v128);
  const hi = f.local(T.v128);
  const f32 = esize === 4;
  const lanes = f32 ? 4 : 2;
  const load = (): void => {
    if (f32) f.mem(OP.f32Load, 0, 2).op(OP.f64PromoteF32);
    else f.mem(OP.f64Load, 0, 3);
  };
  const store = (): void => {
    if (f32) f.op(OP.f32DemoteF64).mem(OP.f32Store, 0, 2);
    else f.mem(OP.f64Store, 0, 3);
  };

  f.get(dst).get(src).op(OP.i32Sub).set(shift);
  f.get(width).i32(esize).op(OP.i32Mul).set(rowBytes);
  f.get(rowBytes)
    .i32(-lanes * esize)
    .op(OP.i32And)
    .set(vecEnd);
  // step = reverse ? −rowBytes : rowBytes
  f.i32(0).get(rowBytes).op(OP.i32Sub).get(rowBytes).get(reverse).op(OP.select).set(step);
  f.get(src).set(p);
  f.forRange(o, outer, 1, () => {
    // The first row processed: the block's last when reversed.
    f.get(reverse).ifElse(() => f.get(p).get(n).i32(1).op(OP.i32Sub).get(rowBytes).op(OP.i32Mul, OP.i32Add).set(p));
    f.get(width)
      .i32(1)
      .op(OP.i32Eq)
      .ifElse(
        () => {
          // One line: the float64 sum lives in a local.
          f.f64(0).set(s);
          f.i32(0).set(k);
          f.forRange(k, n, 1, () => {
            f.get(p).get(shift).op(OP.i32Add);
            f.get(s).get(p);
            load();
            f.op(OP.f64Add).tee(s);
            store();
            f.get(p).get(step).op(OP.i32Add).set(p);
          });
        },
        () => {
          f.get(acc).i32(0).get(width).i32(8).op(OP.i32Mul).memoryFill();
          f.i32(0).set(k);
          f.forRange(k, n, 1, () => {
            // Whole vectors across the row.
            f.i32(0).set(i);
            f.get(acc).set(a);
            f.forRange(i, vecEnd, lanes * esize, () => {
              f.get(p).get(i).op(OP.i32Add).vmem(SIMD.load, 0, 0).set(v);
              if (f32) {
                f.get(a).get(a).vmem(SIMD.load, 0, 0).get(v).simd(SIMD.f64x2PromoteLowF32x4, SIMD.f64x2Add).tee(lo).vmem(SIMD.store, 0, 0);
                f.get(a).get(a).vmem(SIMD.load, 16, 0).get(v).get(v).shuffle([8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7]);
                f.simd(SIMD.f64x2PromoteLowF32x4, SIMD.f64x2Add).tee(hi).vmem(SIMD.store, 16, 0);
                f.get(p).get(shift).op(OP.i32Add).get(i).op(OP.i32Add);
                f.get(lo).simd(SIMD.f32x4DemoteF64x2Zero).get(hi).simd(SIMD.f32x4DemoteF64x2Zero);
                f.shuffle([0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23]).vmem(SIMD.store, 0, 0);
                f.get(a).i32(32).op(OP.i32Add).set(a);
              } else {
                f.get(p).get(shift).op(OP.i32Add).get(i).op(OP.i32Add);
                f.get(a).get(a).vmem(SIMD.load, 0, 0).get(v).simd(SIMD.f64x2Add).tee(lo).vmem(SIMD.store, 0, 0);
                f.get(lo).vmem(SIMD.store, 0, 0);
                f.get(a).i32(16).op(OP.i32Add).set(a);
              }
            });
            // The scalar tail of the row.
            f.forRange(i, rowBytes, esize, () => {
              f.get(p).get(shift).op(OP.i32Add).get(i).op(OP.i32Add);
              f.get(a).get(a).mem(OP.f64Load, 0, 3).get(p).get(i).op(OP.i32Add);
              load();
              f.op(OP.f64Add).tee(s).mem(OP.f64Store, 0, 3);
              f.get(s);
              store();
              f.get(a).i32(8).op(OP.i32Add).set(a);
            });
            f.get(p).get(step).op(OP.i32Add).set(p);
          });
        },
      );
    // p is one step past the block's last processed row; move it to the next block's first row.
    f.get(reverse).ifElse(() => f.get(p).get(n).i32(1).op(OP.i32Add).get(rowBytes).op(OP.i32Mul, OP.i32Add).set(p));
  });
  mod.add(name, f);
}

/**
 * Emits `name(g, slots, acc, m, width, accBytes)`: zeroes `accBytes` at `acc`, then for each
 * row j < m of `g` (`width` elements) adds it into accumulator row `slots[j]` (an int32 array).
 * The rows add in j order, each from zero: the JS kernel's order, so the sums are the same bits
 * (a float32 sum rounded from float64, as the JS kernel does it, equals the float32 add).
 */
export function emitScatterAddRows(mod: ModuleBuilder, name: string, esize: 4 | 8): void {
  const f = new FunctionBuilder([T.i32, T.i32, T.i32, T.i32, T.i32, T.i32], []);
  const [g, slots, acc, m, width, accBytes] = [0, 1, 2, 3, 4, 5];
  const j = f.local(T.i32);
  const src = f.local(T.i32);
  const dst = f.local(T.i32);
  const i = f.local(T.i32);
  const rowBytes = f.local(T.i32);
  const vecEnd = f.local(T.i32);
  const f32 = esize === 4;
  const vAdd = f32 ? SIMD.f32x4Add : SIMD.f64x2Add;
  f.get(acc).i32(0).get(accBytes).memoryFill();
  f.get(width).i32(esize).op(OP.i32Mul).set(rowBytes);
  f.get(rowBytes).i32(-16).op(OP.i32And).set(vecEnd);
  const [load, store, add, align] = f32 ? [OP.f32Load, OP.f32Store, OP.f32Add, 2] : [OP.f64Load, OP.f64Store, OP.f64Add, 3];
  f.get(g).set(src);
  f.forRange(j, m, 1, () => {
    f.get(acc).get(slots).get(j).i32(2).op(OP.i32Shl, OP.i32Add).mem(OP.i32Load, 0, 2).get(rowBytes).op(OP.i32Mul, OP.i32Add).set(dst);
    f.i32(0).set(i);
    f.forRange(i, vecEnd, 16, () => {
      f.get(dst).get(i).op(OP.i32Add);
      f.get(dst).get(i).op(OP.i32Add).vmem(SIMD.load, 0, 0).get(src).get(i).op(OP.i32Add).vmem(SIMD.load, 0, 0).simd(vAdd);
      f.vmem(SIMD.store, 0, 0);
    });
    f.forRange(i, rowBytes, esize, () => {
      f.get(dst).get(i).op(OP.i32Add);
      f.get(dst).get(i).op(OP.i32Add).mem(load, 0, align);
      f.get(src).get(i).op(OP.i32Add).mem(load, 0, align);
      f.op(add).mem(store, 0, align);
    });
    f.get(src).get(rowBytes).op(OP.i32Add).set(src);
  });
  mod.add(name, f);
}
