// WASM code generation for the elementwise kernels (binary, unary, where) and last-axis reductions;
// kernel-families.ts lists their variants and names.
// Map loops process whole vectors only: the driver pads buffers, so there is no scalar tail.
import { FunctionBuilder, OP, SIMD, T, type ModuleBuilder, type SimdOp } from './emitter.js';
import { emitExpF32, emitLogF32, emitSigmoidF32, emitTanhF32 } from './math-f32.js';
import { Lane, Lanes } from './wide-math.js';

/** How the operands of a map are passed: vectors `a`, `b`, or a scalar splatted across lanes. */
export type MapMode = 'v' | 'vv' | 'vs' | 'sv';

/** Pushes the result vector; `inputs` are the v128 locals holding the operands. */
export type VectorBody = (f: FunctionBuilder, inputs: readonly number[]) => void;

/**
 * Emits `name(x, [b | scalar,] out, nvec)`: for `i < nvec`, out vector i = body(inputs i).
 * Scalars arrive as an f32/f64 parameter and are splatted once, outside the loop. With `unroll`
 * > 1 the main loop computes that many vectors per pass (all loaded first, then each computed
 * and stored; a single-vector loop finishes the rest): the polynomial approximations are chains
 * of dependent operations, and independent chains side by side keep the SIMD units busy
 * (measured 1.8-2x for exp, sigmoid, tanh and log at 4 on a 2-core AMD EPYC; 8 was no better).
 * Every lane computes the same operations either way, so results are identical.
 */
export function emitMap(mod: ModuleBuilder, name: string, esize: 4 | 8, mode: MapMode, body: VectorBody, unroll = 1): void {
  const scalarT = esize === 4 ? T.f32 : T.f64;
  const params =
    mode === 'v' ? [T.i32, T.i32, T.i32] : mode === 'vv' ? [T.i32, T.i32, T.i32, T.i32] : [T.i32, scalarT, T.i32, T.i32];
  const f = new FunctionBuilder(params, []);
  const out = params.length - 2;
  const nvec = params.length - 1;
  const i = f.local(T.i32);
  const splat = esize === 4 ? SIMD.f32x4Splat : SIMD.f64x2Splat;
  // A splatted scalar is the same for every vector of a pass: one local serves them all.
  const scalar = mode === 'vs' || mode === 'sv' ? f.local(T.v128) : -1;
  if (scalar >= 0) f.get(1).simd(splat).set(scalar);
  const vectors = (): number[] => Array.from({ length: unroll }, () => f.local(T.v128));
  const xa = mode === 'sv' ? new Array<number>(unroll).fill(scalar) : vectors();
  const xb = mode === 'vs' ? new Array<number>(unroll).fill(scalar) : mode === 'v' ? [] : vectors();
  const addr = (param: number): void => {
    f.get(param).get(i).i32(4).op(OP.i32Shl, OP.i32Add);
  };
  f.forRangeUnrolled(i, nvec, unroll, (count) => {
    for (let u = 0; u < count; u++) {
      if (mode !== 'sv') {
        addr(0);
        f.vmem(SIMD.load, u * 16, 0).set(xa[u]!);
      }
      if (mode === 'vv' || mode === 'sv') {
        addr(mode === 'vv' ? 1 : 0);
        f.vmem(SIMD.load, u * 16, 0).set(xb[u]!);
      }
    }
    for (let u = 0; u < count; u++) {
      addr(out);
      body(f, mode === 'v' ? [xa[u]!] : [xa[u]!, xb[u]!]);
      f.vmem(SIMD.store, u * 16, 0);
    }
  });
  mod.add(name, f);
}

/**
 * Emits `name(x, out, nvec) -> flagged` for a float32 function evaluated in float64 lanes: each
 * f32x4 vector is promoted to two f64x2 halves, `body` runs on each, and the results are
 * rounded back to float32 (once). With a finite `limit`, returns 1 when some lane had
 * |x| > limit (those lanes' results are not to be used), else 0.
 */
export function emitWidenedMap(mod: ModuleBuilder, name: string, body: (w: Lanes, x: Lane) => Lane, limit = Infinity): void {
  const f = new FunctionBuilder([T.i32, T.i32, T.i32], [T.i32]);
  const [src, out, nvec] = [0, 1, 2];
  const i = f.local(T.i32);
  const x = f.local(T.v128);
  const flags = f.local(T.v128);
  const lo = f.local(T.v128);
  const hi = f.local(T.v128);
  const w = new Lanes(f);
  const addr = (param: number): void => {
    f.get(param).get(i).i32(4).op(OP.i32Shl, OP.i32Add);
  };
  f.forRange(i, nvec, 1, () => {
    addr(src);
    f.vmem(SIMD.load, 0, 0).set(x);
    if (Number.isFinite(limit)) f.get(flags).get(x).simd(SIMD.f32x4Abs).v128Splat(limit, 4).simd(SIMD.f32x4Gt, SIMD.or).set(flags);
    f.get(x).simd(SIMD.f64x2PromoteLowF32x4).set(lo);
    f.get(x).get(x).shuffle([8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7]).simd(SIMD.f64x2PromoteLowF32x4).set(hi);
    const low = body(w, new Lane(lo));
    const high = body(w, new Lane(hi));
    addr(out);
    f.get(low.local).simd(SIMD.f32x4DemoteF64x2Zero).get(high.local).simd(SIMD.f32x4DemoteF64x2Zero);
    f.shuffle([0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23]);
    f.vmem(SIMD.store, 0, 0);
  });
  f.get(flags).simd(SIMD.anyTrue);
  mod.add(name, f);
}

/**
 * Emits `name(cond, a, b | scalar, out, nvec)`: out = cond != 0 ? a : b, lane by lane, by a
 * bit select under the mask cond != 0 (NaN counts as true and −0 as false, as in JavaScript).
 * `mode` says which of a and b is a scalar splatted once outside the loop.
 */
export function emitWhere(mod: ModuleBuilder, name: string, esize: 4 | 8, mode: 'vv' | 'vs' | 'sv'): void {
  const scalarT = esize === 4 ? T.f32 : T.f64;
  const f = new FunctionBuilder([T.i32, mode === 'sv' ? scalarT : T.i32, mode === 'vs' ? scalarT : T.i32, T.i32, T.i32], []);
  const [cond, pa, pb, out, nvec] = [0, 1, 2, 3, 4];
  const i = f.local(T.i32);
  const xa = f.local(T.v128);
  const xb = f.local(T.v128);
  const splat = esize === 4 ? SIMD.f32x4Splat : SIMD.f64x2Splat;
  if (mode === 'sv') f.get(pa).simd(splat).set(xa);
  if (mode === 'vs') f.get(pb).simd(splat).set(xb);
  const addr = (param: number): void => {
    f.get(param).get(i).i32(4).op(OP.i32Shl, OP.i32Add);
  };
  f.forRange(i, nvec, 1, () => {
    if (mode !== 'sv') {
      addr(pa);
      f.vmem(SIMD.load, 0, 0).set(xa);
    }
    if (mode !== 'vs') {
      addr(pb);
      f.vmem(SIMD.load, 0, 0).set(xb);
    }
    addr(out);
    f.get(xa).get(xb);
    addr(cond);
    f.vmem(SIMD.load, 0, 0);
    f.v128Splat(0, esize === 4 ? 4 : 2);
    f.simd(esize === 4 ? SIMD.f32x4Ne : SIMD.f64x2Ne, SIMD.bitselect);
    f.vmem(SIMD.store, 0, 0);
  });
  mod.add(name, f);
}

/** The binary ops with an exact SIMD instruction (same rounding as the scalar JS kernel). */
export const SIMD_BINARY = ['add', 'sub', 'mul', 'div', 'maximum'] as const;
export type SimdBinary = (typeof SIMD_BINARY)[number];

/** Each binary op's instruction, [float32, float64] (the fused kernels emit the same ones). */
export const BINARY_OPS: Record<SimdBinary, readonly [SimdOp, SimdOp]> = {
  add: [SIMD.f32x4Add, SIMD.f64x2Add],
  sub: [SIMD.f32x4Sub, SIMD.f64x2Sub],
  mul: [SIMD.f32x4Mul, SIMD.f64x2Mul],
  div: [SIMD.f32x4Div, SIMD.f64x2Div],
  // NOTE: f32x4.max propagates NaN and orders -0 < +0, exactly like Math.max.
  maximum: [SIMD.f32x4Max, SIMD.f64x2Max],
};

/** The unary ops with an exact SIMD instruction, in both dtypes (the approximations below are float32 only). */
export const SIMD_EXACT_UNARY = ['neg', 'abs', 'sqrt'] as const;

/** The exact unary ops' instructions, [float32, float64]. */
export const EXACT_UNARY_OPS: Record<(typeof SIMD_EXACT_UNARY)[number], readonly [SimdOp, SimdOp]> = {
  neg: [SIMD.f32x4Neg, SIMD.f64x2Neg],
  abs: [SIMD.f32x4Abs, SIMD.f64x2Abs],
  sqrt: [SIMD.f32x4Sqrt, SIMD.f64x2Sqrt],
};

/** The float32 approximations in float32 lanes, each pushing f(x) for the v128 local x. */
export const APPROXIMATE_F32 = ['exp', 'log', 'sigmoid', 'tanh'] as const;
export type ApproximateF32 = (typeof APPROXIMATE_F32)[number];
export const EMIT_APPROXIMATE_F32: Record<ApproximateF32, (f: FunctionBuilder, x: number) => void> = {
  exp: emitExpF32,
  log: emitLogF32,
  sigmoid: emitSigmoidF32,
  tanh: emitTanhF32,
};

/** Vectors per pass of the float32 approximations' loops (see emitMap). */
export const APPROXIMATION_UNROLL = 4;

/**
 * `name(src, rows, len, dst)`: `dst[r]` (a float64) = sum or max of row `r` of a contiguous
 * `rows × len` block. float32 sums accumulate in f64x2, like the JS kernel's float64 local: a
 * float32 running sum of a long row would lose about log2(len) bits. Max propagates NaN.
 */
export function emitReduceRows(mod: ModuleBuilder, name: string, esize: 4 | 8, op: 'sum' | 'max'): void {
  const f = new FunctionBuilder([T.i32, T.i32, T.i32, T.i32], []);
  const [src, rows, len, dst] = [0, 1, 2, 3];
  const r = f.local(T.i32);
  const p = f.local(T.i32);
  const vEnd = f.local(T.i32);
  const end = f.local(T.i32);
  const acc0 = f.local(T.v128);
  const acc1 = f.local(T.v128);
  const v = f.local(T.v128);
  const s = f.local(T.f64);
  const f32 = esize === 4;
  const isSum = op === 'sum';
  const vAdd = SIMD.f64x2Add;
  const init = (): void => {
    if (isSum) f.v128Splat(0, 2);
    else f.v128Splat(-Infinity, f32 ? 4 : 2);
  };

  f.get(src).set(p);
  f.forRange(r, rows, 1, () => {
    f.get(p).get(len).i32(esize).op(OP.i32Mul, OP.i32Add).set(end);
    // Vector part: whole vectors of the row (rows are not vector-aligned; loads need not be).
    f.get(p).get(len).i32(f32 ? -4 : -2).op(OP.i32And).i32(esize).op(OP.i32Mul, OP.i32Add).set(vEnd);
    init();
    f.set(acc0);
    init();
    f.set(acc1);
    f.loopUntil(
      () => f.get(p).get(vEnd).op(OP.i32Eq),
      () => {
        f.get(p).vmem(SIMD.load, 0, 0).set(v);
        if (isSum && f32) {
          // Widen both halves: promote_low on v, then on v with its high half shuffled down.
          f.get(acc0).get(v).simd(SIMD.f64x2PromoteLowF32x4, vAdd).set(acc0);
          f.get(acc1).get(v).get(v).shuffle([8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7]);
          f.simd(SIMD.f64x2PromoteLowF32x4, vAdd).set(acc1);
        } else if (isSum) {
          f.get(acc0).get(v).simd(vAdd).set(acc0);
        } else {
          f.get(acc0).get(v).simd(f32 ? SIMD.f32x4Max : SIMD.f64x2Max).set(acc0);
        }
        f.get(p).i32(16).op(OP.i32Add).set(p);
      },
    );
    // Combine lanes into the scalar s.
    if (isSum) {
      f.get(acc0).get(acc1).simd(vAdd).tee(acc0).lane(SIMD.f64x2ExtractLane, 0);
      f.get(acc0).lane(SIMD.f64x2ExtractLane, 1).op(OP.f64Add).set(s);
    } else if (f32) {
      f.get(acc0).lane(SIMD.f32x4ExtractLane, 0).get(acc0).lane(SIMD.f32x4ExtractLane, 1).op(OP.f32Max);
      f.get(acc0).lane(SIMD.f32x4ExtractLane, 2).get(acc0).lane(SIMD.f32x4ExtractLane, 3).op(OP.f32Max);
      f.op(OP.f32Max, OP.f64PromoteF32).set(s);
    } else {
      f.get(acc0).lane(SIMD.f64x2ExtractLane, 0).get(acc0).lane(SIMD.f64x2ExtractLane, 1).op(OP.f64Max).set(s);
    }
    // Scalar tail of the row.
    f.loopUntil(
      () => f.get(p).get(end).op(OP.i32Eq),
      () => {
        f.get(s).get(p);
        if (f32) f.mem(OP.f32Load, 0, 2).op(OP.f64PromoteF32);
        else f.mem(OP.f64Load, 0, 3);
        f.op(isSum ? OP.f64Add : OP.f64Max).set(s);
        f.get(p).i32(esize).op(OP.i32Add).set(p);
      },
    );
    f.get(dst).get(r).i32(3).op(OP.i32Shl, OP.i32Add).get(s).mem(OP.f64Store, 0, 3);
  });
  mod.add(name, f);
}
