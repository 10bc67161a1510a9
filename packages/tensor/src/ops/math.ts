// Elementwise math: rounding, trigonometric and hyperbolic functions, logarithms and
// exponentials (primitives of prims/math.ts), and the activation functions of PyTorch's
// torch.nn.functional, written as composites (no rules: their gradients follow from the parts).
import { bind } from '../core/trace.js';
import { contiguousData, isStaged, type Tensor } from '../core/tensor.js';
import type { Primitive } from '../core/primitive.js';
import { isFloating } from '../dtype.js';
import { ArgumentError, DTypeError } from '../errors.js';
import { describe, expectNumber, expectOptions } from '../arguments.js';
import * as P from '../prims/math.js';
import { abs, add, clamp, div, equal, exp, greater, greaterEqual, less, lessEqual, mul, sigmoid, sub, tanh, where } from './arithmetic.js';
import { binaryOperands, castTo, commonDType, expectTensor, floatOf, floating, toTensor, type TensorLike } from './operand.js';
import { broadcastShapes } from '../shape.js';

function unary(prim: Primitive<undefined>, op: string, x: Tensor): Tensor {
  return bind(prim, [expectTensor(op, 'x', x)], undefined);
}

/** A rounding of `x`: integers and bools are already whole, so they are returned as they are. */
function rounding(prim: Primitive<undefined>, op: string, x: Tensor): Tensor {
  return isFloating(expectTensor(op, 'x', x).dtype) ? bind(prim, [x], undefined) : x;
}

/** Both operands of a float function of two arguments, promoted, then made float (int32 → float32). */
function floatOperands(op: string, x: TensorLike, y: TensorLike): [Tensor, Tensor] {
  const [a, b] = binaryOperands(op, x, y);
  return [floating(a), floating(b)];
}

/** ⌊x⌋, the largest integer ≤ x; its gradient is 0, as in PyTorch. */
export const floor = (x: Tensor): Tensor => rounding(P.floorPrim, 'floor', x);
/** ⌈x⌉, the smallest integer ≥ x; its gradient is 0. */
export const ceil = (x: Tensor): Tensor => rounding(P.ceilPrim, 'ceil', x);
/**
 * The nearest integer, ties to even (as PyTorch and IEEE 754); its gradient is 0.
 *
 * @example
 * round(tensor([0.5, 1.5, 2.5, -0.5])) // [0, 2, 2, -0]
 */
export const round = (x: Tensor): Tensor => rounding(P.roundPrim, 'round', x);
/** x rounded toward zero; its gradient is 0. */
export const trunc = (x: Tensor): Tensor => rounding(P.truncPrim, 'trunc', x);
/** The fractional part x − trunc(x) (negative for negative x, as PyTorch); its gradient is 1. Floats only. */
export function frac(x: Tensor): Tensor {
  if (!isFloating(expectTensor('frac', 'x', x).dtype))
    throw new DTypeError(`frac: x has dtype ${x.dtype}, expected float32 or float64 (an integer has no fractional part)`);
  return x.sub(trunc(x));
}

/** Tangent. */
export const tan = (x: Tensor): Tensor => unary(P.tanPrim, 'tan', x);
/** Arcsine, in [−π/2, π/2] (NaN outside [−1, 1]). */
export const asin = (x: Tensor): Tensor => unary(P.asinPrim, 'asin', x);
/** Arccosine, in [0, π] (NaN outside [−1, 1]). */
export const acos = (x: Tensor): Tensor => unary(P.acosPrim, 'acos', x);
/** Arctangent, in (−π/2, π/2). */
export const atan = (x: Tensor): Tensor => unary(P.atanPrim, 'atan', x);
/** Hyperbolic sine. */
export const sinh = (x: Tensor): Tensor => unary(P.sinhPrim, 'sinh', x);
/** Hyperbolic cosine. */
export const cosh = (x: Tensor): Tensor => unary(P.coshPrim, 'cosh', x);
/** Inverse hyperbolic sine. */
export const asinh = (x: Tensor): Tensor => unary(P.asinhPrim, 'asinh', x);
/** Inverse hyperbolic cosine (NaN below 1). */
export const acosh = (x: Tensor): Tensor => unary(P.acoshPrim, 'acosh', x);
/** Inverse hyperbolic tangent (±∞ at ±1, NaN outside [−1, 1]). */
export const atanh = (x: Tensor): Tensor => unary(P.atanhPrim, 'atanh', x);
/**
 * The angle of the point (x, y) in (−π, π], elementwise with broadcasting; PyTorch's argument
 * order: y first. ∂/∂y = x/(x² + y²), ∂/∂x = −y/(x² + y²).
 *
 * @example
 * atan2(tensor([1, -1]), tensor([-1, -1])) // [3π/4, −3π/4]
 */
export function atan2(y: TensorLike, x: TensorLike): Tensor {
  return bind(P.atan2Prim, floatOperands('atan2', y, x), undefined);
}

/** Base-2 logarithm. */
export const log2 = (x: Tensor): Tensor => unary(P.log2Prim, 'log2', x);
/** Base-10 logarithm. */
export const log10 = (x: Tensor): Tensor => unary(P.log10Prim, 'log10', x);
/** log(1 + x), accurate for small x (where log(1 + x) would round 1 + x). */
export const log1p = (x: Tensor): Tensor => unary(P.log1pPrim, 'log1p', x);
/** eˣ − 1, accurate for small x (where exp(x) − 1 would cancel). */
export const expm1 = (x: Tensor): Tensor => unary(P.expm1Prim, 'expm1', x);
/** 2ˣ. */
export const exp2 = (x: Tensor): Tensor => unary(P.exp2Prim, 'exp2', x);

/**
 * The error function (2/√π)∫₀ˣ e^(−t²) dt (a JS kernel: within 4 ulp of the exact value in
 * float64, measured on [−6, 6]).
 */
export const erf = (x: Tensor): Tensor => unary(P.erfPrim, 'erf', x);
/** 1 − erf x within 4 ulp, relatively, keeping its accuracy in the tail (erfc 10 ≈ 2.09e-45, not 0). */
export const erfc = (x: Tensor): Tensor => unary(P.erfcPrim, 'erfc', x);
/** The inverse error function on [−1, 1] (±∞ at ±1, NaN outside); within 4 ulp where |erfinv x| ≤ 4.5. */
export const erfinv = (x: Tensor): Tensor => unary(P.erfinvPrim, 'erfinv', x);

/** Options of {@link gelu}. */
export interface GeluOptions {
  /** `'none'` (default): the exact x·Φ(x); `'tanh'`: PyTorch's tanh approximation. */
  approximate?: 'none' | 'tanh';
}
/**
 * GELU: x·Φ(x) = (x/2)·erfc(−x/√2), or with `approximate: 'tanh'`
 * (x/2)·(1 + tanh(√(2/π)(x + 0.044715x³))), as PyTorch.
 * NOTE: the exact form uses erfc rather than PyTorch's 1 + erf(x/√2), which cancels to 0 for
 * x below about −8: the values agree except that this keeps the tail's digits.
 *
 * @example
 * gelu(tensor([-1, 0, 1])) // [−0.1587, 0, 0.8413]
 */
export function gelu(x: Tensor, options?: GeluOptions): Tensor {
  expectTensor('gelu', 'x', x);
  const approximate = expectOptions('gelu', options).approximate ?? 'none';
  if (approximate === 'none') return erfc(x.mul(-Math.SQRT1_2)).mul(x).mul(0.5);
  if (approximate === 'tanh') {
    const inner = x
      .mul(x)
      .mul(x)
      .mul(0.044715)
      .add(x)
      .mul(Math.sqrt(2 / Math.PI));
    return tanh(inner).add(1).mul(x).mul(0.5);
  }
  throw new ArgumentError(`gelu: expected 'none' or 'tanh' for approximate, got ${describe(approximate)}`);
}

/**
 * log(1 + eᶻ) without overflow and with the exact derivative σ(z) everywhere, 0 included:
 * z + log1p(e⁻ᶻ) for z > 0, log1p(eᶻ) otherwise. NOTE: each branch sees only the inputs it
 * is chosen for (the other gets 0), so that an overflowing eᶻ in the branch not taken cannot
 * turn the gradient into 0·∞ = NaN.
 */
function softplusStable(z: Tensor): Tensor {
  const positive = greater(z, 0);
  const zp = where(positive, z, 0);
  const zn = where(positive, 0, z);
  return where(positive, zp.add(log1p(exp(zp.neg()))), log1p(exp(zn)));
}

/**
 * log(1 + e^(βx))/β, and x itself where βx > threshold (PyTorch's linear regime).
 *
 * @example
 * softplus(tensor([0, 30])) // [log 2, 30]
 */
export function softplus(x: Tensor, beta = 1, threshold = 20): Tensor {
  expectTensor('softplus', 'x', x);
  expectNumber('softplus', 'beta', beta, { positive: true });
  expectNumber('softplus', 'threshold', threshold);
  const z = x.mul(beta);
  return where(greater(z, threshold), x, div(softplusStable(z), beta));
}
/** SiLU (swish): x·σ(x). */
export const silu = (x: Tensor): Tensor => mul(expectTensor('silu', 'x', x), sigmoid(x));
/** log σ(x) = −softplus(−x), computed without overflow (−1000 gives −1000, not −∞). */
export const logSigmoid = (x: Tensor): Tensor => softplusStable(expectTensor('logSigmoid', 'x', x).neg()).neg();
/** Mish: x·tanh(softplus(x)). */
export const mish = (x: Tensor): Tensor => mul(expectTensor('mish', 'x', x), tanh(softplusStable(x)));
/** Softsign: x/(1 + |x|). */
export const softsign = (x: Tensor): Tensor => expectTensor('softsign', 'x', x).div(x.abs().add(1));

/** x for x > 0, else α·(eˣ − 1) with x's own branch (expm1: accurate near 0). */
function exponentialLinear(x: Tensor, alpha: number, inputScale: number): Tensor {
  const positive = greater(x, 0);
  // NOTE: the negative branch sees only non-positive inputs, so eˣ cannot overflow there.
  return where(positive, x, expm1(where(positive, 0, x).mul(inputScale)).mul(alpha));
}
/** ELU: x for x > 0, else α(eˣ − 1); the gradient at 0 is α, as in PyTorch. */
export function elu(x: Tensor, alpha = 1): Tensor {
  expectTensor('elu', 'x', x);
  return exponentialLinear(x, expectNumber('elu', 'alpha', alpha), 1);
}
// The constants of Klambauer et al. (2017): PyTorch's 1.6732632423543772848… and
// 1.0507009873554804934…, rounded to doubles.
const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;
/** SELU: λ·elu(x, α) with λ ≈ 1.0507 and α ≈ 1.6733 (self-normalising). */
export const selu = (x: Tensor): Tensor => exponentialLinear(expectTensor('selu', 'x', x), SELU_ALPHA, 1).mul(SELU_SCALE);
/** CELU: x for x > 0, else α(e^(x/α) − 1); α must not be 0. */
export function celu(x: Tensor, alpha = 1): Tensor {
  expectTensor('celu', 'x', x);
  expectNumber('celu', 'alpha', alpha);
  if (alpha === 0) throw new ArgumentError('celu: alpha must not be 0');
  return exponentialLinear(x, alpha, 1 / alpha);
}

/** x limited to [min, max] with gradient 0 on the bounds themselves (PyTorch's hardtanh). */
function hardLimit(x: Tensor, min: number, max: number): Tensor {
  return where(lessEqual(x, min), min, where(greaterEqual(x, max), max, x));
}
/** HardTanh: x limited to [min, max]; the gradient is 1 strictly inside, 0 elsewhere (as PyTorch). */
export function hardTanh(x: Tensor, min = -1, max = 1): Tensor {
  expectTensor('hardTanh', 'x', x);
  expectNumber('hardTanh', 'min', min);
  expectNumber('hardTanh', 'max', max);
  if (min > max) throw new ArgumentError(`hardTanh: min ${min} is greater than max ${max}`);
  return hardLimit(x, min, max);
}
/** ReLU6: min(max(x, 0), 6); the gradient is 0 at 0 and at 6, as in PyTorch. */
export const relu6 = (x: Tensor): Tensor => hardLimit(expectTensor('relu6', 'x', x), 0, 6);
/** Hard sigmoid: relu6(x + 3)/6; the gradient is 1/6 strictly inside (−3, 3), else 0. */
export const hardSigmoid = (x: Tensor): Tensor => hardLimit(expectTensor('hardSigmoid', 'x', x).add(3), 0, 6).div(6);
/**
 * Hard swish: x·relu6(x + 3)/6. NOTE: PyTorch's gradient at ±3 is that of the inner branch
 * (−0.5 at −3, 1.5 at 3), which is clamp's, whose gradient passes on the bounds.
 */
export const hardSwish = (x: Tensor): Tensor => mul(expectTensor('hardSwish', 'x', x), clamp(x.add(3), 0, 6)).div(6);

/**
 * log(eˣ + eʸ), elementwise with broadcasting, without overflow: the larger operand plus
 * softplus of the difference, so it is smooth at ties too (gradient σ(x − y), as PyTorch).
 *
 * @example
 * logAddExp(tensor([1000, -Infinity]), tensor([1000, 0])) // [1000 + log 2, 0]
 */
export function logAddExp(x: TensorLike, y: TensorLike): Tensor {
  const [a, b] = floatOperands('logAddExp', x, y);
  // NOTE: equal infinities would give ∞ − ∞ = NaN; their difference is taken as 0 instead.
  const infiniteTie = equal(a, b).mul(equal(abs(a), Infinity));
  const d = where(infiniteTie, 0, sub(b, a));
  return where(greaterEqual(a, b), add(a, softplusStable(d)), add(b, softplusStable(d.neg())));
}

/**
 * start + weight·(end − start), elementwise with broadcasting (weight a tensor or a number).
 * As PyTorch, it is computed as end − (end − start)·(1 − weight) when |weight| ≥ 0.5, so that
 * weight 1 gives end exactly.
 */
export function lerp(start: Tensor, end: TensorLike, weight: TensorLike): Tensor {
  expectTensor('lerp', 'start', start);
  const dtype = floatOf(commonDType(start, end, weight));
  const e = castTo(toTensor('lerp', 'end', end, dtype), dtype);
  const w = castTo(toTensor('lerp', 'weight', weight, dtype), dtype);
  const s = castTo(start, dtype);
  // Check the shapes here, so that a mismatch is reported as lerp's.
  broadcastShapes('lerp', broadcastShapes('lerp', s.shape, e.shape), w.shape);
  const diff = sub(e, s);
  return where(less(abs(w), 0.5), add(s, mul(w, diff)), sub(e, mul(diff, sub(1, w))));
}

/**
 * |x| with the sign of y (−0 counts as negative), elementwise with broadcasting; the gradient
 * is ±1 in x (0 at x = 0) and 0 in y, as PyTorch.
 */
export function copysign(x: TensorLike, y: TensorLike): Tensor {
  return bind(P.copysignPrim, floatOperands('copysign', x, y), undefined);
}

/** √(x² + y²) without overflow or underflow of the squares, elementwise with broadcasting. */
export function hypot(x: TensorLike, y: TensorLike): Tensor {
  return bind(P.hypotPrim, floatOperands('hypot', x, y), undefined);
}

/**
 * An integer division of int32 (or bool) operands, exactly: computed in float64 (whose quotient
 * of two int32s never rounds across an integer) and brought back to int32. Dividing by zero is
 * an error, as in PyTorch.
 */
function integerDivision(op: string, a: Tensor, b: Tensor, f: (a: Tensor, b: Tensor) => Tensor): Tensor {
  // Integer tensors are never differentiated, so their values can be read here; inside a jit
  // trace they are not known yet, so a zero divisor is not checked there.
  if (!isStaged(b) && contiguousData(b).includes(0)) throw new ArgumentError(`${op}: integer division by zero`);
  return castTo(f(castTo(a, 'float64'), castTo(b, 'float64')), 'int32');
}

/** `f` on the promoted operands, exactly in int32 when neither is a float. */
function divisionLike(op: string, x: TensorLike, y: TensorLike, f: (a: Tensor, b: Tensor) => Tensor): Tensor {
  const [a, b] = binaryOperands(op, x, y);
  return isFloating(a.dtype) ? f(a, b) : integerDivision(op, a, b, f);
}

/**
 * x − y·floor(x/y): the remainder with the sign of y, as Python's `%` and PyTorch's
 * `remainder`, elementwise with broadcasting. Gradients as PyTorch: 1 in x, −floor(x/y) in y.
 * Integers stay int32 (exactly); an integer division by zero is an error.
 */
export function remainder(x: TensorLike, y: TensorLike): Tensor {
  return divisionLike('remainder', x, y, (a, b) => sub(a, mul(b, floor(div(a, b)))));
}

/** x − y·trunc(x/y): the remainder with the sign of x, as C's `fmod` and PyTorch's `fmod`; integers stay int32. */
export function fmod(x: TensorLike, y: TensorLike): Tensor {
  return divisionLike('fmod', x, y, (a, b) => sub(a, mul(b, trunc(div(a, b)))));
}

/** floor(x/y), elementwise with broadcasting (PyTorch's `floor_divide`); gradient 0; integers stay int32. */
export function floorDivide(x: TensorLike, y: TensorLike): Tensor {
  return divisionLike('floorDivide', x, y, (a, b) => floor(div(a, b)));
}
