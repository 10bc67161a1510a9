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

// e^r = 1 + r + r²·Q(r) on |r| ≤ ln2/2, Q of degree 4: fitted to (e^r − 1 − r)/r² by least squares
// on 2,000 Chebyshev nodes, reweighted toward equal ripple in the relative error of e^r (Lawson's
// iteration, done once offline in float64), then each coefficient rounded to float32 in turn and
// the rest refitted; max relative error 3.14e-9 over a grid of 200,000 points, below float32's
// 6e-8 half-ulp. It replaced the degree-7 Taylor polynomial (truncation 5e-9, two operations more).
const EXP_POLY = [0.4999999403953552, 0.1666652262210846, 0.04166829213500023, 0.008368532173335552, 0.0013818296138197184];

// For |x| ≤ this, n = round(x/ln2) is within [-126, 127], so 2^n is a normal float32 and one
// multiply by it rounds the result once (subnormal results included) and never overflows.
const ONE_SCALE_LIMIT = 87;

/**
 * Where exp's argument may lie: `tiny` when below −ONE_SCALE_LIMIT (results down to the subnormals
 * and 0), `huge` when above +ONE_SCALE_LIMIT (results up to +inf). NaN may always come.
 */
interface ExpRange {
  readonly tiny: boolean;
  readonly huge: boolean;
}

/** Pushes e^r·2^n for x = n·ln2 + r, scaling by `scale(shifted)`, which pushes 2^n's multiplier(s). */
function emitExpBody(f: FunctionBuilder, x: number, scale: (shifted: number) => void): void {
  const shifted = f.local(T.v128);
  const n = f.local(T.v128);
  const r = f.local(T.v128);
  // n = round(x/ln2) by adding ROUNDING_SHIFT: the sum's ulp is 1, so the addition itself rounds
  // to the nearest integer, ties to even (what f32x4.nearest does), and n as an integer is the
  // sum's bit pattern minus the shift's. This replaces nearest and i32x4.trunc_sat, which V8
  // lowers to a long saturating sequence on x64, with one add and two subtractions.
  f.get(x).v128Splat(Math.LOG2E, 4).simd(SIMD.f32x4Mul).v128Splat(ROUNDING_SHIFT, 4).simd(SIMD.f32x4Add).tee(shifted);
  f.v128Splat(ROUNDING_SHIFT, 4).simd(SIMD.f32x4Sub).set(n);
  f.get(x).get(n).v128Splat(LN2_HI, 4).simd(SIMD.f32x4Mul, SIMD.f32x4Sub);
  f.get(n).v128Splat(LN2_LO, 4).simd(SIMD.f32x4Mul, SIMD.f32x4Sub).set(r);
  // 1 + (r + r²·Q(r)).
  f.get(r).get(r).simd(SIMD.f32x4Mul);
  horner(f, r, EXP_POLY);
  f.simd(SIMD.f32x4Mul).get(r).simd(SIMD.f32x4Add).v128Splat(1, 4).simd(SIMD.f32x4Add);
  scale(shifted);
}

/** Pushes exp(x) for `x` in `range` (see emitExpF32). */
function emitExpRange(f: FunctionBuilder, x: number, range: ExpRange): void {
  // One multiply by 2^n, built as the bit pattern (n + 127) << 23: the shifted sum's bits are
  // ROUNDING_SHIFT_BITS + n, and ROUNDING_SHIFT_BITS << 23 vanishes modulo 2^32. A NaN lane gives
  // some scale, and NaN times anything is NaN.
  const once = (shifted: number): void => {
    f.get(shifted).v128I32(127).simd(SIMD.i32x4Add).i32(23).simd(SIMD.i32x4Shl, SIMD.f32x4Mul);
  };
  if (!range.tiny && !range.huge) {
    emitExpBody(f, x, once);
    return;
  }
  const res = f.local(T.v128);
  const xc = f.local(T.v128);
  // NOTE: a branch per vector, on whether any lane lies beyond ±ONE_SCALE_LIMIT: such lanes are
  // rare, and the careful path's clamps (V8 lowers the NaN- and −0-exact f32x4.min/max to several
  // instructions each on x64) and two-multiply scaling, taken for every vector, made exp 1.9x and
  // sigmoid 1.4x slower (measured on a 2-core Xeon). Where such lanes are common (uniform in
  // [-110, 110]) the branch mispredicts and costs ~20%, but there subnormal arithmetic already
  // makes either version 3-6x slower than on ordinary arguments.
  f.get(x);
  if (range.tiny && range.huge) f.simd(SIMD.f32x4Abs).v128Splat(ONE_SCALE_LIMIT, 4).simd(SIMD.f32x4Gt);
  else if (range.tiny) f.v128Splat(-ONE_SCALE_LIMIT, 4).simd(SIMD.f32x4Lt);
  else f.v128Splat(ONE_SCALE_LIMIT, 4).simd(SIMD.f32x4Gt);
  f.simd(SIMD.anyTrue);
  f.ifElse(
    () => {
      // Beyond [-104, 89] the result is 0 or +inf anyway; min/max keep NaN as NaN.
      f.get(x);
      if (range.huge) f.v128Splat(89, 4).simd(SIMD.f32x4Min);
      if (range.tiny) f.v128Splat(-104, 4).simd(SIMD.f32x4Max);
      f.set(xc);
      // 2^n as two exponent-field multiplies 2^(n/2)·2^(n - n/2) (|n/2| ≤ 75 keeps both normal),
      // so results that overflow become +inf and those in the subnormal range round once.
      emitExpBody(f, xc, (shifted) => {
        const ni = f.local(T.v128);
        const half = f.local(T.v128);
        f.get(shifted).v128I32(ROUNDING_SHIFT_BITS).simd(SIMD.i32x4Sub).tee(ni).i32(1).simd(SIMD.i32x4ShrS).set(half);
        f.get(half).v128I32(127).simd(SIMD.i32x4Add).i32(23).simd(SIMD.i32x4Shl, SIMD.f32x4Mul);
        f.get(ni).get(half).simd(SIMD.i32x4Sub).v128I32(127).simd(SIMD.i32x4Add).i32(23).simd(SIMD.i32x4Shl, SIMD.f32x4Mul);
      });
      f.set(res);
    },
    () => {
      emitExpBody(f, x, once);
      f.set(res);
    },
  );
  f.get(res);
}

/**
 * Pushes exp(x) for the v128 local `x`. x = n·ln2 + r with n = round(x/ln2), |r| ≤ ln2/2;
 * e^r by the polynomial EXP_POLY; 2^n applied as one multiply by a normal power of two where
 * the vector's lanes allow, else as two exponent-field multiplies, so results that overflow
 * become +inf and those in the subnormal range round once, correctly, instead of flushing.
 * Max error vs float32(Math.exp(x)): 1 ulp, subnormal results included (2^22 samples).
 */
export function emitExpF32(f: FunctionBuilder, x: number): void {
  emitExpRange(f, x, { tiny: true, huge: true });
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
  // -|x| by setting the sign bit; the argument is never above 0, so exp needs no upper clamp.
  f.get(x).v128I32(0x80000000 | 0).simd(SIMD.or).set(nx);
  emitExpRange(f, nx, { tiny: true, huge: false });
  f.set(e);
  f.get(e).v128Splat(1, 4).get(x).v128Splat(0, 4).simd(SIMD.f32x4Lt, SIMD.bitselect);
  f.get(e).v128Splat(1, 4).simd(SIMD.f32x4Add, SIMD.f32x4Div);
}

// Below this |x| the polynomial is used: 1 - 2/(e^2x + 1) would cancel digits near 0.
const TANH_SERIES_MAX = 0.55;
// 2|x| is capped here before exp: tanh rounds to 1 in float32 from 2|x| ≈ 18.03 on, and e^40 keeps
// exp on its one-multiply scaling (no clamp, no overflow).
const TANH_EXP_CAP = 40;
// tanh(x) = x + x·u·P(u), u = x², on |x| < 0.55: P of degree 4, fitted to (tanh(x) − x)/(x·u) by
// least squares on 400 Chebyshev nodes in u, reweighted toward equal ripple in the relative error
// of tanh (Lawson's iteration, done once offline in float64); max relative error 1.04e-9 over a
// grid of 200,000 points, below float32's 6e-8 half-ulp. It replaced an 11-term Taylor series
// (the same accuracy, twice the multiply-adds): the leading x is exact and the correction is at
// most a tenth of the value, so float32 rounding in the polynomial barely reaches the result.
const TANH_POLY = [-0.33333317558453246, 0.13332586102100705, -0.05385230643966363, 0.021071665827954455, -0.006274222002951303];

/**
 * Pushes tanh(x): x + x·u·P(u) (u = x², see TANH_POLY) for |x| < 0.55, else
 * sign(x)·(1 - 2/(e^{2|x|} + 1)), 2|x| capped at TANH_EXP_CAP (where the result is ±1). Max error
 * vs float32(Math.tanh(x)): 1 ulp measured (2^22 log-uniform samples); the tests allow 2.
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
  // min(2|x|, TANH_EXP_CAP) by pmin(2|x|, cap) = cap < 2|x| ? cap : 2|x|, which keeps NaN as NaN
  // (one minps on x64; f32x4.min's NaN and -0 rules cost a longer sequence).
  f.get(ax).get(ax).simd(SIMD.f32x4Add).v128Splat(TANH_EXP_CAP, 4).simd(SIMD.f32x4Pmin).set(twoAx);
  f.v128Splat(1, 4);
  f.v128Splat(2, 4);
  emitExpRange(f, twoAx, { tiny: false, huge: false });
  f.v128Splat(1, 4).simd(SIMD.f32x4Add, SIMD.f32x4Div, SIMD.f32x4Sub);
  // Copy the sign bit of x onto the large-|x| branch, then choose per lane.
  f.get(x).v128I32(0x7fffffff).simd(SIMD.bitselect);
  f.set(twoAx);
  f.get(small).get(twoAx).get(ax).v128Splat(TANH_SERIES_MAX, 4).simd(SIMD.f32x4Lt, SIMD.bitselect);
}
