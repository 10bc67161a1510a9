// Cumulative operations along one axis: cumsum, cumprod, logCumSumExp, cummax and cummin.
// cumsum binds its primitive (prims/scan.ts: one pass). The others are inclusive scans with an
// associative combine, computed as composites (no rules of their own): ⌈log₂ n⌉ rounds in which
// element i combines with element i − d, d = 1, 2, 4, … (Hillis–Steele). Only slices, concat and
// elementwise ops are involved, so every derivative follows from theirs: cumprod's is exact
// where inputs are zero, and cummax's goes to the element whose value was taken.
import { bind } from '../core/trace.js';
import type { Tensor } from '../core/tensor.js';
import { cumsumPrim } from '../prims/scan.js';
import { concat, stopGradient } from './layout.js';
import { finiteShift, positionsAlong, reductionAxis } from './reduce.js';
import { castTo, floating } from './operand.js';

/** Combines the running values of earlier positions with those of later ones (same shapes). */
type Combine = (earlier: readonly Tensor[], later: readonly Tensor[]) => Tensor[];

/** The inclusive scan of the tensors `xs` (one shape) along `axis` by `combine`. */
function scan(xs: readonly Tensor[], axis: number, combine: Combine): Tensor[] {
  const n = xs[0]!.shape[axis]!;
  let ys = [...xs];
  for (let d = 1; d < n; d *= 2) {
    const combined = combine(
      ys.map((y) => y.slice(axis, 0, n - d)),
      ys.map((y) => y.slice(axis, d)),
    );
    ys = ys.map((y, k) => concat([y.slice(axis, 0, d), combined[k]!], axis));
  }
  return ys;
}

/** The axis of a scan of `x`; a 0-d tensor (axis 0 or −1) is scanned as one element. */
function scanOf(op: string, x: Tensor, axis: unknown): [Tensor, number] {
  const a = reductionAxis(op, x, axis);
  return x.ndim === 0 ? [x.reshape([1]), 0] : [x, a];
}

/** The scan's result in the input's shape (a 0-d input gives a 0-d result). */
const shaped = (y: Tensor, x: Tensor): Tensor => (x.ndim === 0 ? y.reshape([]) : y);

/**
 * Cumulative sum along `axis`: yᵢ = Σⱼ≤ᵢ xⱼ.
 *
 * @example
 * cumsum(tensor([1, 2, 3]), 0).toArray() // [1, 3, 6]
 */
export function cumsum(x: Tensor, axis: number): Tensor {
  const [t, a] = scanOf('cumsum', x, axis);
  return shaped(bind(cumsumPrim, [t], { axis: a, reverse: false }), x);
}

/**
 * Cumulative product along `axis`: yᵢ = ∏ⱼ≤ᵢ xⱼ. The gradient is exact where inputs are zero
 * (products of the other factors, never a division by xᵢ).
 *
 * @example
 * cumprod(tensor([1, 2, 0, 3]), 0).toArray() // [1, 2, 0, 0]
 */
export function cumprod(x: Tensor, axis: number): Tensor {
  const [t, a] = scanOf('cumprod', x, axis);
  // A product of bools is counted in int32, as PyTorch's (a bool product would be an and).
  const factors = t.dtype === 'bool' ? castTo(t, 'int32') : t;
  return shaped(scan([factors], a, ([u], [v]) => [u!.mul(v!)])[0]!, x);
}

/**
 * log Σⱼ≤ᵢ exp(xⱼ) along `axis`, stable for any logits: each step is log(eᵘ + eᵛ) computed as
 * m + log(e^(u−m) + e^(v−m)) with m = max(u, v) held constant (as in logSumExp). A prefix of
 * −∞ gives −∞.
 */
export function logCumSumExp(x: Tensor, axis: number): Tensor {
  const [line, a] = scanOf('logCumSumExp', x, axis);
  const t = floating(line);
  const logAddExp = ([u]: readonly Tensor[], [v]: readonly Tensor[]) => {
    const m = stopGradient(finiteShift(u!.maximum(v!)));
    return [u!.sub(m).exp().add(v!.sub(m).exp()).log().add(m)];
  };
  return shaped(scan([t], a, logAddExp)[0]!, x);
}

/**
 * The running maximum along `axis` and where it was attained: `[values, indices]`, the indices
 * int32. On ties the later index
 * wins, and a NaN, once met, is the maximum from there on (the index of the latest NaN), as in
 * PyTorch. The values are differentiable: the gradient goes to the element at the index.
 *
 * @example
 * cummax(tensor([1, 3, 2, 3]), 0) // [[1, 3, 3, 3], [0, 1, 1, 3]]
 */
export function cummax(x: Tensor, axis: number): [Tensor, Tensor] {
  return cumulativeExtreme('cummax', x, axis, (u, v) => v.greaterEqual(u));
}

/** The running minimum along `axis` and where it was attained, `[values, indices]`: cummax's mirror. */
export function cummin(x: Tensor, axis: number): [Tensor, Tensor] {
  return cumulativeExtreme('cummin', x, axis, (u, v) => v.lessEqual(u));
}

/** A running extreme: the later value replaces the earlier where `better(earlier, later)` is 1, or the later is NaN. */
function cumulativeExtreme(op: string, x: Tensor, axis: number, better: (u: Tensor, v: Tensor) => Tensor): [Tensor, Tensor] {
  const [t, a] = scanOf(op, x, axis);
  const positions = positionsAlong(t.shape[a]!)
    .reshape(t.shape.map((d, i) => (i === a ? d : 1)))
    .broadcastTo(t.shape);
  // NOTE: "the later wins if it is NaN, or if the earlier is not NaN and the later is at least
  // as good" is a maximum in one total order (NaN on top, ties by position), so it is associative.
  const pick = ([u, i]: readonly Tensor[], [v, j]: readonly Tensor[]) => {
    const later = v!.notEqual(v!).logicalOr(u!.equal(u!).logicalAnd(better(u!, v!)));
    return [later.where(v!, u!), later.where(j!, i!)];
  };
  const [values, indices] = scan([t, positions], a, pick);
  return [shaped(values!, x), shaped(indices!, x)];
}
