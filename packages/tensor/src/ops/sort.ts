// Sorting along one axis: sort, argsort and topk. The permutation comes from the argsort
// primitive (a constant to autodiff); the values are the input moved by it (permuteAlong), so
// their gradient goes back to where each value came from.
import { bind } from '../core/trace.js';
import type { Tensor } from '../core/tensor.js';
import { expectBoolean, expectInteger, expectOptions } from '../arguments.js';
import { argsortPrim, permuteAlongPrim } from '../prims/sort.js';
import { reductionAxis } from './reduce.js';

/** Options of {@link sort} and {@link argsort}. */
export interface SortOptions {
  /** Largest first (default: smallest first). */
  descending?: boolean;
  /** Keep equal elements in their order. Accepted for PyTorch's signature: the sort is always stable. */
  stable?: boolean;
}

/** Options of {@link topk}. */
export interface TopkOptions {
  /** The k largest (default) or, with `false`, the k smallest. */
  largest?: boolean;
  /** Return them in order. Accepted for PyTorch's signature: they are always in order. */
  sorted?: boolean;
}

/** The line axis of `x` (0-d: reshaped to one element) and the checked direction. */
function sortOf(op: string, x: Tensor, axis: unknown, options: SortOptions | undefined): [Tensor, number, boolean] {
  const a = reductionAxis(op, x, axis);
  const o = expectOptions(op, options);
  const descending = expectBoolean(op, 'descending', o.descending, false);
  expectBoolean(op, 'stable', o.stable, false);
  return x.ndim === 0 ? [x.reshape([1]), 0, descending] : [x, a, descending];
}

/** `[values, indices]` of the sorted lines of `t` along `axis`, in `x`'s shape. */
function sorted(x: Tensor, t: Tensor, axis: number, descending: boolean): [Tensor, Tensor] {
  const indices = bind(argsortPrim, [t], { axis, descending });
  const values = bind(permuteAlongPrim, [t, indices], { axis });
  return x.ndim === 0 ? [values.reshape([]), indices.reshape([])] : [values, indices];
}

/**
 * Sorts along `axis` (default: the last): `[values, indices]` with values[…, j, …] =
 * x[…, indices[…, j, …], …]. NaN sorts as the largest value (last, or first when descending);
 * equal elements keep their order. The indices are int32; the values are differentiable (the gradient goes back by the permutation).
 *
 * @example
 * sort(tensor([3, 1, 2]))[0].toArray() // [1, 2, 3]
 */
export function sort(x: Tensor, axis = -1, options?: SortOptions): [Tensor, Tensor] {
  const [t, a, descending] = sortOf('sort', x, axis, options);
  return sorted(x, t, a, descending);
}

/** The indices that sort `x` along `axis` (default: the last), as {@link sort}'s; not differentiable. */
export function argsort(x: Tensor, axis = -1, options?: SortOptions): Tensor {
  const [t, a, descending] = sortOf('argsort', x, axis, options);
  const indices = bind(argsortPrim, [t], { axis: a, descending });
  return x.ndim === 0 ? indices.reshape([]) : indices;
}

/**
 * The `k` largest (or smallest) elements along `axis` (default: the last) and their indices,
 * `[values, indices]`, in order (largest first, or smallest first); NaN counts as the largest,
 * and among equal elements the earlier comes first. The values are differentiable.
 *
 * @example
 * topk(tensor([1, 5, 3, 4]), 2)[1].toArray() // [1, 3]
 */
export function topk(x: Tensor, k: number, axis = -1, options?: TopkOptions): [Tensor, Tensor] {
  const a = reductionAxis('topk', x, axis);
  const size = x.ndim === 0 ? 1 : x.shape[a]!;
  expectInteger('topk', 'k', k, 0, size);
  const o = expectOptions('topk', options);
  const largest = expectBoolean('topk', 'largest', o.largest, true);
  expectBoolean('topk', 'sorted', o.sorted, true);
  const t = x.ndim === 0 ? x.reshape([1]) : x;
  const [values, indices] = sorted(t, t, x.ndim === 0 ? 0 : a, largest);
  const first = (y: Tensor) => (x.ndim === 0 ? y.slice(0, 0, k).reshape(k === 1 ? [] : [0]) : y.slice(a, 0, k));
  return [first(values), first(indices)];
}
