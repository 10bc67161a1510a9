// Reductions and the softmax family. Only sum and max are primitives; mean, min, logSumExp,
// softmax and logSoftmax are composites and need no derivative rules of their own.
import { bind } from '../core/trace.js';
import { fromArray, type Tensor } from '../core/tensor.js';
import { allocate, isFloating } from '../dtype.js';
import { AxisError, ShapeError, formatShape } from '../errors.js';
import { maxPrim, sumPrim } from '../prims/reduce.js';
import { normalizeAxes, normalizeAxis } from '../shape.js';
import { expectTensor, floating } from './operand.js';
import { bitwiseNot } from './bitwise.js';
import { describe, expectBoolean } from '../arguments.js';
import { stopGradient } from './layout.js';

/** An axis, a list of axes (negative counts from the end), or undefined for all axes. */
export type Axes = number | readonly number[] | undefined;

/**
 * The sorted axes a reduction of `x` runs over, with PyTorch's convention for 0-d tensors:
 * axis 0 or −1 (or a list of one of them) names "its one element", i.e. no axis at all.
 */
export function reductionAxes(op: string, x: Tensor, axis: Axes): number[] {
  const ndim = expectTensor(op, 'x', x).ndim;
  if (ndim > 0) return normalizeAxes(op, axis, ndim);
  if (typeof axis === 'number') scalarAxis(op, axis);
  else if (Array.isArray(axis) && axis.length > 1)
    throw new AxisError(`${op}: ${axis.length} axes given for a 0-d tensor (expected at most one, 0 or -1)`);
  else if (Array.isArray(axis) && axis.length === 1 && 0 in axis) scalarAxis(op, axis[0]);
  else normalizeAxes(op, axis, 1);
  return [];
}

/** One axis of `x` (negative counts from the end); for a 0-d tensor 0 or −1, returned as −1. */
export function reductionAxis(op: string, x: Tensor, axis: unknown): number {
  const ndim = expectTensor(op, 'x', x).ndim;
  if (ndim > 0) return normalizeAxis(op, axis, ndim);
  scalarAxis(op, axis);
  return -1;
}

function scalarAxis(op: string, axis: unknown): void {
  if (axis !== 0 && axis !== -1) {
    throw new AxisError(`${op}: axis ${describe(axis)} is out of range for a 0-d tensor (expected 0 or -1, its one element)`);
  }
}

/** The axes of a reduction and its checked `keepdims` flag. */
export function axesOf(op: string, x: Tensor, axis: Axes, keepdims: boolean): number[] {
  const axes = reductionAxes(op, x, axis);
  expectBoolean(op, 'keepdims', keepdims, false);
  return axes;
}

/**
 * Sum over `axis` (an axis, a list, or all axes when omitted). A sum of bools counts them
 * (int32); int32 sums stay int32, wrapping modulo 2³² as PyTorch's integer sums do.
 *
 * @example
 * sum(tensor([[1, 2], [3, 4]]), 0).toArray() // [4, 6]
 */
export function sum(x: Tensor, axis?: Axes, keepdims = false): Tensor {
  return bind(sumPrim, [x], { axes: axesOf('sum', x, axis, keepdims), keepdims });
}

/**
 * Mean over `axis` (all axes when omitted); over an empty axis it is NaN (0/0), as in PyTorch.
 * The mean of int32 or bool values is float32 (PyTorch refuses them; NumPy gives a float).
 */
export function mean(x: Tensor, axis?: Axes, keepdims = false): Tensor {
  const axes = axesOf('mean', x, axis, keepdims);
  return bind(sumPrim, [floating(x)], { axes, keepdims }).div(countOver(x, axes));
}

/** The number of elements of `x` a reduction over `axes` combines into each output. */
export function countOver(x: Tensor, axes: readonly number[]): number {
  let count = 1;
  for (const a of axes) count *= x.shape[a]!;
  return count;
}

export function checkNonEmpty(op: string, x: Tensor, axes: readonly number[]): void {
  for (const a of axes) {
    if (x.shape[a] === 0) throw new ShapeError(`${op}: cannot reduce the empty axis ${a} of ${formatShape(x.shape)}`);
  }
}

/** Maximum over `axis`; tied maxima share the gradient equally. */
export function max(x: Tensor, axis?: Axes, keepdims = false): Tensor {
  const axes = axesOf('max', x, axis, keepdims);
  checkNonEmpty('max', x, axes);
  return bind(maxPrim, [x], { axes, keepdims });
}

/** Minimum over `axis`. */
export function min(x: Tensor, axis?: Axes, keepdims = false): Tensor {
  const axes = axesOf('min', x, axis, keepdims);
  checkNonEmpty('min', x, axes);
  // NOTE: ~x = −x − 1 reverses the order of integers without overflowing (−x does at −2³¹).
  if (!isFloating(x.dtype)) return bitwiseNot(bind(maxPrim, [bitwiseNot(x)], { axes, keepdims }));
  return bind(maxPrim, [x.neg()], { axes, keepdims }).neg();
}

/**
 * log Σ exp(x) over `axis` (default: the last), stable for any logits: a row of −∞ gives −∞,
 * a row holding +∞ gives +∞, and an empty axis gives −∞ (the log of an empty sum).
 * NOTE: the shift m = max(x) is held constant (stopGradient): the result does not depend on
 * it mathematically, and treating it as a constant keeps the rules free of max's kinks.
 */
export function logSumExp(x: Tensor, axis: Axes = -1, keepdims = false): Tensor {
  return logSumExpOver(axesOf('logSumExp', x, axis, keepdims), floating(x), keepdims);
}

function logSumExpOver(axes: readonly number[], x: Tensor, keepdims: boolean): Tensor {
  const m = stopGradient(finiteShift(bind(maxPrim, [x], { axes, keepdims: true })));
  const shifted = x.sub(m).exp().sum(axes, true).log().add(m);
  return keepdims ? shifted : shifted.squeeze(axes);
}

/**
 * The max as a shift, with ±∞ replaced by 0. NOTE: x − m would be ∞ − ∞ = NaN for a row of −∞
 * (or one holding +∞); the shift only keeps exp in range, and for those rows any shift gives
 * the right answer (−∞, +∞). An empty row's max is −∞ too, so it gives log 0 = −∞.
 */
export function finiteShift(m: Tensor): Tensor {
  return m.abs().equal(Infinity).where(0, m);
}

/** x − logSumExp(x) along `axis` (default: the last); over an empty axis, an empty tensor. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  const axes = axesOf1('logSoftmax', x, axis);
  const f = floating(x);
  return f.sub(logSumExpOver(axes, f, true));
}

/** One axis as a list, empty for a 0-d tensor (whose axis 0 or −1 is its one element). */
function axesOf1(op: string, x: Tensor, axis: unknown): number[] {
  const a = reductionAxis(op, x, axis);
  return x.ndim === 0 ? [] : [a];
}

/** exp(x) / Σ exp(x) along `axis` (default: the last), stable for logits of any size. */
export function softmax(x: Tensor, axis = -1): Tensor {
  const axes = axesOf1('softmax', x, axis);
  const f = floating(x);
  const m = stopGradient(bind(maxPrim, [f], { axes, keepdims: true }));
  const e = f.sub(m).exp();
  return e.div(bind(sumPrim, [e], { axes, keepdims: true }));
}

/**
 * Index of the (first) maximum along `axis`, as an int32 tensor; not differentiable. Where
 * the axis holds a NaN, the index of the first NaN (as NumPy). A 0-d tensor's axis 0 or −1 is
 * its one element: the index is 0.
 */
export function argmax(x: Tensor, axis = -1, keepdims = false): Tensor {
  return argmaxAs('argmax', x, axis, keepdims, false);
}

/**
 * argmax for `op` (errors name it), of x reversed in order when `negate` (argmin): −x for
 * floats (−NaN is NaN, so NaN still wins), ~x for integers (no overflow), not x for bools.
 */
export function argmaxAs(op: string, x: Tensor, axis: unknown, keepdims: boolean, negate: boolean): Tensor {
  const a = reductionAxis(op, x, axis);
  expectBoolean(op, 'keepdims', keepdims, false);
  if (x.ndim === 0) return fromArray(allocate('int32', 1), [], 'int32');
  checkNonEmpty(op, x, [a]);
  const c = stopGradient(x);
  const v = !negate ? c : isFloating(c.dtype) ? c.neg() : bitwiseNot(c);
  // NOTE: the max of a row with a NaN is NaN, which equals nothing; NaN entries are then the
  // candidates (v ≠ v only for NaN), and a row without NaN has none of them.
  const isMax = v.equal(bind(maxPrim, [v], { axes: [a], keepdims: true })).logicalOr(v.notEqual(v));
  const shape = x.shape.map((d, i) => (i === a ? d : 1));
  const positions = positionsAlong(x.shape[a]!).reshape(shape);
  return isMax.where(positions, x.shape[a]!).min(a, keepdims);
}

/** 0, 1, …, n − 1 as an int32 tensor (a constant): positions along an axis. */
export function positionsAlong(n: number): Tensor {
  const data = allocate('int32', n);
  for (let i = 0; i < n; i++) data[i] = i;
  return fromArray(data, [n], 'int32');
}
