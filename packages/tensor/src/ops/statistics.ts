// More reductions, all composites of existing primitives (no rules of their own): prod, the
// variance and standard deviation, vector norms, argmin, and the logical reductions any/all.
import type { Tensor } from '../core/tensor.js';
import { isFloating } from '../dtype.js';
import { ArgumentError } from '../errors.js';
import { describe, expectBoolean, expectNumber, expectOptions } from '../arguments.js';
import { reducedShape } from '../shape.js';
import { concat, stopGradient } from './layout.js';
import { argmaxAs, axesOf, checkNonEmpty, countOver, reductionAxes, type Axes } from './reduce.js';
import { castTo, expectTensor, floating } from './operand.js';

/**
 * The product over `axis` (all axes when omitted); an empty axis gives 1.
 * NOTE: computed as a tree of pairwise products (no division, no logs), so the derivative
 * ∂/∂xᵢ = ∏ⱼ≠ᵢ xⱼ is exact where inputs are zero, to every order.
 *
 * @example
 * prod(tensor([[1, 2], [3, 4]]), 1).toArray() // [2, 12]
 */
export function prod(x: Tensor, axis?: Axes, keepdims = false): Tensor {
  const axes = axesOf('prod', x, axis, keepdims);
  // A product of bools is counted in int32, as PyTorch's.
  if (x.dtype === 'bool') return prod(castTo(x, 'int32'), axis, keepdims);
  if (axes.length === 0) return x;
  const kept = x.shape.flatMap((_, d) => (axes.includes(d) ? [] : [d]));
  const rows = x.transpose([...kept, ...axes]).reshape([...kept.map((d) => x.shape[d]!), countOver(x, axes)]);
  return productOfLastAxis(rows).reshape(reducedShape(x.shape, axes, keepdims));
}

/** The product along the last axis of `t`, kept as an axis of size 1, by halving the axis. */
function productOfLastAxis(t: Tensor): Tensor {
  let y = t;
  // NOTE: an empty axis multiplies nothing: 1 + 0 · Σ y keeps the result on y's graph.
  if (y.shape[y.ndim - 1] === 0) return y.sum(-1, true).mul(0).add(1);
  for (let n = y.shape[y.ndim - 1]!; n > 1; n = y.shape[y.ndim - 1]!) {
    const h = Math.floor(n / 2);
    const pairs = y.slice(-1, 0, h).mul(y.slice(-1, h, 2 * h));
    y = n % 2 === 0 ? pairs : concat([pairs, y.slice(-1, 2 * h)], -1);
  }
  return y;
}

/** Options of {@link variance} and {@link std}. */
export interface VarianceOptions {
  /** Subtracted from the count in the denominator: 1 (default) is Bessel's unbiased estimate, 0 the population variance. */
  correction?: number;
  /** Keep the reduced axes as size 1. */
  keepdims?: boolean;
}

/**
 * The variance over `axis` (all axes when omitted), PyTorch's `var`:
 * Σ(x − mean)² / max(0, N − correction). One element with correction 1, or an empty axis, is NaN.
 * (Named `variance` because `var` is a reserved word; the method is also `x.var()`.)
 *
 * @example
 * variance(tensor([1, 2, 3, 4])).item() // 1.6666666
 */
export function variance(x: Tensor, axis?: Axes, options?: VarianceOptions): Tensor {
  return varianceAs('variance', x, axis, options);
}

/** variance for `op`, the name the user called (`variance`, `var`, `std`). */
export function varianceAs(op: string, data: Tensor, axis: Axes, options: VarianceOptions | undefined): Tensor {
  const axes = reductionAxes(op, data, axis);
  const x = floating(data);
  const o = expectOptions(op, options);
  const correction = o.correction === undefined ? 1 : expectNumber(op, 'correction', o.correction, { min: 0 });
  const keepdims = expectBoolean(op, 'keepdims', o.keepdims, false);
  const count = countOver(x, axes);
  const deviations = x.sub(x.sum(axes, true).div(count));
  return deviations
    .square()
    .sum(axes, keepdims)
    .div(Math.max(0, count - correction));
}

/**
 * The standard deviation over `axis`: √variance (PyTorch's `std`, the same options). The
 * gradient where the variance is 0 (a constant row) is NaN, as in PyTorch.
 */
export function std(x: Tensor, axis?: Axes, options?: VarianceOptions): Tensor {
  return varianceAs('std', x, axis, options).sqrt();
}

/**
 * The vector p-norm over `axis` (all elements when omitted): (Σ|x|ᵖ)^(1/p) for p > 0,
 * max |x| for p = Infinity, min |x| for −Infinity. The gradient at x = 0 is 0 (PyTorch's
 * subgradient); for p < 1 it is undefined at a zero entry (NaN). An empty axis gives 0 for finite p.
 *
 * @example
 * norm(tensor([3, 4])).item() // 5
 */
export function norm(x: Tensor, p = 2, axis?: Axes, keepdims = false): Tensor {
  expectTensor('norm', 'x', x);
  if (!(p === Infinity || p === -Infinity || (typeof p === 'number' && Number.isFinite(p) && p > 0))) {
    throw new ArgumentError(`norm: expected a positive number, Infinity or -Infinity for p, got ${describe(p)}`);
  }
  const axes = axesOf('norm', x, axis, keepdims);
  if (!isFloating(x.dtype)) return norm(floating(x), p, axis, keepdims);
  if (p === Infinity || p === -Infinity) {
    checkNonEmpty('norm', x, axes);
    return p > 0 ? x.abs().max(axes, keepdims) : x.abs().min(axes, keepdims);
  }
  if (p === 1 || countOver(x, axes) === 0) return x.abs().sum(axes, keepdims);
  // NOTE: scaled by m = max |x| (a constant: the result does not depend on it), so that |x|ᵖ
  // neither overflows nor underflows; m is replaced by 1 where it is 0, ∞ or NaN.
  const m = stopGradient(x).abs().max(axes, true);
  const scale = m.greater(0).mul(m.less(Infinity)).where(m, 1);
  const scaled = x.div(scale);
  const s = (p === 2 ? scaled.square() : scaled.abs().pow(p)).sum(axes, true);
  // NOTE: the root's derivative is infinite at s = 0; where s = 0 the result is the constant 0,
  // and the root runs on 1 there, so the gradient at x = 0 is 0 rather than 0·∞ = NaN.
  const zero = s.equal(0);
  const safe = zero.where(1, s);
  const root = zero.where(0, p === 2 ? safe.sqrt() : safe.pow(1 / p)).mul(scale);
  return keepdims ? root : root.squeeze(axes);
}

/**
 * Index of the (first) minimum along `axis` (default: the last), as an int32 tensor; not
 * differentiable. Where the axis holds a NaN,
 * the index of the first NaN, as argmax.
 */
export function argmin(x: Tensor, axis = -1, keepdims = false): Tensor {
  return argmaxAs('argmin', x, axis, keepdims, true);
}

/**
 * True where some element over `axis` (all axes when omitted) is non-zero (NaN counts as
 * non-zero), as a bool tensor; an empty axis gives false. Not differentiable.
 */
export function any(x: Tensor, axis?: Axes, keepdims = false): Tensor {
  const axes = axesOf('any', x, axis, keepdims);
  return x.notEqual(0).sum(axes, keepdims).greater(0);
}

/** True where every element over `axis` is non-zero (NaN counts as non-zero); an empty axis gives true. Not differentiable. */
export function all(x: Tensor, axis?: Axes, keepdims = false): Tensor {
  const axes = axesOf('all', x, axis, keepdims);
  return x.equal(0).sum(axes, keepdims).equal(0);
}
