// Layout composites with PyTorch's names and conventions: flips, rolls, moved and swapped axes,
// splits, tiles and repeats, triangles and diagonals, padding and meshgrid. Each is built from
// slice (a strided view, negative steps included), reshape, transpose, broadcast, concat and
// where, so none needs a derivative rule of its own.
import { bind } from '../core/trace.js';
import { Tensor, fromArray } from '../core/tensor.js';
import { allocate, type DType } from '../dtype.js';
import { ArgumentError, AxisError, ShapeError, formatShape } from '../errors.js';
import { describe, expectInteger, expectOptions } from '../arguments.js';
import { slicePrim } from '../prims/layout.js';
import { checkShape, checkSize, normalizeAxes, normalizeAxis } from '../shape.js';
import { where } from './arithmetic.js';
import { broadcastTo, concat, reshape, transpose } from './layout.js';
import { castTo, commonDType, expectTensor, expectTensorList } from './operand.js';

const MAX_INT = 2 ** 31 - 1;

/** `count` elements `start, start+step, …` of `axis` (already checked to lie inside): a view. */
function window(x: Tensor, axis: number, start: number, count: number, step: number): Tensor {
  if (count === x.shape[axis] && start === 0 && step === 1) return x;
  const starts = x.shape.map((_, d) => (d === axis ? (count === 0 ? 0 : start) : 0));
  const steps = x.shape.map((_, d) => (d === axis ? step : 1));
  const shape = x.shape.map((n, d) => (d === axis ? count : n));
  return bind(slicePrim, [x], { starts, steps, shape });
}

/** A constant tensor of `shape` filled with `value`. */
function constant(shape: readonly number[], value: number, dtype: DType): Tensor {
  const data = allocate(
    dtype,
    shape.reduce((a, b) => a * b, 1),
  );
  if (value !== 0) data.fill(value);
  return fromArray(data, shape, dtype);
}

/** A number or a list of numbers as a list (holes and non-arrays refused). */
function intList(op: string, name: string, v: unknown, min: number): number[] {
  if (typeof v === 'number') return [expectInteger(op, name, v, min, Number.MAX_SAFE_INTEGER)];
  if (!Array.isArray(v)) throw new ArgumentError(`${op}: expected an integer or an array of integers for ${name}, got ${describe(v)}`);
  const out: number[] = [];
  for (let i = 0; i < v.length; i++) out.push(expectInteger(op, `${name}[${i}]`, v[i], min, Number.MAX_SAFE_INTEGER));
  return out;
}

/**
 * The elements in reverse order along `axes` (a number, a list, or every axis when omitted):
 * out[…, i, …] = x[…, n−1−i, …]. A view (negative strides).
 *
 * @example
 * flip(tensor([[1, 2], [3, 4]]), 1).toArray() // [[2, 1], [4, 3]]
 */
export function flip(x: Tensor, axes?: number | readonly number[]): Tensor {
  expectTensor('flip', 'x', x);
  const list = normalizeAxes('flip', axes, x.ndim);
  if (list.length === 0) return x;
  const starts = x.shape.map((n, d) => (list.includes(d) && n > 0 ? n - 1 : 0));
  const steps = x.shape.map((_, d) => (list.includes(d) ? -1 : 1));
  return bind(slicePrim, [x], { starts, steps, shape: x.shape });
}

/**
 * Rotates the elements along `axes` by `shifts` (PyTorch's roll): out[…, (i+s) mod n, …] =
 * x[…, i, …]. Without `axes`, `shifts` is one number and the flattened tensor is rolled.
 *
 * @example
 * roll(tensor([1, 2, 3, 4]), 1).toArray() // [4, 1, 2, 3]
 */
export function roll(x: Tensor, shifts: number | readonly number[], axes?: number | readonly number[]): Tensor {
  expectTensor('roll', 'x', x);
  const s = intList('roll', 'shifts', shifts, Number.MIN_SAFE_INTEGER);
  if (axes === undefined) {
    if (s.length !== 1) throw new ArgumentError(`roll: without axes, shifts must be one number, got ${s.length} shifts`);
    return reshape(rollAxis(reshape(x, [-1]), 0, s[0]!), x.shape);
  }
  const a = intList('roll', 'axes', axes, Number.MIN_SAFE_INTEGER).map((v) => normalizeAxis('roll', v, x.ndim));
  if (a.length !== s.length) throw new ArgumentError(`roll: ${s.length} shifts given for ${a.length} axes`);
  let out = x;
  a.forEach((axis, i) => (out = rollAxis(out, axis, s[i]!)));
  return out;
}

function rollAxis(x: Tensor, axis: number, shift: number): Tensor {
  const n = x.shape[axis]!;
  const k = n === 0 ? 0 : ((shift % n) + n) % n;
  if (k === 0) return x;
  return concat([window(x, axis, n - k, k, 1), window(x, axis, 0, n - k, 1)], axis);
}

/**
 * Moves the axes `source` to the positions `destination` (a number or equal-length lists);
 * the other axes keep their order. A view.
 *
 * @example
 * movedim(zeros([2, 3, 4]), 0, -1).shape // [3, 4, 2]
 */
export function movedim(x: Tensor, source: number | readonly number[], destination: number | readonly number[]): Tensor {
  expectTensor('movedim', 'x', x);
  const src = intList('movedim', 'source', source, Number.MIN_SAFE_INTEGER).map((a) => normalizeAxis('movedim', a, x.ndim));
  const dst = intList('movedim', 'destination', destination, Number.MIN_SAFE_INTEGER).map((a) => normalizeAxis('movedim', a, x.ndim));
  if (src.length !== dst.length)
    throw new ArgumentError(`movedim: ${src.length} source axes but ${dst.length} destination axes (expected as many)`);
  if (new Set(src).size !== src.length) throw new AxisError(`movedim: repeated axis in source [${src.join(',')}]`);
  if (new Set(dst).size !== dst.length) throw new AxisError(`movedim: repeated axis in destination [${dst.join(',')}]`);
  const perm = new Array<number>(x.ndim).fill(-1);
  src.forEach((a, i) => (perm[dst[i]!] = a));
  const rest = x.shape.map((_, d) => d).filter((d) => !src.includes(d));
  for (let d = 0, k = 0; d < x.ndim; d++) if (perm[d] === -1) perm[d] = rest[k++]!;
  return transpose(x, perm);
}

/** Exchanges axes `axis1` and `axis2` (PyTorch's swapaxes / transpose(a, b)). A view. */
export function swapaxes(x: Tensor, axis1: number, axis2: number): Tensor {
  expectTensor('swapaxes', 'x', x);
  const a = normalizeAxis('swapaxes', axis1, x.ndim);
  const b = normalizeAxis('swapaxes', axis2, x.ndim);
  const perm = x.shape.map((_, d) => (d === a ? b : d === b ? a : d));
  return transpose(x, perm);
}

/**
 * Views of consecutive pieces along `axis` (PyTorch's split): a number is the size of every
 * piece (the last may be smaller); an array lists the sizes, which must add up to the axis.
 *
 * @example
 * split(arange(5), 2).map((t) => t.toArray()) // [[0, 1], [2, 3], [4]]
 */
export function split(x: Tensor, sizeOrSizes: number | readonly number[], axis = 0): Tensor[] {
  expectTensor('split', 'x', x);
  const a = normalizeAxis('split', axis, x.ndim);
  const n = x.shape[a]!;
  let sizes: number[];
  if (typeof sizeOrSizes === 'number') {
    const size = expectInteger('split', 'the piece size', sizeOrSizes, n === 0 ? 0 : 1, MAX_INT);
    sizes = [];
    for (let start = 0; start < n; start += size) sizes.push(Math.min(size, n - start));
    if (sizes.length === 0) sizes.push(0);
  } else {
    sizes = intList('split', 'sizes', sizeOrSizes, 0);
    const total = sizes.reduce((p, q) => p + q, 0);
    if (sizes.length === 0 || total !== n)
      throw new ShapeError(`split: the sizes [${sizes.join(',')}] add up to ${total}, but axis ${a} of ${formatShape(x.shape)} has ${n}`);
  }
  return piecesOf(x, a, sizes);
}

function piecesOf(x: Tensor, axis: number, sizes: readonly number[]): Tensor[] {
  let start = 0;
  return sizes.map((size) => {
    const piece = window(x, axis, start, size, 1);
    start += size;
    return piece;
  });
}

/**
 * At most `n` views of equal size ⌈size/n⌉ along `axis` (the last may be smaller, and there may
 * be fewer than `n`, as in PyTorch's chunk); an empty axis gives `n` empty pieces.
 *
 * @example
 * chunk(arange(5), 3).map((t) => t.shape[0]) // [2, 2, 1]
 */
export function chunk(x: Tensor, n: number, axis = 0): Tensor[] {
  expectTensor('chunk', 'x', x);
  const chunks = expectInteger('chunk', 'the number of chunks', n, 1, MAX_INT);
  const a = normalizeAxis('chunk', axis, x.ndim);
  const size = x.shape[a]!;
  if (size === 0) return piecesOf(x, a, new Array<number>(chunks).fill(0));
  const step = Math.ceil(size / chunks);
  const sizes: number[] = [];
  for (let start = 0; start < size; start += step) sizes.push(Math.min(step, size - start));
  return piecesOf(x, a, sizes);
}

/**
 * `x` repeated `reps[i]` times along each axis (PyTorch's tile): a shorter `reps` is padded
 * with leading 1s, a longer one gives `x` leading axes of size 1.
 *
 * @example
 * tile(tensor([1, 2]), [2, 2]).toArray() // [[1, 2, 1, 2], [1, 2, 1, 2]]
 */
export function tile(x: Tensor, reps: readonly number[]): Tensor {
  expectTensor('tile', 'x', x);
  if (!Array.isArray(reps)) throw new ArgumentError(`tile: expected an array of repetitions for reps, got ${describe(reps)}`);
  const r = intList('tile', 'reps', reps, 0);
  const ndim = Math.max(r.length, x.ndim);
  const full = [...new Array<number>(ndim - r.length).fill(1), ...r];
  const dims = [...new Array<number>(ndim - x.ndim).fill(1), ...x.shape];
  const result = checkShape(
    'tile',
    dims.map((d, i) => d * full[i]!),
  );
  let out = reshape(x, dims);
  full.forEach((k, a) => {
    if (k !== 1) out = repeatAlong(out, a, k, true);
  });
  return reshape(out, result);
}

/**
 * `t` repeated `k` times along `axis`: each element in place (`whole` false: 1 1 2 2) or the whole
 * axis (`whole` true: 1 2 1 2). Through 4-D views whatever the rank, so no intermediate has more
 * axes than the result.
 */
function repeatAlong(t: Tensor, axis: number, k: number, whole: boolean): Tensor {
  const n = t.shape[axis]!;
  const result = t.shape.map((d, i) => (i === axis ? d * k : d));
  if (n === 0) return reshape(t, result);
  const before = t.shape.slice(0, axis).reduce((p, q) => p * q, 1);
  const after = t.shape.slice(axis + 1).reduce((p, q) => p * q, 1);
  // [before, positions, copies, block]: a block is one element (times the trailing axes) or the whole axis.
  const [positions, block] = whole ? [1, n * after] : [n, after];
  const spread = broadcastTo(reshape(t, [before, positions, 1, block]), [before, positions, k, block]);
  return reshape(spread, result);
}

/**
 * Each element repeated `repeats` times along `axis`, in place (PyTorch's repeat_interleave);
 * without `axis`, of the flattened tensor. `repeats` is one count, or one per element of the axis
 * (an array, or a 1-D tensor of whole numbers, not differentiated; one entry counts for all).
 *
 * @example
 * repeatInterleave(tensor([1, 2]), 2).toArray()      // [1, 1, 2, 2]
 * repeatInterleave(tensor([1, 2]), [1, 3]).toArray() // [1, 2, 2, 2]
 */
export function repeatInterleave(x: Tensor, repeats: number | readonly number[] | Tensor, axis?: number): Tensor {
  expectTensor('repeatInterleave', 'x', x);
  const counts = repeatCounts(repeats);
  const t = axis === undefined ? reshape(x, [-1]) : x;
  const a = normalizeAxis('repeatInterleave', axis ?? 0, t.ndim);
  const n = t.shape[a]!;
  if (counts.length === 1) {
    const r = counts[0]!;
    checkSize(
      'repeatInterleave',
      t.shape.map((d, i) => (i === a ? d * r : d)),
    );
    return repeatAlong(t, a, r, false);
  }
  if (counts.length !== n)
    throw new ShapeError(`repeatInterleave: ${counts.length} repeats given for axis ${a} of size ${n} in ${formatShape(t.shape)}`);
  const total = counts.reduce((p, q) => p + q, 0);
  checkSize(
    'repeatInterleave',
    t.shape.map((d, i) => (i === a ? total : d)),
  );
  const pieces = counts.flatMap((r, i) =>
    r === 0
      ? []
      : [
          broadcastTo(
            window(t, a, i, 1, 1),
            t.shape.map((d, j) => (j === a ? r : d)),
          ),
        ],
  );
  return pieces.length === 0 ? window(t, a, 0, 0, 1) : concat(pieces, a);
}

/** The counts of repeatInterleave: whole numbers ≥ 0 from a number, an array or a 1-D tensor. */
function repeatCounts(repeats: unknown): number[] {
  if (!(repeats instanceof Tensor)) return intList('repeatInterleave', 'repeats', repeats, 0);
  if (repeats.ndim > 1) throw new ShapeError(`repeatInterleave: repeats must be 0-D or 1-D, got shape ${formatShape(repeats.shape)}`);
  return intList('repeatInterleave', 'repeats', Array.from(repeats.data()), 0);
}

/** The lower (`lower`) or upper triangle of the last two axes, about diagonal k; zeros elsewhere. */
function triangle(op: string, x: Tensor, k: unknown, lower: boolean): Tensor {
  expectTensor(op, 'x', x);
  const offset = expectInteger(op, 'k', k, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  if (x.ndim < 2) throw new ShapeError(`${op}: expected a tensor of at least 2 dimensions, got shape ${formatShape(x.shape)}`);
  const n = x.shape[x.ndim - 2]!;
  const m = x.shape[x.ndim - 1]!;
  const mask = constant([n, m], 0, x.dtype);
  const data = mask._view.data;
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) if (lower ? j - i <= offset : j - i >= offset) data[i * m + j] = 1;
  // NOTE: where, not a product with the mask, so that an inf or NaN outside the triangle gives 0.
  return where(mask, x, 0);
}

/**
 * The lower triangle of the last two axes: out[…, i, j] = x[…, i, j] where j − i ≤ k, else 0.
 *
 * @example
 * tril(ones([2, 2])).toArray() // [[1, 0], [1, 1]]
 */
export function tril(x: Tensor, k = 0): Tensor {
  return triangle('tril', x, k, true);
}

/** The upper triangle of the last two axes: out[…, i, j] = x[…, i, j] where j − i ≥ k, else 0. */
export function triu(x: Tensor, k = 0): Tensor {
  return triangle('triu', x, k, false);
}

/**
 * A 1-D `x` of length n as the (n+|k|)×(n+|k|) matrix with `x` on diagonal `k` (above the main
 * one for k > 0) and zeros elsewhere; a 2-D `x`, its diagonal `k` as a 1-D tensor.
 *
 * @example
 * diag(tensor([1, 2])).toArray() // [[1, 0], [0, 2]]
 */
export function diag(x: Tensor, k = 0): Tensor {
  expectTensor('diag', 'x', x);
  const offset = expectInteger('diag', 'k', k, -MAX_INT, MAX_INT);
  if (x.ndim === 2) return diagonalOf(x, offset, 0, 1);
  if (x.ndim !== 1) throw new ShapeError(`diag: expected a 1-D or 2-D tensor, got shape ${formatShape(x.shape)}`);
  const n = x.shape[0]!;
  const size = n + Math.abs(offset);
  checkSize('diag', [size, size]);
  const eye = constant([n, n], 0, x.dtype);
  for (let i = 0; i < n; i++) eye._view.data[i * n + i] = 1;
  const square = where(eye, reshape(x, [n, 1]), 0);
  const shift = Math.abs(offset);
  if (shift === 0) return square;
  // Diagonal k > 0 sits k columns right of the main one (zeros to the left and below); k < 0, k rows down.
  const rows = [constant([shift, n], 0, x.dtype), square];
  const tall = concat(offset > 0 ? rows.reverse() : rows, 0);
  const cols = [constant([n + shift, shift], 0, x.dtype), tall];
  return concat(offset > 0 ? cols : cols.reverse(), 1);
}

/**
 * The diagonal `offset` of the matrices formed by `axis1` and `axis2`: out[…, i] =
 * x[…, i, i + offset] (offset < 0: x[…, i − offset, i]), as the last axis, the other axes in order.
 *
 * @example
 * diagonal(tensor([[1, 2], [3, 4]])).toArray() // [1, 4]
 */
export function diagonal(x: Tensor, offset = 0, axis1 = 0, axis2 = 1): Tensor {
  expectTensor('diagonal', 'x', x);
  const k = expectInteger('diagonal', 'offset', offset, -MAX_INT, MAX_INT);
  if (x.ndim < 2) throw new ShapeError(`diagonal: expected a tensor of at least 2 dimensions, got shape ${formatShape(x.shape)}`);
  const a = normalizeAxis('diagonal', axis1, x.ndim);
  const b = normalizeAxis('diagonal', axis2, x.ndim);
  if (a === b) throw new AxisError(`diagonal: axis1 and axis2 are both axis ${a}`);
  return diagonalOf(x, k, a, b);
}

function diagonalOf(x: Tensor, offset: number, axis1: number, axis2: number): Tensor {
  const ndim = x.ndim;
  const others = x.shape.map((_, d) => d).filter((d) => d !== axis1 && d !== axis2);
  const moved = transpose(x, [...others, axis1, axis2]);
  const n = x.shape[axis1]!;
  const m = x.shape[axis2]!;
  const count = Math.max(0, offset >= 0 ? Math.min(n, m - offset) : Math.min(n + offset, m));
  // The diagonal of a row-major n×m block is every (m+1)-th element of its n·m, from its first.
  const flat = reshape(moved, [...others.map((d) => x.shape[d]!), n * m]);
  return window(flat, ndim - 2, count === 0 ? 0 : offset >= 0 ? offset : -offset * m, count, m + 1);
}

/** The sum of the main diagonal of a 2-D tensor: Σᵢ x[i, i]. */
export function trace(x: Tensor): Tensor {
  expectTensor('trace', 'x', x);
  if (x.ndim !== 2) throw new ShapeError(`trace: expected a 2-D tensor, got shape ${formatShape(x.shape)}`);
  return diagonalOf(x, 0, 0, 1).sum();
}

/** How `pad` fills the new positions. */
export type PadMode = 'constant' | 'reflect' | 'replicate' | 'circular';

/** Options of {@link pad}. */
export interface PadOptions {
  /** `'constant'` (default): `value`; `'reflect'`: mirrored about the edge, which is not repeated; `'replicate'`: the edge repeated; `'circular'`: wrapped around. */
  mode?: PadMode;
  /** The fill of `'constant'` mode; default 0. */
  value?: number;
}

/**
 * `x` padded with PyTorch's last-axis-first `pads`: [left, right] for the last axis, then for the
 * one before, and so on (any even length up to 2·ndim). In `'constant'` mode a negative pad
 * crops; the other modes take non-negative pads, below the axis size for `'reflect'`, at most
 * the axis size for `'circular'`, any on a non-empty axis for `'replicate'`.
 *
 * @example
 * pad(tensor([1, 2, 3]), [2, 1], { mode: 'reflect' }).toArray() // [3, 2, 1, 2, 3, 2]
 */
export function pad(x: Tensor, pads: readonly number[], opts?: PadOptions): Tensor {
  expectTensor('pad', 'x', x);
  const o = expectOptions('pad', opts);
  const mode = o.mode ?? 'constant';
  if (mode !== 'constant' && mode !== 'reflect' && mode !== 'replicate' && mode !== 'circular')
    throw new ArgumentError(`pad: unknown mode ${describe(mode)} (expected 'constant', 'reflect', 'replicate' or 'circular')`);
  const value = o.value ?? 0;
  if (typeof value !== 'number') throw new ArgumentError(`pad: expected a number for opts.value, got ${describe(value)}`);
  if (mode !== 'constant' && o.value !== undefined)
    throw new ArgumentError(`pad: opts.value is only used in 'constant' mode, not '${mode}'`);
  if (!Array.isArray(pads)) throw new ArgumentError(`pad: expected an array [left, right, …] for pads, got ${describe(pads)}`);
  const p = intList('pad', 'pads', pads, mode === 'constant' ? -MAX_INT : 0);
  if (p.length % 2 !== 0 || p.length > 2 * x.ndim)
    throw new ArgumentError(
      `pad: pads has ${p.length} entries; expected an even number up to ${2 * x.ndim} for shape ${formatShape(x.shape)}`,
    );
  const result = [...x.shape];
  for (let i = 0; i < p.length / 2; i++) result[x.ndim - 1 - i]! += p[2 * i]! + p[2 * i + 1]!;
  if (result.some((d) => d < 0)) throw new ShapeError(`pad: pads [${p.join(',')}] crop ${formatShape(x.shape)} below size 0`);
  checkSize('pad', result);
  let out = x;
  for (let i = 0; i < p.length / 2; i++) out = padAxis(out, x.ndim - 1 - i, p[2 * i]!, p[2 * i + 1]!, mode, value);
  return out;
}

function padAxis(x: Tensor, axis: number, before: number, after: number, mode: PadMode, value: number): Tensor {
  if (before === 0 && after === 0) return x;
  const n = x.shape[axis]!;
  const check = (ok: boolean, what: string) => {
    if (!ok) throw new ShapeError(`pad: ${mode} padding of ${before} and ${after} needs ${what}, but axis ${axis} has size ${n}`);
  };
  const sized = (k: number) => x.shape.map((d, i) => (i === axis ? k : d));
  let left: Tensor;
  let right: Tensor;
  let middle = x;
  switch (mode) {
    case 'constant': {
      // A negative pad crops; the result size was checked to be non-negative.
      const cropBefore = Math.max(0, -before);
      middle = window(x, axis, cropBefore, n - cropBefore - Math.max(0, -after), 1);
      left = constant(sized(Math.max(0, before)), value, x.dtype);
      right = constant(sized(Math.max(0, after)), value, x.dtype);
      break;
    }
    case 'reflect':
      check(before < n && after < n, 'each pad below the size');
      left = window(x, axis, before, before, -1);
      right = window(x, axis, n - 2, after, -1);
      break;
    case 'replicate':
      check(n > 0, 'a non-empty axis');
      left = broadcastTo(window(x, axis, 0, 1, 1), sized(before));
      right = broadcastTo(window(x, axis, n - 1, 1, 1), sized(after));
      break;
    case 'circular':
      check(before <= n && after <= n, 'each pad at most the size');
      left = window(x, axis, n - before, before, 1);
      right = window(x, axis, 0, after, 1);
      break;
  }
  return concat(
    [left, middle, right].filter((t) => t.shape[axis] !== 0 || t === middle),
    axis,
  );
}

/** Options of {@link meshgrid}. */
export interface MeshgridOptions {
  /** `'ij'` (default, PyTorch's): output i varies along axis i; `'xy'`: the first two axes swapped (NumPy's default). */
  indexing?: 'ij' | 'xy';
}

/**
 * Coordinate grids from 1-D tensors x₀ … xₖ₋₁ (0-d count as length 1): output i has shape
 * [n₀, …, nₖ₋₁] and out_i[…, j_i, …] = x_i[j_i]. A final plain object (not a Tensor) is the
 * options. Views of the inputs (broadcasts); differentiable.
 *
 * @example
 * const [gy, gx] = meshgrid(arange(2), arange(3)); // both [2, 3]
 * meshgrid(arange(2), arange(3), { indexing: 'xy' })[0].shape // [3, 2]
 */
export function meshgrid(...args: readonly (Tensor | MeshgridOptions)[]): Tensor[] {
  const last = args[args.length - 1];
  const hasOptions = args.length > 0 && !(last instanceof Tensor) && typeof last === 'object' && last !== null && !Array.isArray(last);
  const o = expectOptions('meshgrid', hasOptions ? (last as MeshgridOptions) : undefined);
  const indexing = o.indexing ?? 'ij';
  if (indexing !== 'ij' && indexing !== 'xy')
    throw new ArgumentError(`meshgrid: unknown indexing ${describe(indexing)} (expected 'ij' or 'xy')`);
  const xs = expectTensorList('meshgrid', hasOptions ? args.slice(0, -1) : args);
  xs.forEach((t, i) => {
    if (t.ndim > 1) throw new ShapeError(`meshgrid: tensor ${i} has shape ${formatShape(t.shape)}, expected 0-D or 1-D`);
  });
  const dtype = commonDType(...xs);
  const sizes = xs.map((t) => t.size);
  // 'xy' swaps the roles of the first two inputs' axes.
  const axisOf = (i: number) => (indexing === 'xy' && xs.length > 1 && i < 2 ? 1 - i : i);
  const shape = xs.map((_, d) => sizes[xs.findIndex((__, i) => axisOf(i) === d)]!);
  checkShape('meshgrid', shape);
  return xs.map((t, i) => {
    const placed = shape.map((_, d) => (d === axisOf(i) ? sizes[i]! : 1));
    return broadcastTo(reshape(castTo(t, dtype), placed), shape);
  });
}
