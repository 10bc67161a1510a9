// WASM code generation for the kernels between floats and bool masks (one byte, 0 or 1, per
// element): comparisons that write a mask, and `where` that reads one. Both work in blocks of
// 16 elements (one v128 of mask bytes, 4 f32x4 or 8 f64x2 vectors); the driver pads to blocks.
import { FunctionBuilder, OP, SIMD, T, type ModuleBuilder, type SimdOp } from './emitter.js';

/** Elements per iteration of a mask kernel: the bytes of one v128. */
export const MASK_BLOCK = 16;

/** How the float operands are passed: two vectors, or one of them a scalar splatted once. */
export type MaskMode = 'vv' | 'vs' | 'sv';

/**
 * The comparisons with a bool output. NOTE: the f32x4/f64x2 compares are IEEE's, like
 * JavaScript's operators: NaN compares false, except under notEqual, and −0 equals +0.
 */
export const SIMD_COMPARISON = ['greater', 'greaterEqual', 'less', 'lessEqual', 'equal', 'notEqual'] as const;
export type SimdComparison = (typeof SIMD_COMPARISON)[number];

/** Each comparison's lane-mask instruction, [float32, float64] (the fused kernels emit the same ones). */
export const COMPARISON_OPS: Record<SimdComparison, readonly [SimdOp, SimdOp]> = {
  greater: [SIMD.f32x4Gt, SIMD.f64x2Gt],
  greaterEqual: [SIMD.f32x4Ge, SIMD.f64x2Ge],
  less: [SIMD.f32x4Lt, SIMD.f64x2Lt],
  lessEqual: [SIMD.f32x4Le, SIMD.f64x2Le],
  equal: [SIMD.f32x4Eq, SIMD.f64x2Eq],
  notEqual: [SIMD.f32x4Ne, SIMD.f64x2Ne],
};

// i8x16.shuffle selectors taking the low 32 bits of each 64-bit lane of two vectors: two f64x2
// masks (all ones or all zeros per lane) become one i32x4 mask, in element order.
const LOW_HALVES = [0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27];

/**
 * Emits `name(x, y | scalar, out, nblocks)` (as the binary map kernels: in 'vv' x is a and y is
 * b; otherwise x is the vector operand and the scalar the other one): for each block of 16
 * elements, out bytes = a op b as 0 or 1. The lane masks (−1 or 0) are narrowed with signed
 * saturation, which keeps −1 and 0, down to one byte per element, then ANDed with 1.
 */
export function emitCompareToMask(mod: ModuleBuilder, name: string, esize: 4 | 8, mode: MaskMode, compare: SimdOp): void {
  const scalarT = esize === 4 ? T.f32 : T.f64;
  const f = new FunctionBuilder([T.i32, mode === 'vv' ? T.i32 : scalarT, T.i32, T.i32], []);
  const [px, py, out, nblocks] = [0, 1, 2, 3];
  const i = f.local(T.i32);
  const xa = f.local(T.v128);
  const xb = f.local(T.v128);
  const splat = esize === 4 ? SIMD.f32x4Splat : SIMD.f64x2Splat;
  if (mode !== 'vv')
    f.get(py)
      .simd(splat)
      .set(mode === 'vs' ? xb : xa);
  const loads: readonly (readonly [number, number])[] =
    mode === 'vv'
      ? [
          [px, xa],
          [py, xb],
        ]
      : mode === 'vs'
        ? [[px, xa]]
        : [[px, xb]];
  const blockShift = Math.log2(MASK_BLOCK * esize);
  /** Pushes the lane mask of vector `v` of the block. */
  const mask = (v: number): void => {
    for (const [param, local] of loads) {
      f.get(param)
        .get(i)
        .i32(blockShift)
        .op(OP.i32Shl, OP.i32Add)
        .vmem(SIMD.load, v * 16, 0)
        .set(local);
    }
    f.get(xa).get(xb).simd(compare);
  };
  /** Pushes the i32x4 mask of elements 4k .. 4k+3. */
  const quad = (k: number): void => {
    if (esize === 4) mask(k);
    else {
      mask(2 * k);
      mask(2 * k + 1);
      f.shuffle(LOW_HALVES);
    }
  };
  f.forRange(i, nblocks, 1, () => {
    f.get(out).get(i).i32(4).op(OP.i32Shl, OP.i32Add);
    quad(0);
    quad(1);
    f.simd(SIMD.i16x8NarrowI32x4S);
    quad(2);
    quad(3);
    f.simd(SIMD.i16x8NarrowI32x4S, SIMD.i8x16NarrowI16x8S);
    f.v128I32(0x01010101).simd(SIMD.and);
    f.vmem(SIMD.store, 0, 0);
  });
  mod.add(name, f);
}

/**
 * Emits `name(cond, a | scalar, b | scalar, out, nblocks)`: out = cond != 0 ? a : b with a bool
 * `cond`, 16 elements a block. The bytes' `!= 0` mask (0xFF or 0) is sign-extended to 16, 32
 * (and for float64, 64) bits, halves in element order, and each lane mask bit-selects a or b.
 */
export function emitWhereOnMask(mod: ModuleBuilder, name: string, esize: 4 | 8, mode: MaskMode): void {
  const scalarT = esize === 4 ? T.f32 : T.f64;
  const f = new FunctionBuilder([T.i32, mode === 'sv' ? scalarT : T.i32, mode === 'vs' ? scalarT : T.i32, T.i32, T.i32], []);
  const [cond, pa, pb, out, nblocks] = [0, 1, 2, 3, 4];
  const i = f.local(T.i32);
  const xa = f.local(T.v128);
  const xb = f.local(T.v128);
  const splat = esize === 4 ? SIMD.f32x4Splat : SIMD.f64x2Splat;
  if (mode === 'sv') f.get(pa).simd(splat).set(xa);
  if (mode === 'vs') f.get(pb).simd(splat).set(xb);
  const widenings: readonly (readonly [SimdOp, SimdOp])[] = [
    [SIMD.i16x8ExtendLowI8x16S, SIMD.i16x8ExtendHighI8x16S],
    [SIMD.i32x4ExtendLowI16x8S, SIMD.i32x4ExtendHighI16x8S],
    ...(esize === 8 ? ([[SIMD.i64x2ExtendLowI32x4S, SIMD.i64x2ExtendHighI32x4S]] as const) : []),
  ];
  const blockShift = Math.log2(MASK_BLOCK * esize);
  const addr = (param: number, shift: number): void => {
    f.get(param).get(i).i32(shift).op(OP.i32Shl, OP.i32Add);
  };
  f.forRange(i, nblocks, 1, () => {
    let current = [f.local(T.v128)];
    addr(cond, 4);
    f.vmem(SIMD.load, 0, 0).v128I32(0).simd(SIMD.i8x16Ne).set(current[0]!);
    for (const [low, high] of widenings) {
      current = current.flatMap((m) => {
        const [lo, hi] = [f.local(T.v128), f.local(T.v128)];
        f.get(m).simd(low).set(lo);
        f.get(m).simd(high).set(hi);
        return [lo, hi];
      });
    }
    current.forEach((m, v) => {
      addr(out, blockShift);
      if (mode !== 'sv') {
        addr(pa, blockShift);
        f.vmem(SIMD.load, v * 16, 0).set(xa);
      }
      if (mode !== 'vs') {
        addr(pb, blockShift);
        f.vmem(SIMD.load, v * 16, 0).set(xb);
      }
      f.get(xa).get(xb).get(m).simd(SIMD.bitselect);
      f.vmem(SIMD.store, v * 16, 0);
    });
  });
  mod.add(name, f);
}
