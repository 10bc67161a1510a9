// Tests of values and logic on truth values: isnan, isinf, isfinite and the logical ops. Each
// gives 1 or 0 in its operands' float dtype (as the comparisons do until the library has a bool
// dtype) and is a constant to autodiff; any non-zero value counts as true.
import type { Tensor } from '../core/tensor.js';
import { abs, equal, notEqual, where } from './arithmetic.js';
import { binaryOperands, expectTensor, type TensorLike } from './operand.js';

/** 1 where x is NaN, else 0. */
export const isnan = (x: Tensor): Tensor => notEqual(expectTensor('isnan', 'x', x), x);
/** 1 where x is +∞ or −∞, else 0. */
export const isinf = (x: Tensor): Tensor => equal(abs(expectTensor('isinf', 'x', x)), Infinity);
/** 1 where x is finite (neither NaN nor ±∞), else 0. */
export const isfinite = (x: Tensor): Tensor => equal(abs(expectTensor('isfinite', 'x', x)).sub(abs(x)), 0);

/** 1 where both x and y are non-zero, else 0 (broadcasting). */
export function logicalAnd(x: TensorLike, y: TensorLike): Tensor {
  const [a, b] = binaryOperands('logicalAnd', x, y);
  return where(notEqual(a, 0), notEqual(b, 0), 0);
}
/** 1 where x or y is non-zero, else 0 (broadcasting). */
export function logicalOr(x: TensorLike, y: TensorLike): Tensor {
  const [a, b] = binaryOperands('logicalOr', x, y);
  return where(notEqual(a, 0), 1, notEqual(b, 0));
}
/** 1 where exactly one of x and y is non-zero, else 0 (broadcasting). */
export function logicalXor(x: TensorLike, y: TensorLike): Tensor {
  const [a, b] = binaryOperands('logicalXor', x, y);
  return notEqual(notEqual(a, 0), notEqual(b, 0));
}
/** 1 where x is zero, else 0. */
export const logicalNot = (x: Tensor): Tensor => equal(expectTensor('logicalNot', 'x', x), 0);
