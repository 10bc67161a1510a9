// Reductions and the softmax family. Only sum and max are primitives; mean, min, logSumExp,
// softmax and logSoftmax are composites and need no derivative rules of their own.
import { bind } from '../core/trace.js';
import { fromArray, type Tensor } from '../core/tensor.js';
import { allocate } from '../dtype.js';
import { ShapeError, formatShape } from '../errors.js';
import { maxPrim, sumPrim } from '../prims/reduce.js';
import { normalizeAxes, normalizeAxis } from '../shape.js';
import { expectTensor } from './operand.js';
import { stopGradient } from './layout.js';

/** An axis, a list of axes (negative counts from the end), or undefined for all axes. */
export type Axes = number | readonly number[] | undefined;

function axesOf(op: string, x: Tensor, axis: Axes): number[] {
  return normalizeAxes(op, axis, expectTensor(op, 'x', x).ndim);
}

/**
 * Sum over `axis` (an axis, a list, or all axes when omitted).
 *
 * @example
 * sum(tensor([[1, 2], [3, 4]]), 0).toArray() // [4, 6]
 */
export function sum(x: Tensor, axis?: Axes, keepdims = false): Tensor {
  return bind(sumPrim, [x], { axes: axesOf('sum', x, axis), keepdims });
}

/** Mean over `axis` (all axes when omitted). */
export function mean(x: Tensor, axis?: Axes, keepdims = false): Tensor {
  const axes = axesOf('mean', x, axis);
  let count = 1;
  for (const a of axes) count *= x.shape[a]!;
  if (count === 0) throw new ShapeError(`mean: cannot average over an empty axis of ${formatShape(x.shape)}`);
  return bind(sumPrim, [x], { axes, keepdims }).div(count);
}

function checkNonEmpty(op: string, x: Tensor, axes: readonly number[]): void {
  for (const a of axes) {
    if (x.shape[a] === 0) throw new ShapeError(`${op}: cannot reduce the empty axis ${a} of ${formatShape(x.shape)}`);
  }
}

/** Maximum over `axis`; tied maxima share the gradient equally. */
export function max(x: Tensor, axis?: Axes, keepdims = false): Tensor {
  const axes = axesOf('max', x, axis);
  checkNonEmpty('max', x, axes);
  return bind(maxPrim, [x], { axes, keepdims });
}

/** Minimum over `axis`. */
export function min(x: Tensor, axis?: Axes, keepdims = false): Tensor {
  const axes = axesOf('min', x, axis);
  checkNonEmpty('min', x, axes);
  return bind(maxPrim, [x.neg()], { axes, keepdims }).neg();
}

/**
 * log Σ exp(x) over `axis` (default: the last), stable for any finite logits.
 * NOTE: the shift m = max(x) is held constant (stopGradient): the result does not depend on
 * it mathematically, and treating it as a constant keeps the rules free of max's kinks.
 */
export function logSumExp(x: Tensor, axis: Axes = -1, keepdims = false): Tensor {
  const axes = axesOf('logSumExp', x, axis);
  checkNonEmpty('logSumExp', x, axes);
  const m = stopGradient(bind(maxPrim, [x], { axes, keepdims: true }));
  const shifted = x.sub(m).exp().sum(axes, true).log().add(m);
  return keepdims ? shifted : shifted.squeeze(axes);
}

/** x − logSumExp(x) along `axis` (default: the last). */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  const a = normalizeAxis('logSoftmax', axis, expectTensor('logSoftmax', 'x', x).ndim);
  return x.sub(logSumExp(x, a, true));
}

/** exp(x) / Σ exp(x) along `axis` (default: the last), stable for logits of any size. */
export function softmax(x: Tensor, axis = -1): Tensor {
  const a = normalizeAxis('softmax', axis, expectTensor('softmax', 'x', x).ndim);
  const m = stopGradient(bind(maxPrim, [x], { axes: [a], keepdims: true }));
  const e = x.sub(m).exp();
  return e.div(e.sum(a, true));
}

/** Index of the (first) maximum along `axis`, as a tensor of the input's dtype; not differentiable. */
export function argmax(x: Tensor, axis = -1, keepdims = false): Tensor {
  const a = normalizeAxis('argmax', axis, expectTensor('argmax', 'x', x).ndim);
  checkNonEmpty('argmax', x, [a]);
  const v = stopGradient(x);
  const isMax = v.equal(bind(maxPrim, [v], { axes: [a], keepdims: true }));
  const shape = x.shape.map((d, i) => (i === a ? d : 1));
  const positions = arangeLike(x, x.shape[a]!).reshape(shape);
  return isMax.where(positions, Infinity).min(a, keepdims);
}

function arangeLike(x: Tensor, n: number): Tensor {
  const data = allocate(x.dtype, n);
  for (let i = 0; i < n; i++) data[i] = i;
  return fromArray(data, [n], x.dtype);
}
