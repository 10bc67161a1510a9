// Turning the operands of an op into tensors: numbers adopt the other operand's dtype (weak
// typing, as PyTorch's Python scalars), dtypes promote as PyTorch's, and binary operands are
// broadcast explicitly.
import { allocate, isFloating, promoteTypes, type DType, type FloatDType } from '../dtype.js';
import { ArgumentError, DTypeError } from '../errors.js';
import { describe } from '../arguments.js';
import { bind } from '../core/trace.js';
import { Tensor, expectLive, fromArray } from '../core/tensor.js';
import { broadcastPrim, castPrim } from '../prims/layout.js';
import { broadcastShapes, shapesEqual } from '../shape.js';

/**
 * A tensor, or a JavaScript number that takes the dtype of the tensor it meets; only a number
 * of a higher kind lifts it: a non-integer meeting an int32 or bool tensor gives float32, an
 * integer meeting a bool tensor gives int32.
 */
export type TensorLike = Tensor | number;

/** A 0-d tensor holding `value` in `dtype` (for bool, 1 for any non-zero value, NaN included). */
export function scalarTensor(value: number, dtype: DType): Tensor {
  const data = allocate(dtype, 1);
  data[0] = dtype === 'bool' ? (value !== 0 ? 1 : 0) : value;
  return fromArray(data, [], dtype);
}

/** Checks that `x` is a Tensor (numbers are not accepted here). */
export function expectTensor(op: string, name: string, x: unknown): Tensor {
  if (x instanceof Tensor) return expectLive(x, op, name);
  throw new ArgumentError(`${op}: expected a Tensor for ${name}, got ${describeOperand(x)}`);
}

/** Checks that `list` is a non-empty array of tensors without holes; returns a copy. */
export function expectTensorList(op: string, list: unknown): Tensor[] {
  if (!Array.isArray(list) || list.length === 0)
    throw new ArgumentError(`${op}: expected a non-empty array of tensors, got ${describe(list)}`);
  const out: Tensor[] = [];
  // NOTE: a for loop, not forEach, which would skip holes (and walk a huge sparse array).
  for (let i = 0; i < list.length; i++) out.push(expectTensor(op, `tensor ${i}`, list[i]));
  return out;
}

/** How a message shows a value given where a tensor was expected: arrays get a hint. */
function describeOperand(x: unknown): string {
  return Array.isArray(x) ? `${describe(x)} (wrap it with tensor())` : describe(x);
}

export function toTensor(op: string, name: string, x: unknown, dtype: DType): Tensor {
  if (x instanceof Tensor) return expectLive(x, op, name);
  if (typeof x === 'number') return scalarTensor(x, dtype);
  throw new ArgumentError(`${op}: expected a Tensor or a number for ${name}, got ${describeOperand(x)}`);
}

export function castTo(x: Tensor, dtype: DType): Tensor {
  return x.dtype === dtype ? x : bind(castPrim, [x], { dtype });
}

/** `x` broadcast to `shape` (a view), or `x` itself when it already has that shape. */
export function broadcastIfNeeded(x: Tensor, shape: readonly number[]): Tensor {
  return shapesEqual(x.shape, shape) ? x : bind(broadcastPrim, [x], { shape });
}

/** The dtype a JavaScript number stands for when it lifts a tensor of a lower kind. */
function weakDType(x: number): DType {
  return Number.isInteger(x) && x >= -(2 ** 31) && x < 2 ** 31 ? 'int32' : 'float32';
}

/**
 * The dtype operands compute in: the tensors' promoted dtype, lifted to int32 or float32 by a
 * number of a higher kind (see {@link TensorLike}); float32 when there is no tensor.
 * NOTE: an integer beyond the int32 range counts as a float: int32 could not hold it.
 */
export function commonDType(...operands: unknown[]): DType {
  let dtype: DType | null = null;
  let weak: DType = 'bool';
  for (const x of operands) {
    if (x instanceof Tensor) dtype = dtype === null ? x.dtype : promoteTypes(dtype, x.dtype);
    else if (typeof x === 'number') weak = promoteTypes(weak, weakDType(x));
  }
  if (dtype === null) return 'float32';
  return isFloating(dtype) ? dtype : promoteTypes(dtype, weak);
}

/** `x` itself if it is float32 or float64, else `x` as float32 (functions such as exp, on integers). */
export function floating(x: Tensor): Tensor {
  return isFloating(x.dtype) ? x : castTo(x, 'float32');
}

/** The float dtype a float function of a tensor of `dtype` computes in. */
export function floatOf(dtype: DType): FloatDType {
  return isFloating(dtype) ? dtype : 'float32';
}

/** Both operands as tensors of one dtype and one (broadcast) shape. */
export function binaryOperands(op: string, x: unknown, y: unknown): [Tensor, Tensor] {
  // Two tensors of one dtype and shape (most calls) need no promotion, cast or broadcast: the
  // general path's calls were a fifth of a small add's cost.
  if (x instanceof Tensor && y instanceof Tensor && x.dtype === y.dtype && shapesEqual(x.shape, y.shape))
    return [expectLive(x, op, 'the first operand'), expectLive(y, op, 'the second operand')];
  const dtype = commonDType(x, y);
  const a = castTo(toTensor(op, 'the first operand', x, dtype), dtype);
  const b = castTo(toTensor(op, 'the second operand', y, dtype), dtype);
  const shape = broadcastShapes(op, a.shape, b.shape);
  return [broadcastIfNeeded(a, shape), broadcastIfNeeded(b, shape)];
}

/** Checks that `dtype` is one of the four dtypes. */
export function checkDType(op: string, dtype: unknown): DType {
  if (dtype === 'float32' || dtype === 'float64' || dtype === 'int32' || dtype === 'bool') return dtype;
  throw new DTypeError(`${op}: unsupported dtype ${describe(dtype)} (expected 'float32', 'float64', 'int32' or 'bool')`);
}

/** Checks that `dtype` is float32 or float64 (random numbers, initialisers). */
export function checkFloatDType(op: string, dtype: unknown): FloatDType {
  if (dtype === 'float32' || dtype === 'float64') return dtype;
  throw new DTypeError(`${op}: unsupported dtype ${describe(dtype)} (expected 'float32' or 'float64')`);
}

/** Checks that `x` is a float32 or float64 tensor (convolutions, pools, attention, probabilities). */
export function expectFloatTensor(op: string, name: string, x: unknown): Tensor {
  return expectDType(op, name, expectTensor(op, name, x), ['float32', 'float64']);
}

/** Checks that `x` has one of the `allowed` dtypes; `what` names the argument. */
export function expectDType(op: string, what: string, x: Tensor, allowed: readonly DType[]): Tensor {
  if (allowed.includes(x.dtype)) return x;
  throw new DTypeError(`${op}: ${what} has dtype ${x.dtype}, expected ${allowed.join(' or ')}`);
}
