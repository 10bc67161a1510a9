// Elementwise arithmetic, comparisons and where: thin wrappers that validate and broadcast
// their operands, then bind one primitive; relu, clamp, minimum and friends are composites.
import { bind } from '../core/trace.js';
import { Tensor } from '../core/tensor.js';
import type { Primitive } from '../core/primitive.js';
import * as P from '../prims/elementwise.js';
import { binaryOperands, broadcastIfNeeded, castTo, commonDType, expectTensor, toTensor, type TensorLike } from './operand.js';
import { broadcastShapes } from '../shape.js';

function binary(prim: Primitive<undefined>, op: string, x: TensorLike, y: TensorLike): Tensor {
  const [a, b] = binaryOperands(op, x, y);
  return bind(prim, [a, b], undefined);
}
function unary(prim: Primitive<undefined>, op: string, x: Tensor): Tensor {
  return bind(prim, [expectTensor(op, 'x', x)], undefined);
}

/** x + y, elementwise with broadcasting. */
export const add = (x: TensorLike, y: TensorLike): Tensor => binary(P.addPrim, 'add', x, y);
/** x − y, elementwise with broadcasting. */
export const sub = (x: TensorLike, y: TensorLike): Tensor => binary(P.subPrim, 'sub', x, y);
/** x · y, elementwise with broadcasting. */
export const mul = (x: TensorLike, y: TensorLike): Tensor => binary(P.mulPrim, 'mul', x, y);
/** x / y, elementwise with broadcasting. */
export const div = (x: TensorLike, y: TensorLike): Tensor => binary(P.divPrim, 'div', x, y);
/** x raised to the power y, elementwise (`pow(x, 2)` squares). */
export const pow = (x: TensorLike, exponent: TensorLike): Tensor => binary(P.powPrim, 'pow', x, exponent);
/** The elementwise larger of x and y (ties split the gradient evenly). */
export const maximum = (x: TensorLike, y: TensorLike): Tensor => binary(P.maximumPrim, 'maximum', x, y);
/** The elementwise smaller of x and y. */
export function minimum(x: TensorLike, y: TensorLike): Tensor {
  const [a, b] = binaryOperands('minimum', x, y);
  return neg(bind(P.maximumPrim, [neg(a), neg(b)], undefined));
}

/** 1 where x > y, else 0 (in the operands' dtype); not differentiable. */
export const greater = (x: TensorLike, y: TensorLike): Tensor => binary(P.greaterPrim, 'greater', x, y);
/** 1 where x ≥ y, else 0. */
export const greaterEqual = (x: TensorLike, y: TensorLike): Tensor => binary(P.greaterEqualPrim, 'greaterEqual', x, y);
/** 1 where x < y, else 0. */
export const less = (x: TensorLike, y: TensorLike): Tensor => binary(P.lessPrim, 'less', x, y);
/** 1 where x ≤ y, else 0. */
export const lessEqual = (x: TensorLike, y: TensorLike): Tensor => binary(P.lessEqualPrim, 'lessEqual', x, y);
/** 1 where x = y, else 0. */
export const equal = (x: TensorLike, y: TensorLike): Tensor => binary(P.equalPrim, 'equal', x, y);
/** 1 where x ≠ y, else 0. */
export const notEqual = (x: TensorLike, y: TensorLike): Tensor => binary(P.notEqualPrim, 'notEqual', x, y);

/**
 * Picks `x` where `condition` is non-zero and `y` elsewhere, broadcasting all three.
 * Differentiable in `x` and `y`, never in the condition.
 *
 * @example
 * where(greater(x, 0), x, 0) // relu
 */
export function where(condition: TensorLike, x: TensorLike, y: TensorLike): Tensor {
  // The branches decide the dtype; a condition tensor only when both branches are numbers.
  const dtype = x instanceof Tensor || y instanceof Tensor ? commonDType(x, y) : commonDType(condition);
  const a = castTo(toTensor('where', 'x', x, dtype), dtype);
  const b = castTo(toTensor('where', 'y', y, dtype), dtype);
  const c = toTensor('where', 'condition', condition, dtype);
  const shape = broadcastShapes('where', broadcastShapes('where', c.shape, a.shape), b.shape);
  return bind(P.wherePrim, [broadcastIfNeeded(c, shape), broadcastIfNeeded(a, shape), broadcastIfNeeded(b, shape)], undefined);
}

/** −x. */
export const neg = (x: Tensor): Tensor => unary(P.negPrim, 'neg', x);
/** eˣ. */
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
