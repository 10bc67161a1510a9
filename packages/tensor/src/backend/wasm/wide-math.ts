// float32 transcendental functions evaluated in float64 lanes: each f32x4 vector is widened to
// two f64x2 halves, the function is computed there to about 1e-13 relative, and the result is
// rounded once to float32. So the float32 result is within 1 ulp of float32(Math.f(x)), with no
// float32 cancellation traps, and float32 subnormal inputs are ordinary doubles.
// float64 tensors never come here: they stay on Math.* (the exact reference).
import { erfc as erfcReference, erf as erfReference } from '../special-functions.js';
import { SIMD, T, type FunctionBuilder, type SimdOp } from './emitter.js';

/** A v128 local holding two float64 lanes, or a lane mask. */
export class Lane {
  constructor(readonly local: number) {}
}

/** An operand: a lane local, or a number splatted into both lanes. */
type Operand = Lane | number;

const SIGN_BIT = -0x8000000000000000n;

/**
 * Straight-line f64x2 code in single-assignment style: every operation writes a fresh local and
 * returns it, so a function reads as its formula (`w.div(w.sub(m, 1), w.add(m, 1))`).
 */
export class Lanes {
  constructor(readonly f: FunctionBuilder) {}

  private result(): Lane {
    const local = this.f.local(T.v128);
    this.f.set(local);
    return new Lane(local);
  }
  private push(a: Operand): void {
    if (typeof a === 'number') this.f.v128Splat(a, 2);
    else this.f.get(a.local);
  }
  private op(code: SimdOp, ...args: Operand[]): Lane {
    for (const a of args) this.push(a);
    this.f.simd(code);
    return this.result();
  }
  /** A lane of the given bit pattern (exponent fields, masks). */
  bits(value: bigint): Lane {
    this.f.v128I64(value);
    return this.result();
  }
  add = (a: Operand, b: Operand): Lane => this.op(SIMD.f64x2Add, a, b);
  sub = (a: Operand, b: Operand): Lane => this.op(SIMD.f64x2Sub, a, b);
  mul = (a: Operand, b: Operand): Lane => this.op(SIMD.f64x2Mul, a, b);
  div = (a: Operand, b: Operand): Lane => this.op(SIMD.f64x2Div, a, b);
  /** NOTE: WebAssembly min/max propagate NaN, so clamping keeps NaN as NaN. */
  min = (a: Operand, b: Operand): Lane => this.op(SIMD.f64x2Min, a, b);
  max = (a: Operand, b: Operand): Lane => this.op(SIMD.f64x2Max, a, b);
  sqrt = (a: Operand): Lane => this.op(SIMD.f64x2Sqrt, a);
  abs = (a: Operand): Lane => this.op(SIMD.f64x2Abs, a);
  neg = (a: Operand): Lane => this.op(SIMD.f64x2Neg, a);
  floor = (a: Operand): Lane => this.op(SIMD.f64x2Floor, a);
  nearest = (a: Operand): Lane => this.op(SIMD.f64x2Nearest, a);
  lt = (a: Operand, b: Operand): Lane => this.op(SIMD.f64x2Lt, a, b);
  gt = (a: Operand, b: Operand): Lane => this.op(SIMD.f64x2Gt, a, b);
  le = (a: Operand, b: Operand): Lane => this.op(SIMD.f64x2Le, a, b);
  eq = (a: Operand, b: Operand): Lane => this.op(SIMD.f64x2Eq, a, b);
  ne = (a: Operand, b: Operand): Lane => this.op(SIMD.f64x2Ne, a, b);
  and = (a: Lane, b: Lane): Lane => this.op(SIMD.and, a, b);
  or = (a: Lane, b: Lane): Lane => this.op(SIMD.or, a, b);
  xor = (a: Lane, b: Lane): Lane => this.op(SIMD.xor, a, b);
  i64Add = (a: Lane, b: Lane): Lane => this.op(SIMD.i64x2Add, a, b);
  i64Sub = (a: Lane, b: Lane): Lane => this.op(SIMD.i64x2Sub, a, b);
  i64Shift(code: typeof SIMD.i64x2Shl | typeof SIMD.i64x2ShrU, a: Lane, by: number): Lane {
    this.f.get(a.local).i32(by).simd(code);
    return this.result();
  }
  /** Per lane: `mask ? yes : no` (the mask all ones or all zeros). */
  select(mask: Lane, yes: Operand, no: Operand): Lane {
    this.push(yes);
    this.push(no);
    this.f.get(mask.local).simd(SIMD.bitselect);
    return this.result();
  }
  /** |magnitude| with the sign bit of `signOf` (odd functions from their value on |x|). */
  copySign(magnitude: Lane, signOf: Lane): Lane {
    this.f.get(signOf.local).get(magnitude.local).v128I64(SIGN_BIT).simd(SIMD.bitselect);
    return this.result();
  }
  /** `coeffs[0] + coeffs[1]·t + …` by Horner's rule. */
  horner(t: Lane, coeffs: readonly number[]): Lane {
    let acc: Operand = coeffs[coeffs.length - 1]!;
    for (let i = coeffs.length - 2; i >= 0; i--) acc = this.add(this.mul(acc, t), coeffs[i]!);
    return typeof acc === 'number' ? this.add(0, acc) : acc;
  }
  /** `Σ c[k]·T_k(t)` (first coefficient halved, the usual convention) by Clenshaw's recurrence. */
  chebyshev(t: Lane, c: readonly number[]): Lane {
    const twoT = this.add(t, t);
    let b1: Operand = 0;
    let b2: Operand = 0;
    for (let k = c.length - 1; k >= 1; k--) {
      const b = this.add(this.sub(this.mul(twoT, b1), b2), c[k]!);
      b2 = b1;
      b1 = b;
    }
    return this.add(this.sub(this.mul(t, b1), b2), c[0]! / 2);
  }
}

/** 1/k! for k = 0 … n-1. */
const inverseFactorials = (n: number): number[] => {
  const out = [1];
  for (let k = 1; k < n; k++) out.push(out[k - 1]! / k);
  return out;
};
/** The entries at even (`from` 0) or odd (`from` 1) positions: an even or odd series' coefficients. */
const everyOther = (xs: readonly number[], from: 0 | 1): number[] => xs.filter((_, k) => k % 2 === from);
const signAlternating = (xs: readonly number[]): number[] => xs.map((v, k) => (k % 2 === 0 ? v : -v));

/** Math.LN2 without its low 21 bits: n·LN2_HI is exact for |n| < 2^21 (Cody–Waite). */
const LN2_HI = truncateBits(Math.LN2, 32);
const LN2_LO = Math.LN2 - LN2_HI;
/** Adding 1.5·2^52 to an integer-valued double puts that integer in the low mantissa bits. */
const ROUND_MAGIC = 1.5 * 2 ** 52;

/** `x` with only its leading `bits` significant bits (an exact split for Cody–Waite reduction). */
function truncateBits(x: number, bits: number): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const drop = 52 - (bits - 1);
  view.setBigUint64(0, (view.getBigUint64(0) >> BigInt(drop)) << BigInt(drop));
  return view.getFloat64(0);
}

// e^r for |r| ≤ ln2/2 by the Taylor polynomial of degree 11 (truncation < 1e-14 relative).
const EXP_COEFFS = inverseFactorials(12);

/** 2^n for integer-valued lanes n in [-1022, 1023], built as the bit pattern (n + 1023) << 52. */
function pow2(w: Lanes, n: Lane): Lane {
  const integer = w.i64Sub(w.add(n, ROUND_MAGIC), w.bits(0x4338000000000000n));
  return w.i64Shift(SIMD.i64x2Shl, w.i64Add(integer, w.bits(1023n)), 52);
}

/** e^x for x in [-700, 700] (callers clamp): x = n·ln2 + r, e^r by its Taylor polynomial. */
function exp(w: Lanes, x: Lane): Lane {
  const n = w.nearest(w.mul(x, Math.LOG2E));
  const r = w.sub(w.sub(x, w.mul(n, LN2_HI)), w.mul(n, LN2_LO));
  return w.mul(w.horner(r, EXP_COEFFS), pow2(w, n));
}

// log m = 2·atanh(t), t = (m-1)/(m+1), |t| ≤ 0.1716 for m in [√½, √2): the odd series to t^17
// (truncation < 1e-15 relative).
const ATANH_COEFFS = Array.from({ length: 9 }, (_, k) => 1 / (2 * k + 1));

/**
 * x = 2^e·m with m in [√½, √2), for positive finite x; returns e (integer-valued) and log m.
 * NOTE: float32 inputs are never subnormal as doubles, so the exponent field is all it takes.
 */
function logParts(w: Lanes, x: Lane): { e: Lane; logm: Lane } {
  const field = w.i64Shift(SIMD.i64x2ShrU, x, 52);
  // The field k as a double: the bits of 2^52 + k, minus 2^52 and the bias.
  const unbiased = w.sub(w.or(field, w.bits(0x4330000000000000n)), 2 ** 52 + 1023);
  let m = w.or(w.and(x, w.bits(0x000fffffffffffffn)), w.bits(0x3ff0000000000000n));
  const big = w.gt(m, Math.SQRT2);
  m = w.select(big, w.mul(m, 0.5), m);
  const e = w.add(unbiased, w.and(big, w.bits(0x3ff0000000000000n))); // +1.0 where halved
  // NOTE: m − 1 is exact (Sterbenz), so t keeps full relative precision near x = 1.
  const t = w.div(w.sub(m, 1), w.add(m, 1));
  const series = w.horner(w.mul(t, t), ATANH_COEFFS);
  return { e, logm: w.mul(w.add(t, t), series) };
}

/** The results of log-like functions at 0 (-inf), below 0 (NaN), +inf (+inf) and NaN. */
function logSpecials(w: Lanes, x: Lane, value: Lane): Lane {
  let v = w.select(w.eq(x, 0), -Infinity, value);
  v = w.select(w.lt(x, 0), Number.NaN, v);
  v = w.select(w.eq(x, Infinity), Infinity, v);
  return w.select(w.ne(x, x), x, v);
}

function log(w: Lanes, x: Lane): Lane {
  const { e, logm } = logParts(w, x);
  return logSpecials(w, x, w.add(w.mul(e, Math.LN2), logm));
}

/**
 * log(1 + x). For |x| < 1/2, Goldberg's correction log(u)·x/(u − 1) with u = 1 + x rounded
 * cancels the rounding of u (and u = 1 gives x itself, −0 included); beyond, log(u) is accurate.
 */
function log1p(w: Lanes, x: Lane): Lane {
  const u = w.add(x, 1);
  const logU = log(w, u);
  const corrected = w.select(w.eq(u, 1), x, w.mul(logU, w.div(x, w.sub(u, 1))));
  return w.select(w.lt(w.abs(x), 0.5), corrected, logU);
}

// Below |x| = 1/2, e^x − 1 by its series (no cancellation): x·Σ x^k/(k+1)!, to x^12.
const EXPM1_COEFFS = inverseFactorials(13).slice(1);

function expm1(w: Lanes, x: Lane): Lane {
  const series = w.mul(x, w.horner(x, EXPM1_COEFFS));
  // NOTE: e^-60 is below half an ulp of 1; e^100 overflows float32 (not float64).
  const direct = w.sub(exp(w, w.min(w.max(x, -60), 100)), 1);
  return w.select(w.lt(w.abs(x), 0.5), series, direct);
}

function exp2(w: Lanes, x: Lane): Lane {
  const xc = w.min(w.max(x, -200), 200);
  const n = w.nearest(xc);
  // x − n is exact, so only the product with ln 2 rounds (once, relatively).
  return w.mul(w.horner(w.mul(w.sub(xc, n), Math.LN2), EXP_COEFFS), pow2(w, n));
}

// sinh for |x| < 1/2 by its odd series x·Σ x^2k/(2k+1)!, to x^13.
const SINH_COEFFS = everyOther(inverseFactorials(14), 1);

function sinh(w: Lanes, x: Lane): Lane {
  const series = w.mul(x, w.horner(w.mul(x, x), SINH_COEFFS));
  // NOTE: beyond |x| = 100 float32 overflows anyway; the clamp keeps e finite in float64.
  const e = exp(w, w.min(w.abs(x), 100));
  const direct = w.copySign(w.mul(w.sub(e, w.div(1, e)), 0.5), x);
  return w.select(w.lt(w.abs(x), 0.5), series, direct);
}

function cosh(w: Lanes, x: Lane): Lane {
  const e = exp(w, w.min(w.abs(x), 100));
  return w.mul(w.add(e, w.div(1, e)), 0.5);
}

/**
 * asinh |x| = log1p(a + a²/(1 + √(1 + a²))), written a/(1/a + √(1/a² + 1)) for the second term
 * so that a = ∞ gives ∞ and a = 0 gives 0 (float32's whole range squares safely in float64).
 */
function asinh(w: Lanes, x: Lane): Lane {
  const a = w.abs(x);
  const r = w.div(1, a);
  const v = log1p(w, w.add(a, w.div(a, w.add(r, w.sqrt(w.add(w.mul(r, r), 1))))));
  return w.copySign(v, x);
}

/**
 * acosh x = log1p(t + √(t·(x + 1))), t = x − 1: both factors exact for float32 x. NaN below 1
 * (for x < −1 the product is positive again, so the domain is checked explicitly).
 */
function acosh(w: Lanes, x: Lane): Lane {
  const t = w.sub(x, 1);
  return w.select(w.lt(x, 1), Number.NaN, log1p(w, w.add(t, w.sqrt(w.mul(t, w.add(x, 1))))));
}

/** atanh |x| = ½·log1p(2a/(1 − a)): ∞ at a = 1, NaN beyond (log1p of less than −1). */
function atanh(w: Lanes, x: Lane): Lane {
  const a = w.abs(x);
  return w.copySign(w.mul(log1p(w, w.div(w.add(a, a), w.sub(1, a))), 0.5), x);
}

// atan u for |u| ≤ tan(π/16) ≈ 0.199: the odd series to u^17 (truncation < 1e-14 relative).
const ATAN_COEFFS = signAlternating(ATANH_COEFFS);

/**
 * atan x: a = |x|, a > 1 → π/2 − atan(1/a); then two halvings atan u = 2·atan(u/(1 + √(1 + u²)))
 * bring u under tan(π/16), where the series converges fast.
 */
function atan(w: Lanes, x: Lane): Lane {
  const a = w.abs(x);
  const big = w.gt(a, 1);
  let u = w.select(big, w.div(1, a), a);
  for (let i = 0; i < 2; i++) u = w.div(u, w.add(w.sqrt(w.add(w.mul(u, u), 1)), 1));
  const p = w.mul(w.mul(u, w.horner(w.mul(u, u), ATAN_COEFFS)), 4);
  return w.copySign(w.select(big, w.sub(Math.PI / 2, p), p), x);
}

/** asin x = atan(x/√((1 − x)(1 + x))): ±∞ at ±1 gives ±π/2; NaN beyond. */
function asin(w: Lanes, x: Lane): Lane {
  return atan(w, w.div(x, w.sqrt(w.mul(w.sub(1, x), w.add(x, 1)))));
}

/** acos x = 2·atan √((1 − x)/(1 + x)): no cancellation near x = 1, π at x = −1. */
function acos(w: Lanes, x: Lane): Lane {
  return w.mul(atan(w, w.sqrt(w.div(w.sub(1, x), w.add(x, 1)))), 2);
}

/**
 * Beyond this |x| the trigonometric kernels flag the lane and the caller recomputes it with
 * the JS kernel: below it n = round(x·2/π) < 2^20, where the three-part reduction is exact enough.
 */
export const TRIG_REDUCTION_LIMIT = 2 ** 20;

// π/2 in three parts for x − n·π/2: P1 (33 bits, n·P1 exact for n < 2^20), P2 = the rest of
// Math.PI/2 (20 bits, exact products), P3 = π/2 − Math.PI/2, which is sin(Math.PI)/2 to 53 bits
// (sin(π − δ) = δ to δ³/6). Together about 2^-105 of π/2: the reduced argument is accurate
// relatively even for the float32 closest to a multiple of π/2 below the limit.
const PIO2_1 = truncateBits(Math.PI / 2, 33);
const PIO2_2 = Math.PI / 2 - PIO2_1;
const PIO2_3 = Math.sin(Math.PI) / 2;

// sin r and cos r for |r| ≤ π/4: Taylor to r^13 and r^14 (truncation < 3e-14 relative).
const SIN_COEFFS = signAlternating(everyOther(inverseFactorials(14), 1));
const COS_COEFFS = signAlternating(everyOther(inverseFactorials(15), 0));

/** x = n·π/2 + r with |r| ≤ π/4 (and a bit), and sin r, cos r. */
function reduceQuarter(w: Lanes, x: Lane): { n: Lane; sin: Lane; cos: Lane } {
  const n = w.nearest(w.mul(x, 2 / Math.PI));
  const r = w.sub(w.sub(w.sub(x, w.mul(n, PIO2_1)), w.mul(n, PIO2_2)), w.mul(n, PIO2_3));
  const r2 = w.mul(r, r);
  return { n, sin: w.mul(r, w.horner(r2, SIN_COEFFS)), cos: w.horner(r2, COS_COEFFS) };
}

/** Masks for n mod 4 of an integer-valued n: `odd` (bit 0) and `high` (bit 1). */
function quadrant(w: Lanes, n: Lane): { odd: Lane; high: Lane } {
  const half = w.mul(n, 0.5);
  const q = w.floor(half);
  const quarter = w.mul(q, 0.5);
  return { odd: w.ne(q, half), high: w.ne(w.floor(quarter), quarter) };
}

/** The sign bit wherever `mask` is set: XOR it into a value to negate those lanes. */
const signWhere = (w: Lanes, mask: Lane): Lane => w.and(mask, w.bits(SIGN_BIT));

/** sin x = ±sin r or ±cos r by the quadrant; x = ±0 returns x (the reduction would lose −0). */
function sin(w: Lanes, x: Lane): Lane {
  const { n, sin: s, cos: c } = reduceQuarter(w, x);
  const { odd, high } = quadrant(w, n);
  const v = w.xor(w.select(odd, c, s), signWhere(w, high));
  return w.select(w.eq(x, 0), x, v);
}

/** cos x = sin(x + π/2): the quadrant of n + 1 on the same r. */
function cos(w: Lanes, x: Lane): Lane {
  const { n, sin: s, cos: c } = reduceQuarter(w, x);
  const { odd, high } = quadrant(w, w.add(n, 1));
  return w.xor(w.select(odd, c, s), signWhere(w, high));
}

/** tan x = sin r/cos r for even n, −cos r/sin r for odd n. */
function tan(w: Lanes, x: Lane): Lane {
  const { n, sin: s, cos: c } = reduceQuarter(w, x);
  const { odd } = quadrant(w, n);
  const v = w.select(odd, w.neg(w.div(c, s)), w.div(s, c));
  return w.select(w.eq(x, 0), x, v);
}

// erf for |x| ≤ 1: (2/√π)·Σ (−1)^k x^(2k+1)/(k!(2k+1)), to x^29 (truncation < 2e-13).
const ERF_SERIES = signAlternating(inverseFactorials(15)).map((c, k) => ((2 / Math.sqrt(Math.PI)) * c) / (2 * k + 1));
// erf on [1, 4]: 22 Chebyshev coefficients (max error 1e-13, measured), interpolated at build
// time from the float64 reference kernel. From |x| = 4 on float32 erf is ±1 (erfc 4 ≈ 1.5e-8 is
// under half an ulp of 1), so the argument is clamped there.
const ERF_LOW = 1;
const ERF_HIGH = 4;
const ERF_CHEBYSHEV = chebyshevCoefficients(erfReference, ERF_LOW, ERF_HIGH, 22);

/** The Chebyshev interpolant's coefficients of `fn` on [lo, hi] at `count` Chebyshev nodes. */
function chebyshevCoefficients(fn: (x: number) => number, lo: number, hi: number, count: number): number[] {
  const values = Array.from({ length: count }, (_, j) => fn((lo + hi) / 2 + ((hi - lo) / 2) * Math.cos((Math.PI * (j + 0.5)) / count)));
  return Array.from({ length: count }, (_, k) => {
    let s = 0;
    for (let j = 0; j < count; j++) s += values[j]! * Math.cos((Math.PI * k * (j + 0.5)) / count);
    return (2 * s) / count;
  });
}

function erf(w: Lanes, x: Lane): Lane {
  const a = w.abs(x);
  const series = w.mul(x, w.horner(w.mul(x, x), ERF_SERIES));
  const t = w.div(w.sub(w.mul(w.min(a, ERF_HIGH), 2), ERF_LOW + ERF_HIGH), ERF_HIGH - ERF_LOW);
  return w.select(w.le(a, ERF_LOW), series, w.copySign(w.chebyshev(t, ERF_CHEBYSHEV), x));
}

// erfc x for x in [1, 10.1] as e^(−x²)·R(x)/x, where R(x) = x·e^(x²)·erfc x is smooth and
// slowly varying in 1/x: 22 Chebyshev coefficients in s = 1/x over [1/10.1, 1] (relative error
// 6e-13, measured), interpolated at build time from the float64 reference. From 10.1 on float32
// erfc is 0 (below half the smallest subnormal).
const ERFC_TAIL_END = 10.1;
const ERFC_TAIL = chebyshevCoefficients((s) => erfcReference(1 / s) * Math.exp(1 / (s * s)) * (1 / s), 1 / ERFC_TAIL_END, 1, 22);

/** erfc a for a ≥ 1 (0 beyond the tail's end; −x² is exact in float64 for float32 x). */
function erfcTail(w: Lanes, a: Lane): Lane {
  const ac = w.min(a, ERFC_TAIL_END);
  const s = w.div(1, ac);
  const t = w.div(w.sub(w.mul(s, 2), 1 / ERFC_TAIL_END + 1), 1 - 1 / ERFC_TAIL_END);
  const v = w.mul(w.mul(exp(w, w.neg(w.mul(ac, ac))), w.chebyshev(t, ERFC_TAIL)), s);
  return w.select(w.gt(a, ERFC_TAIL_END), 0, v);
}

/**
 * erfc x: 1 − erf x by the series for |x| < 1 (erfc ≥ 0.15 there, so the subtraction costs at
 * most 3 bits of float64), the tail for x ≥ 1 (relative accuracy down to float32's subnormals),
 * and 2 − erfc |x| for x ≤ −1.
 */
function erfc(w: Lanes, x: Lane): Lane {
  const a = w.abs(x);
  const series = w.sub(1, w.mul(x, w.horner(w.mul(x, x), ERF_SERIES)));
  const tail = erfcTail(w, a);
  const outer = w.select(w.lt(x, 0), w.sub(2, tail), tail);
  return w.select(w.lt(a, ERF_LOW), series, outer);
}

function log2(w: Lanes, x: Lane): Lane {
  const { e, logm } = logParts(w, x);
  // NOTE: e + log2 m, not log x · log2 e: powers of two come out exact.
  return logSpecials(w, x, w.add(e, w.mul(logm, Math.LOG2E)));
}

function log10(w: Lanes, x: Lane): Lane {
  const { e, logm } = logParts(w, x);
  return logSpecials(w, x, w.add(w.mul(e, Math.LOG10E * Math.LN2), w.mul(logm, Math.LOG10E)));
}

/** The float32 functions computed in float64 lanes, each `(w, x) => f(x)`. */
export const WIDE_F32 = {
  sin,
  cos,
  tan,
  asin,
  acos,
  atan,
  sinh,
  cosh,
  asinh,
  acosh,
  atanh,
  log2,
  log10,
  log1p,
  expm1,
  exp2,
  erf,
  erfc,
} as const;
export type WideKernel = keyof typeof WIDE_F32;

/** The kernels that flag lanes beyond {@link TRIG_REDUCTION_LIMIT} for the caller to redo. */
export const RANGE_LIMITED: ReadonlySet<WideKernel> = new Set(['sin', 'cos', 'tan']);
