// Bitwise logic and shifts of int32 tensors, as PyTorch's bitwise_* and shifts. and/or/xor
// also take two bool tensors (giving bool), and bitwiseNot of a bool is its logical not.
import { bind } from '../core/trace.js';
import { Tensor } from '../core/tensor.js';
import type { Primitive } from '../core/primitive.js';
import { isFloating } from '../dtype.js';
import { DTypeError } from '../errors.js';
import * as P from '../prims/bitwise.js';
import { equalPrim } from '../prims/elementwise.js';
import { binaryOperands, broadcastIfNeeded, castTo, expectTensor, scalarTensor, type TensorLike } from './operand.js';

/** The operands as int32 or bool tensors of one dtype and shape; a float operand is an error naming it. */
function integerOperands(op: string, x: TensorLike, y: TensorLike, allowBool: boolean): [Tensor, Tensor] {
  const [a, b] = binaryOperands(op, x, y);
  for (const [name, v] of [
    ['the first operand', x],
    ['the second operand', y],
  ] as const) {
    if (v instanceof Tensor && isFloating(v.dtype)) throw new DTypeError(`${op}: ${name} has dtype ${v.dtype}, expected int32 or bool`);
  }
  if (isFloating(a.dtype)) throw new DTypeError(`${op}: a number operand must be an int32 integer, got ${typeof x === 'number' ? x : y}`);
  return allowBool || a.dtype === 'int32' ? [a, b] : [castTo(a, 'int32'), castTo(b, 'int32')];
}

function bitwise(prim: Primitive<undefined>, op: string, x: TensorLike, y: TensorLike, allowBool: boolean): Tensor {
  return bind(prim, integerOperands(op, x, y, allowBool), undefined);
}

/** x & y, elementwise with broadcasting (int32, or two bools: logical and). */
export const bitwiseAnd = (x: TensorLike, y: TensorLike): Tensor => bitwise(P.bitwiseAndPrim, 'bitwiseAnd', x, y, true);
/** x | y, elementwise with broadcasting (int32, or two bools: logical or). */
export const bitwiseOr = (x: TensorLike, y: TensorLike): Tensor => bitwise(P.bitwiseOrPrim, 'bitwiseOr', x, y, true);
/** x ^ y, elementwise with broadcasting (int32, or two bools: logical xor). */
export const bitwiseXor = (x: TensorLike, y: TensorLike): Tensor => bitwise(P.bitwiseXorPrim, 'bitwiseXor', x, y, true);
/**
 * x << y for int32 tensors (bools count as 0 and 1), wrapping modulo 2³²; a shift by a count
 * outside [0, 31] gives 0, as PyTorch (JavaScript's `<<` would take the count modulo 32).
 *
 * @example
 * leftShift(tensor([1, 3], { dtype: 'int32' }), 4).toArray() // [16, 48]
 */
export const leftShift = (x: TensorLike, y: TensorLike): Tensor => bitwise(P.leftShiftPrim, 'leftShift', x, y, false);
/**
 * x >> y for int32 tensors, arithmetic (the sign is kept: −8 >> 1 is −4); a count outside
 * [0, 31] gives 0 for x ≥ 0 and −1 for x < 0.
 */
export const rightShift = (x: TensorLike, y: TensorLike): Tensor => bitwise(P.rightShiftPrim, 'rightShift', x, y, false);

/** ~x for an int32 tensor (−x − 1); for a bool tensor, its logical not. */
export function bitwiseNot(x: Tensor): Tensor {
  expectTensor('bitwiseNot', 'x', x);
  if (isFloating(x.dtype)) throw new DTypeError(`bitwiseNot: x has dtype ${x.dtype}, expected int32 or bool`);
  if (x.dtype === 'bool') return bind(equalPrim, [x, broadcastIfNeeded(scalarTensor(0, 'bool'), x.shape)], undefined);
  return bind(P.bitwiseNotPrim, [x], undefined);
}
