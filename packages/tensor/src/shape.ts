// Every shape rule, as pure functions of shapes: broadcasting, axes, reshape, matmul.
// Each throws the typed error that names the operation and the shapes involved.
import { AxisError, ShapeError, formatShape } from './errors.js';
import { describe } from './arguments.js';

/** A shape: the size of each dimension, outermost first (`[]` for a scalar). */
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

/** The most axes a tensor may have (NumPy's limit): deeper data or longer shapes are refused. */
export const MAX_NDIM = 64;
/**
 * The most elements a tensor may have. NOTE: 2^31 − 1 is the longest typed array that every
 * engine accepts (some cap lengths at int32), and it keeps every flat index an int32.
 */
export const MAX_SIZE = 2 ** 31 - 1;

/**
 * Checks that `shape` is an array of at most MAX_NDIM non-negative integers whose product is
 * at most MAX_SIZE, and returns a copy (so the caller's array can change later without effect).
 * It reads the length before any entry: a sparse array of any length costs nothing to refuse.
 */
export function checkShape(op: string, shape: unknown): number[] {
  if (!Array.isArray(shape)) throw new ShapeError(`${op}: expected an array of sizes for the shape, got ${describe(shape)}`);
  if (shape.length > MAX_NDIM) throw new ShapeError(`${op}: the shape has ${shape.length} axes, more than the ${MAX_NDIM} allowed`);
  const out: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    const d: unknown = shape[i];
    if (!(i in shape) || typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      throw new ShapeError(
        `${op}: invalid shape ${formatShape(shape)} (entry ${i} is ${i in shape ? describe(d) : 'missing'}; entries must be non-negative integers)`,
      );
    }
    out.push(d);
  }
  checkSize(op, out);
  return out;
}

/** Checks, before anything is allocated, that a tensor of `shape` fits in a typed array. */
export function checkSize(op: string, shape: Shape): void {
  const size = shapeSize(shape);
  if (size > MAX_SIZE) {
    throw new ShapeError(`${op}: shape ${formatShape(shape)} has ${size} elements, more than the ${MAX_SIZE} a tensor can hold`);
  }
}

/**
 * The shape two shapes broadcast to, by NumPy's rules.
 *
 * @example
 * broadcastShapes([2, 1], [3]) // [2, 3]
 */
export function broadcastShapesOf(a: Shape, b: Shape): number[] {
  return broadcastShapes('broadcastShapes', checkShape('broadcastShapes', a), checkShape('broadcastShapes', b));
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
export function normalizeAxis(op: string, axis: unknown, ndim: number): number {
  if (typeof axis !== 'number' || !Number.isInteger(axis) || axis < -ndim || axis >= ndim) {
    throw new AxisError(
      `${op}: axis ${describe(axis)} is out of range for a tensor of rank ${ndim} (expected an integer in [${-ndim}, ${ndim - 1}])`,
    );
  }
  return axis < 0 ? axis + ndim : axis;
}

/** The entries of a list of axes, checked to be an array of at most `ndim` entries without holes. */
function axisList(op: string, axes: unknown, ndim: number, what: string): unknown[] {
  if (!Array.isArray(axes)) throw new AxisError(`${op}: expected ${what}, got ${describe(axes)}`);
  if (axes.length > ndim) throw new AxisError(`${op}: ${axes.length} axes given for a tensor of rank ${ndim}`);
  const list: unknown[] = [];
  for (let i = 0; i < axes.length; i++) {
    if (!(i in axes)) throw new AxisError(`${op}: entry ${i} of the axes is missing`);
    list.push(axes[i]);
  }
  return list;
}

/** Normalises an axis, a list of axes, or undefined (all axes) to a sorted list of distinct axes. */
export function normalizeAxes(op: string, axes: unknown, ndim: number): number[] {
  if (axes === undefined || axes === null) return Array.from({ length: ndim }, (_, i) => i);
  const list = typeof axes === 'number' ? [axes] : axisList(op, axes, ndim, 'an axis or an array of axes');
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
export function inferReshape(op: string, from: Shape, target: unknown): number[] {
  if (!Array.isArray(target)) throw new ShapeError(`${op}: expected an array of sizes for the shape, got ${describe(target)}`);
  if (target.length > MAX_NDIM) throw new ShapeError(`${op}: the shape has ${target.length} axes, more than the ${MAX_NDIM} allowed`);
  const to: unknown[] = Array.from({ length: target.length }, (_, i) => (i in target ? target[i] : undefined));
  const size = shapeSize(from);
  let unknown = -1;
  let known = 1;
  for (let i = 0; i < to.length; i++) {
    const d = to[i];
    if (d === -1) {
      if (unknown >= 0) throw new ShapeError(`${op}: only one -1 is allowed in ${formatShape(to)}`);
      unknown = i;
    } else if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      throw new ShapeError(
        `${op}: invalid shape ${formatShape(to)} (entry ${i} is ${describe(d)}; entries must be non-negative integers or one -1)`,
      );
    } else known *= d;
  }
  const out = to as number[];
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
export function normalizePermutation(op: string, perm: unknown, ndim: number): number[] {
  if (perm === undefined) return Array.from({ length: ndim }, (_, i) => ndim - 1 - i);
  const list = axisList(op, perm, ndim, 'a permutation of the axes (an array)');
  if (list.length !== ndim) throw new AxisError(`${op}: the permutation has ${list.length} axes, expected ${ndim}`);
  const out = list.map((a) => normalizeAxis(op, a, ndim));
  if (new Set(out).size !== ndim) throw new AxisError(`${op}: [${out.join(',')}] is not a permutation of the axes`);
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
    throw new ShapeError(
      `matmul: cannot multiply ${formatShape(shownA)} by ${formatShape(shownB)} (inner dimensions ${k1} and ${k2} differ)`,
    );
  }
  try {
    return broadcastShapes('matmul', a.slice(0, -2), b.slice(0, -2));
  } catch {
    throw new ShapeError(`matmul: cannot broadcast the batch dimensions of ${formatShape(shownA)} and ${formatShape(shownB)}`);
  }
}

/** A shape seen as [outer, shape[axis], inner] around one axis (the sizes before, at and after it). */
export function aroundAxis(shape: Shape, axis: number): [number, number, number] {
  return [shapeSize(shape.slice(0, axis)), shape[axis]!, shapeSize(shape.slice(axis + 1))];
}
