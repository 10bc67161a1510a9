// Tests of values and logic on truth values: isnan, isinf, isfinite and the logical ops. Each
// gives a bool tensor and is a constant to autodiff; any non-zero value counts as true.
import type { Tensor } from '../core/tensor.js';
import { isFloating } from '../dtype.js';
import { abs, equal, maximum, mul, notEqual } from './arithmetic.js';
import { binaryOperands, expectTensor, type TensorLike } from './operand.js';

/** True where x is NaN (never for int32 or bool tensors). */
export const isnan = (x: Tensor): Tensor => notEqual(expectTensor('isnan', 'x', x), x);
/** True where x is +∞ or −∞. */
export const isinf = (x: Tensor): Tensor => equal(abs(expectTensor('isinf', 'x', x)), Infinity);
/** True where x is finite (neither NaN nor ±∞): everywhere for int32 and bool tensors. */
export function isfinite(x: Tensor): Tensor {
  expectTensor('isfinite', 'x', x);
  // NOTE: |x| − |x| is 0 for a finite x and NaN for NaN and ±∞; integers are all finite.
  return isFloating(x.dtype) ? equal(abs(x).sub(abs(x)), 0) : equal(x, x);
}

/** True where x is non-zero (its truth value), as a bool tensor. */
const truth = (x: Tensor): Tensor => (x.dtype === 'bool' ? x : notEqual(x, 0));

/** True where both x and y are non-zero (broadcasting). */
export function logicalAnd(x: TensorLike, y: TensorLike): Tensor {
  const [a, b] = binaryOperands('logicalAnd', x, y);
  return mul(truth(a), truth(b));
}
/** True where x or y is non-zero (broadcasting). */
export function logicalOr(x: TensorLike, y: TensorLike): Tensor {
  const [a, b] = binaryOperands('logicalOr', x, y);
  return maximum(truth(a), truth(b));
}
/** True where exactly one of x and y is non-zero (broadcasting). */
export function logicalXor(x: TensorLike, y: TensorLike): Tensor {
  const [a, b] = binaryOperands('logicalXor', x, y);
  return notEqual(truth(a), truth(b));
}
/** True where x is zero. */
export const logicalNot = (x: Tensor): Tensor => equal(expectTensor('logicalNot', 'x', x), 0);
