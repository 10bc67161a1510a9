// Every shape rule, as pure functions of shapes: broadcasting, axes, reshape, matmul.
// Each throws the typed error that names the operation and the shapes involved.
import { AxisError, ShapeError, formatShape } from './errors.js';

export type Shape = readonly number[];

export function shapeSize(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Row-major strides (in elements) of a contiguous array of `shape`. */
export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d]!;
  }
  return strides;
}

/** Checks that every entry is a non-negative integer. */
export function checkShape(op: string, shape: Shape): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new ShapeError(`${op}: invalid shape ${formatShape(shape)} (entries must be non-negative integers)`);
    }
  }
}

/** NumPy broadcasting: align from the right; each pair of sizes must be equal or contain a 1. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const ndim = Math.max(a.length, b.length);
  const out = new Array<number>(ndim);
  for (let i = 0; i < ndim; i++) {
    const da = a[a.length - ndim + i] ?? 1;
    const db = b[b.length - ndim + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(`${op}: cannot broadcast ${formatShape(a)} with ${formatShape(b)}`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Can `from` be broadcast to exactly `to`? */
export function canBroadcastTo(from: Shape, to: Shape): boolean {
  if (from.length > to.length) return false;
  const lead = to.length - from.length;
  for (let i = 0; i < from.length; i++) if (from[i] !== 1 && from[i] !== to[lead + i]) return false;
  return true;
}

/**
 * The axes of `to` that broadcasting `from` created or stretched: summing a cotangent of shape
 * `to` over them (and reshaping) gives one of shape `from`.
 */
export function broadcastedAxes(from: Shape, to: Shape): number[] {
  const lead = to.length - from.length;
  const axes: number[] = [];
  for (let i = 0; i < to.length; i++) {
    if (i < lead || (from[i - lead] === 1 && to[i] !== 1)) axes.push(i);
  }
  return axes;
}

/** Normalises one axis (negative counts from the end) against `ndim`. */
export function normalizeAxis(op: string, axis: number, ndim: number): number {
  if (!Number.isInteger(axis) || axis < -ndim || axis >= ndim) {
    throw new AxisError(`${op}: axis ${axis} is out of range for a tensor of rank ${ndim} (expected an integer in [${-ndim}, ${ndim - 1}])`);
  }
  return axis < 0 ? axis + ndim : axis;
}

/** Normalises an axis, a list of axes, or undefined (all axes) to a sorted list of distinct axes. */
export function normalizeAxes(op: string, axes: number | readonly number[] | undefined | null, ndim: number): number[] {
  if (axes === undefined || axes === null) return Array.from({ length: ndim }, (_, i) => i);
  const list = typeof axes === 'number' ? [axes] : [...axes];
  const out = list.map((a) => normalizeAxis(op, a, ndim));
  const sorted = [...out].sort((x, y) => x - y);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i] === sorted[i - 1]) throw new AxisError(`${op}: axis ${sorted[i]} is repeated in [${list.join(',')}]`);
  }
  return sorted;
}

/** The shape left after reducing `axes` (kept as 1s with `keepdims`). */
export function reducedShape(shape: Shape, axes: readonly number[], keepdims: boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    if (axes.includes(i)) {
      if (keepdims) out.push(1);
    } else out.push(shape[i]!);
  }
  return out;
}

/** Resolves one `-1` entry and checks that the element count is unchanged. */
export function inferReshape(op: string, from: Shape, to: Shape): number[] {
  const size = shapeSize(from);
  let unknown = -1;
  let known = 1;
  for (let i = 0; i < to.length; i++) {
    const d = to[i]!;
    if (d === -1) {
      if (unknown >= 0) throw new ShapeError(`${op}: only one -1 is allowed in ${formatShape(to)}`);
      unknown = i;
    } else if (!Number.isInteger(d) || d < 0) {
      throw new ShapeError(`${op}: invalid shape ${formatShape(to)} (entries must be non-negative integers or one -1)`);
    } else known *= d;
  }
  const out = [...to];
  if (unknown >= 0) {
    if (known === 0 || size % known !== 0) {
      throw new ShapeError(`${op}: cannot reshape ${formatShape(from)} (${size} elements) to ${formatShape(to)}`);
    }
    out[unknown] = size / known;
  } else if (known !== size) {
    throw new ShapeError(`${op}: cannot reshape ${formatShape(from)} (${size} elements) to ${formatShape(to)} (${known} elements)`);
  }
  return out;
}

/** Checks that `perm` is a permutation of 0..ndim-1 (negative entries allowed). */
export function normalizePermutation(op: string, perm: readonly number[] | undefined, ndim: number): number[] {
  if (perm === undefined) return Array.from({ length: ndim }, (_, i) => ndim - 1 - i);
  if (perm.length !== ndim) {
    throw new AxisError(`${op}: permutation [${perm.join(',')}] has ${perm.length} axes, expected ${ndim}`);
  }
  const out = perm.map((a) => normalizeAxis(op, a, ndim));
  if (new Set(out).size !== ndim) throw new AxisError(`${op}: [${perm.join(',')}] is not a permutation of the axes`);
  return out;
}

export function invertPermutation(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

/**
 * Batch shape of a matmul of `[..., m, k]` by `[..., k, n]` (both at least 2-D here):
 * the batch dimensions broadcast; the inner dimensions must agree.
 */
export function matmulBatchShape(a: Shape, b: Shape, shownA: Shape = a, shownB: Shape = b): number[] {
  const k1 = a[a.length - 1]!;
  const k2 = b[b.length - 2]!;
  if (k1 !== k2) {
    throw new ShapeError(`matmul: cannot multiply ${formatShape(shownA)} by ${formatShape(shownB)} (inner dimensions ${k1} and ${k2} differ)`);
  }
  try {
    return broadcastShapes('matmul', a.slice(0, -2), b.slice(0, -2));
  } catch {
    throw new ShapeError(`matmul: cannot broadcast the batch dimensions of ${formatShape(shownA)} and ${formatShape(shownB)}`);
  }
}
