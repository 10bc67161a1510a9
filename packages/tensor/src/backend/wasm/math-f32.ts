// Vectorised float32 exp, log, sigmoid and tanh as f32x4 code. float64 never comes here: those
// kernels stay on Math.* so float64 results are exactly the reference's.
// Error bounds (ulp vs float32(Math.*)) were measured over 2^22 samples; the tests enforce them.
import { SIMD, T, type FunctionBuilder } from './emitter.js';

// ln 2 split so that n * LN2_HI is exact for |n| < 2^9: LN2_HI has 9 significant bits
// (Cody–Waite); LN2_LO carries the rest, so the reduced argument keeps full precision.
const LN2_HI = 0.693359375;
const LN2_LO = -2.1219444005469057e-4;
// 1.5·2^23: floats in [2^23, 2^24) are spaced 1 apart, and x/ln2 + this stays there for |x/ln2| < 2^22.
const ROUNDING_SHIFT = 12582912;
const ROUNDING_SHIFT_BITS = 0x4b400000;

function splat(f: FunctionBuilder, value: number): FunctionBuilder {
  return f.v128Splat(value, 4);
}

/** Horner evaluation of `coeffs[0] + coeffs[1]·t + ...` with t in local `t`. */
function horner(f: FunctionBuilder, t: number, coeffs: readonly number[]): void {
  splat(f, coeffs[coeffs.length - 1]!);
  for (let i = coeffs.length - 2; i >= 0; i--) f.get(t).simd(SIMD.f32x4Mul).v128Splat(coeffs[i]!, 4).simd(SIMD.f32x4Add);
}

/**
 * Pushes exp(x) for the v128 local `x`. x = n·ln2 + r with n = round(x/ln2), |r| ≤ ln2/2;
 * e^r by its degree-7 Taylor polynomial (truncation < 5e-9 relative); 2^n applied as two
 * exponent-field multiplies 2^(n/2)·2^(n - n/2), so results that overflow become +inf and
 * those in the subnormal range round once, correctly, instead of flushing.
 * Max error vs float32(Math.exp(x)): 1 ulp, subnormal results included (2^22 samples).
 */
export function emitExpF32(f: FunctionBuilder, x: number): void {
  const xc = f.local(T.v128);
  const shifted = f.local(T.v128);
  const n = f.local(T.v128);
  const r = f.local(T.v128);
  const ni = f.local(T.v128);
  const half = f.local(T.v128);
  // Beyond [-104, 89] the result is 0 or +inf anyway; min/max keep NaN as NaN.
  f.get(x).v128Splat(89, 4).simd(SIMD.f32x4Min).v128Splat(-104, 4).simd(SIMD.f32x4Max).set(xc);
  // n = round(x/ln2) by adding ROUNDING_SHIFT: the sum's ulp is 1, so the addition itself rounds
  // to the nearest integer, ties to even (what f32x4.nearest does), and n as an integer is the
  // sum's bit pattern minus the shift's. This replaces nearest and i32x4.trunc_sat, which V8
  // lowers to a long saturating sequence on x64, with one add and two subtractions.
  f.get(xc).v128Splat(Math.LOG2E, 4).simd(SIMD.f32x4Mul).v128Splat(ROUNDING_SHIFT, 4).simd(SIMD.f32x4Add).tee(shifted);
  f.v128Splat(ROUNDING_SHIFT, 4).simd(SIMD.f32x4Sub).set(n);
  f.get(xc).get(n).v128Splat(LN2_HI, 4).simd(SIMD.f32x4Mul, SIMD.f32x4Sub);
  f.get(n).v128Splat(LN2_LO, 4).simd(SIMD.f32x4Mul, SIMD.f32x4Sub).set(r);
  horner(f, r, [1, 1, 1 / 2, 1 / 6, 1 / 24, 1 / 120, 1 / 720, 1 / 5040]);
  f.get(shifted).v128I32(ROUNDING_SHIFT_BITS).simd(SIMD.i32x4Sub).tee(ni).i32(1).simd(SIMD.i32x4ShrS).set(half);
  // Scale factors 2^k built directly as bit patterns (k + 127) << 23; |k| ≤ 75 keeps them normal.
  f.get(half).v128I32(127).simd(SIMD.i32x4Add).i32(23).simd(SIMD.i32x4Shl, SIMD.f32x4Mul);
  f.get(ni).get(half).simd(SIMD.i32x4Sub).v128I32(127).simd(SIMD.i32x4Add).i32(23).simd(SIMD.i32x4Shl, SIMD.f32x4Mul);
}

/**
 * Pushes log(x). x = m·2^e with m in [√½, √2) (subnormals pre-scaled by 2^23), and
 * log m = 2·atanh(t), t = (m-1)/(m+1), |t| ≤ 0.172, by its odd series to t^9 (truncation
 * < 3e-10). e·ln2 uses the split constant. 0 → -inf, x < 0 → NaN, +inf → +inf, NaN → NaN.
 * Max error vs float32(Math.log(x)): 3 ulp (2^22 samples of all positive floats, subnormals too).
 */
export function emitLogF32(f: FunctionBuilder, x: number): void {
  const sub = f.local(T.v128);
  const xs = f.local(T.v128);
  const e = f.local(T.v128);
  const m = f.local(T.v128);
  const big = f.local(T.v128);
  const t = f.local(T.v128);
  const t2 = f.local(T.v128);
  const ef = f.local(T.v128);
  const res = f.local(T.v128);
  f.get(x).v128Splat(2 ** -126, 4).simd(SIMD.f32x4Lt).set(sub);
  f.get(x).v128Splat(2 ** 23, 4).simd(SIMD.f32x4Mul).get(x).get(sub).simd(SIMD.bitselect).set(xs);
  // Biased exponent minus 127, minus 23 more where the input was pre-scaled.
  f.get(xs).i32(23).simd(SIMD.i32x4ShrS).v128I32(127).simd(SIMD.i32x4Sub);
  f.get(sub).v128I32(-23).simd(SIMD.and, SIMD.i32x4Add).set(e);
  f.get(xs).v128I32(0x007fffff).simd(SIMD.and).v128I32(0x3f800000).simd(SIMD.or).set(m);
  f.get(m).v128Splat(Math.SQRT2, 4).simd(SIMD.f32x4Gt).set(big);
  f.get(m).v128Splat(0.5, 4).simd(SIMD.f32x4Mul).get(m).get(big).simd(SIMD.bitselect).set(m);
  f.get(e).get(big).simd(SIMD.i32x4Sub, SIMD.f32x4ConvertI32x4S).set(ef); // mask is -1: e + 1
  // m - 1 is exact (Sterbenz), so t keeps full relative precision near x = 1.
  f.get(m).v128Splat(1, 4).simd(SIMD.f32x4Sub).get(m).v128Splat(1, 4).simd(SIMD.f32x4Add, SIMD.f32x4Div).set(t);
  f.get(t).get(t).simd(SIMD.f32x4Mul).set(t2);
  f.get(t).get(t).simd(SIMD.f32x4Add);
  horner(f, t2, [1, 1 / 3, 1 / 5, 1 / 7, 1 / 9]);
  f.simd(SIMD.f32x4Mul);
  f.get(ef).v128Splat(LN2_LO, 4).simd(SIMD.f32x4Mul, SIMD.f32x4Add);
  f.get(ef).v128Splat(LN2_HI, 4).simd(SIMD.f32x4Mul, SIMD.f32x4Add).set(res);
  const special = (value: number, mask: () => void): void => {
    splat(f, value).get(res);
    mask();
    f.simd(SIMD.bitselect).set(res);
  };
  special(-Infinity, () => void f.get(x).v128Splat(0, 4).simd(SIMD.f32x4Eq));
  special(NaN, () => void f.get(x).v128Splat(0, 4).simd(SIMD.f32x4Lt));
  special(Infinity, () => void f.get(x).v128Splat(Infinity, 4).simd(SIMD.f32x4Eq));
  f.get(x).get(res).get(x).get(x).simd(SIMD.f32x4Ne, SIMD.bitselect);
}

/**
 * Pushes sigmoid(x) = num / (1 + e) with e = exp(-|x|) and num = 1 (x ≥ 0) or e (x < 0): the
 * exponent never overflows, and tiny results for very negative x stay relative-accurate.
 * Max error vs float32 of the JS kernel's float64 formula: 2 ulp (2^22 samples in [-110, 110]).
 */
export function emitSigmoidF32(f: FunctionBuilder, x: number): void {
  const nx = f.local(T.v128);
  const e = f.local(T.v128);
  f.get(x).simd(SIMD.f32x4Abs, SIMD.f32x4Neg).set(nx);
  emitExpF32(f, nx);
  f.set(e);
  f.get(e).v128Splat(1, 4).get(x).v128Splat(0, 4).simd(SIMD.f32x4Lt, SIMD.bitselect);
  f.get(e).v128Splat(1, 4).simd(SIMD.f32x4Add, SIMD.f32x4Div);
}

// Below this |x| the polynomial is used: 1 - 2/(e^2x + 1) would cancel digits near 0.
const TANH_SERIES_MAX = 0.55;
// tanh(x) = x + x·u·P(u), u = x², on |x| < 0.55: P of degree 4, fitted to (tanh(x) − x)/(x·u) by
// least squares on 400 Chebyshev nodes in u, reweighted toward equal ripple in the relative error
// of tanh (Lawson's iteration, done once offline in float64); max relative error 1.04e-9 over a
// grid of 200,000 points, below float32's 6e-8 half-ulp. It replaced an 11-term Taylor series
// (the same accuracy, twice the multiply-adds): the leading x is exact and the correction is at
// most a tenth of the value, so float32 rounding in the polynomial barely reaches the result.
const TANH_POLY = [-0.33333317558453246, 0.13332586102100705, -0.05385230643966363, 0.021071665827954455, -0.006274222002951303];

/**
 * Pushes tanh(x): x + x·u·P(u) (u = x², see TANH_POLY) for |x| < 0.55, else
 * sign(x)·(1 - 2/(e^{2|x|} + 1)), which saturates to ±1 once e^{2|x|} overflows. Max error vs
 * float32(Math.tanh(x)): 1 ulp measured (2^22 log-uniform samples); the tests allow 2.
 */
export function emitTanhF32(f: FunctionBuilder, x: number): void {
  const ax = f.local(T.v128);
  const u = f.local(T.v128);
  const small = f.local(T.v128);
  const twoAx = f.local(T.v128);
  f.get(x).simd(SIMD.f32x4Abs).set(ax);
  f.get(x).get(x).simd(SIMD.f32x4Mul).set(u);
  horner(f, u, TANH_POLY);
  f.get(u).simd(SIMD.f32x4Mul).get(x).simd(SIMD.f32x4Mul).get(x).simd(SIMD.f32x4Add).set(small);
  f.get(ax).get(ax).simd(SIMD.f32x4Add).set(twoAx);
  f.v128Splat(1, 4);
  f.v128Splat(2, 4);
  emitExpF32(f, twoAx);
  f.v128Splat(1, 4).simd(SIMD.f32x4Add, SIMD.f32x4Div, SIMD.f32x4Sub);
  // Copy the sign bit of x onto the large-|x| branch, then choose per lane.
  f.get(x).v128I32(0x7fffffff).simd(SIMD.bitselect);
  f.set(twoAx);
  f.get(small).get(twoAx).get(ax).v128Splat(TANH_SERIES_MAX, 4).simd(SIMD.f32x4Lt, SIMD.bitselect);
}
