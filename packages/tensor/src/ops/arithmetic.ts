// Elementwise arithmetic, comparisons and where: thin wrappers that validate and broadcast
// their operands, then bind one primitive; relu, clamp, minimum and friends are composites.
import { bind } from '../core/trace.js';
import { Tensor, contiguousData, isStaged } from '../core/tensor.js';
import type { Primitive } from '../core/primitive.js';
import { isFloating } from '../dtype.js';
import { DTypeError } from '../errors.js';
import * as P from '../prims/elementwise.js';
import { binaryOperands, broadcastIfNeeded, castTo, commonDType, expectTensor, toTensor, type TensorLike } from './operand.js';
import { broadcastShapes } from '../shape.js';
import { bitwiseNot } from './bitwise.js';

function binary(prim: Primitive<undefined>, op: string, x: TensorLike, y: TensorLike): Tensor {
  const [a, b] = binaryOperands(op, x, y);
  return bind(prim, [a, b], undefined);
}
function unary(prim: Primitive<undefined>, op: string, x: Tensor): Tensor {
  return bind(prim, [expectTensor(op, 'x', x)], undefined);
}

/** x + y, elementwise with broadcasting; for two bool tensors, their logical or (as PyTorch). */
export function add(x: TensorLike, y: TensorLike): Tensor {
  const [a, b] = binaryOperands('add', x, y);
  return bind(a.dtype === 'bool' ? P.maximumPrim : P.addPrim, [a, b], undefined);
}
/** x − y, elementwise with broadcasting (not for two bool tensors: use logicalXor or logicalNot). */
export function sub(x: TensorLike, y: TensorLike): Tensor {
  const [a, b] = binaryOperands('sub', x, y);
  if (a.dtype === 'bool')
    throw new DTypeError('sub: subtraction of bool tensors is not supported (use logicalXor, or logicalNot to invert a mask)');
  return bind(P.subPrim, [a, b], undefined);
}
/** x · y, elementwise with broadcasting (int32 products wrap modulo 2³²; bool: logical and). */
export const mul = (x: TensorLike, y: TensorLike): Tensor => binary(P.mulPrim, 'mul', x, y);
/** x / y, elementwise with broadcasting: true division, so integers and bools give float32. */
export function div(x: TensorLike, y: TensorLike): Tensor {
  const [a, b] = binaryOperands('div', x, y);
  if (isFloating(a.dtype)) return bind(P.divPrim, [a, b], undefined);
  return bind(P.divPrim, [castTo(a, 'float32'), castTo(b, 'float32')], undefined);
}
/**
 * x raised to the power y, elementwise (`pow(x, 2)` squares). Integers stay int32 (bools compute
 * as int32), wrapping modulo 2³²; a negative integer exponent is an error, as in PyTorch.
 */
export function pow(x: TensorLike, exponent: TensorLike): Tensor {
  const [a, b] = binaryOperands('pow', x, exponent);
  if (isFloating(a.dtype)) return bind(P.powPrim, [a, b], undefined);
  // Integer tensors are never differentiated, so their values can be read here; inside a jit
  // trace they are not known yet, so a negative exponent is not checked there.
  if (!isStaged(b) && contiguousData(b).some((e) => e < 0))
    throw new DTypeError('pow: integers to negative integer powers are not allowed (make the base a float tensor)');
  return bind(P.powPrim, [castTo(a, 'int32'), castTo(b, 'int32')], undefined);
}
/** The elementwise larger of x and y (ties split the gradient evenly). */
export const maximum = (x: TensorLike, y: TensorLike): Tensor => binary(P.maximumPrim, 'maximum', x, y);
/** The elementwise smaller of x and y. */
export function minimum(x: TensorLike, y: TensorLike): Tensor {
  const [a, b] = binaryOperands('minimum', x, y);
  // NOTE: ~x = −x − 1 reverses the order of integers without overflowing (−x does at −2³¹).
  if (!isFloating(a.dtype)) return bitwiseNot(bind(P.maximumPrim, [bitwiseNot(a), bitwiseNot(b)], undefined));
  return neg(bind(P.maximumPrim, [neg(a), neg(b)], undefined));
}

/** True where x > y (a bool tensor); not differentiable. */
export const greater = (x: TensorLike, y: TensorLike): Tensor => binary(P.greaterPrim, 'greater', x, y);
/** True where x ≥ y. */
export const greaterEqual = (x: TensorLike, y: TensorLike): Tensor => binary(P.greaterEqualPrim, 'greaterEqual', x, y);
/** True where x < y. */
export const less = (x: TensorLike, y: TensorLike): Tensor => binary(P.lessPrim, 'less', x, y);
/** True where x ≤ y. */
export const lessEqual = (x: TensorLike, y: TensorLike): Tensor => binary(P.lessEqualPrim, 'lessEqual', x, y);
/** True where x = y. */
export const equal = (x: TensorLike, y: TensorLike): Tensor => binary(P.equalPrim, 'equal', x, y);
/** True where x ≠ y. */
export const notEqual = (x: TensorLike, y: TensorLike): Tensor => binary(P.notEqualPrim, 'notEqual', x, y);

/**
 * Picks `x` where `condition` is true (a bool tensor, or any tensor: non-zero counts as true)
 * and `y` elsewhere, broadcasting all three. The result has the promoted dtype of `x` and `y`.
 * Differentiable in `x` and `y`, never in the condition.
 *
 * @example
 * where(greater(x, 0), x, 0) // relu
 */
export function where(condition: TensorLike, x: TensorLike, y: TensorLike): Tensor {
  // The branches decide the dtype; with two numbers a float condition's dtype (so that
  // where(mask64, 1, 0) stays float64), else the numbers' own (int32 or float32).
  const bothNumbers = !(x instanceof Tensor || y instanceof Tensor);
  const dtype =
    bothNumbers && condition instanceof Tensor && isFloating(condition.dtype)
      ? condition.dtype
      : bothNumbers
        ? commonDType(toTensor('where', 'condition', condition, 'bool'), x, y)
        : commonDType(x, y);
  const a = castTo(toTensor('where', 'x', x, dtype), dtype);
  const b = castTo(toTensor('where', 'y', y, dtype), dtype);
  const c = toTensor('where', 'condition', condition, 'bool');
  const shape = broadcastShapes('where', broadcastShapes('where', c.shape, a.shape), b.shape);
  return bind(P.wherePrim, [broadcastIfNeeded(c, shape), broadcastIfNeeded(a, shape), broadcastIfNeeded(b, shape)], undefined);
}

/** −x (not for bool tensors: use logicalNot). */
export function neg(x: Tensor): Tensor {
  if (expectTensor('neg', 'x', x).dtype === 'bool')
    throw new DTypeError('neg: negation of a bool tensor is not supported (use logicalNot to invert a mask)');
  return bind(P.negPrim, [x], undefined);
}
/** eˣ (integers and bools give float32, as every float function here). */
export const exp = (x: Tensor): Tensor => unary(P.expPrim, 'exp', x);
/** Natural logarithm. */
export const log = (x: Tensor): Tensor => unary(P.logPrim, 'log', x);
/** Square root. */
export const sqrt = (x: Tensor): Tensor => unary(P.sqrtPrim, 'sqrt', x);
/** |x|. */
export const abs = (x: Tensor): Tensor => unary(P.absPrim, 'abs', x);
/** −1, 0 or 1 by the sign of x (NaN stays NaN); its gradient is 0, as in PyTorch. */
export const sign = (x: Tensor): Tensor => unary(P.signPrim, 'sign', x);
/** Hyperbolic tangent. */
export const tanh = (x: Tensor): Tensor => unary(P.tanhPrim, 'tanh', x);
/** The logistic function 1/(1+e⁻ˣ), computed without overflow. */
export const sigmoid = (x: Tensor): Tensor => unary(P.sigmoidPrim, 'sigmoid', x);
/** Sine. */
export const sin = (x: Tensor): Tensor => unary(P.sinPrim, 'sin', x);
/** Cosine. */
export const cos = (x: Tensor): Tensor => unary(P.cosPrim, 'cos', x);

/** 1/x. */
export const reciprocal = (x: Tensor): Tensor => div(1, expectTensor('reciprocal', 'x', x));
/** x². */
export const square = (x: Tensor): Tensor => mul(expectTensor('square', 'x', x), x);
/** max(x, 0); the derivative at 0 is 0, as in PyTorch. */
export const relu = (x: Tensor): Tensor => where(greater(expectTensor('relu', 'x', x), 0), x, 0);

/**
 * Limits x to [min, max] (either bound may be omitted with `undefined`; bounds may be tensors,
 * broadcast with x). The gradient passes where x lies within the bounds (bounds included), as
 * in PyTorch; where min > max the result is max, with gradient 0 in x, as in PyTorch.
 */
export function clamp(x: Tensor, min?: TensorLike, max?: TensorLike): Tensor {
  expectTensor('clamp', 'x', x);
  // Check the bounds here, so that a bad one is reported as clamp's, not as less's or where's.
  let shape: readonly number[] = x.shape;
  for (const [name, bound] of [
    ['min', min],
    ['max', max],
  ] as const) {
    // A number fits any shape; toTensor passes a tensor through and rejects anything else.
    if (bound !== undefined && typeof bound !== 'number')
      shape = broadcastShapes('clamp', shape, toTensor('clamp', name, bound, x.dtype).shape);
  }
  let out = x;
  if (min !== undefined) out = where(less(out, min), min, out);
  if (max !== undefined) out = where(greater(out, max), max, out);
  return out;
}
