// Selecting elements by position: take (NumPy's take along one axis), and the integer-array
// form of index(). Positions are constants to autodiff; the gradient of the values taken is
// a scatter-add, so repeated positions accumulate.
import { describe } from '../arguments.js';
import { Tensor, contiguousData } from '../core/tensor.js';
import { bind } from '../core/trace.js';
import { readNested } from '../creation.js';
import { ArgumentError, formatShape } from '../errors.js';
import { takePrim } from '../prims/take.js';
import { normalizeAxis } from '../shape.js';
import { expectTensor } from './operand.js';

/**
 * Positions for `take`: a number (the axis is dropped), nested arrays of numbers (their shape
 * replaces the axis), or a tensor holding integer values (its values are read as constants).
 */
export type Indices = number | readonly Indices[] | Tensor;

/** The positions as non-negative offsets along an axis of `size` (negative counts from the end). */
export function readIndices(op: string, indices: unknown, size: number, axis: number): { flat: Int32Array; shape: number[] } {
  let shape: number[];
  let values: ArrayLike<number>;
  if (typeof indices === 'number') {
    shape = [];
    values = [indices];
  } else if (Array.isArray(indices)) {
    ({ shape, values } = readNested(op, indices));
  } else if (indices instanceof Tensor) {
    shape = [...indices.shape];
    values = contiguousData(indices);
  } else {
    throw new ArgumentError(`${op}: expected indices as a number, an array of integers or a tensor of integers, got ${describe(indices)}`);
  }
  const flat = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isInteger(v) || v < -size || v >= size) {
      throw new ArgumentError(`${op}: index ${describe(v)} (entry ${i}) is out of range for axis ${axis} of size ${size}`);
    }
    flat[i] = v < 0 ? v + size : v;
  }
  return { flat, shape };
}

/** `take` for the functions built on it: `op` names the function the user called. */
export function takeAs(op: string, x: Tensor, indices: unknown, axis: number): Tensor {
  const a = normalizeAxis(op, axis, x.ndim);
  const size = x.shape[a]!;
  const { flat, shape } = readIndices(op, indices, size, a);
  if (size === 0 && flat.length > 0) throw new ArgumentError(`${op}: cannot take from axis ${a} of size 0 in ${formatShape(x.shape)}`);
  return bind(takePrim, [x], { axis: a, indices: flat, indicesShape: shape });
}

/**
 * The elements of `x` at `indices` along `axis` (NumPy's `take`; PyTorch's `index_select` for
 * a 1-D index, `torch.take` without an axis). The result's shape is `x.shape` with `axis`
 * replaced by the shape of `indices`; without `axis`, `x` is flattened first. Negative indices
 * count from the end. Differentiable in `x`: the gradient scatter-adds back to the positions
 * taken, so repeated indices accumulate (an embedding lookup's gradient).
 *
 * @example
 * take(tensor([[1, 2], [3, 4], [5, 6]]), [2, 0, 2], 0).toArray() // [[5, 6], [1, 2], [5, 6]]
 * take(tensor([[1, 2], [3, 4]]), [[0, 3]]).toArray()              // [[1, 4]] (flattened)
 */
export function take(x: Tensor, indices: Indices, axis?: number): Tensor {
  expectTensor('take', 'x', x);
  if (axis === undefined) return takeAs('take', x.ndim === 1 ? x : x.reshape([-1]), indices, 0);
  return takeAs('take', x, indices, axis);
}
