// Selecting elements by position: take (NumPy's take along one axis), the integer-array form
// of index(), and PyTorch's gather/scatter family, all built on the take primitive and its
// scatter-add transpose. Positions are constants to autodiff; the gradient of the values taken
// is a scatter-add, so repeated positions accumulate.
import { describe } from '../arguments.js';
import { Tensor, contiguousData, fromArray } from '../core/tensor.js';
import { bind } from '../core/trace.js';
import { full, readNested } from '../creation.js';
import { allocate, isFloating, promoteTypes } from '../dtype.js';
import { ArgumentError, DTypeError, ShapeError, formatShape } from '../errors.js';
import { takeIndexedPrim, takePrim, untakeIndexedPrim, untakePrim } from '../prims/take.js';
import { broadcastShapes, canBroadcastTo, contiguousStrides, normalizeAxis, shapeSize } from '../shape.js';
import { castTo, expectDType, expectTensor } from './operand.js';

/**
 * Positions for `take`: a number (the axis is dropped), nested arrays of numbers (their shape
 * replaces the axis), or an int32 tensor (a float tensor holding integers is accepted too; its
 * values are read as constants). A bool tensor is a mask, not positions: see `index` and `maskedSelect`.
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
    if (indices.dtype === 'bool')
      throw new DTypeError(
        `${op}: the indices are a bool tensor, which is a mask (use maskedSelect, or index() with the mask), not positions`,
      );
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

/**
 * Whether `indices` are positions known only when a kernel runs: an integer tensor traced by
 * jit or vmap (autodiff never traces integers). Their range is checked by the kernel then.
 */
export function isTracedPositions(indices: unknown): indices is Tensor {
  return indices instanceof Tensor && indices._trace !== null && indices.dtype === 'int32';
}

/** `take` for the functions built on it: `op` names the function the user called. */
export function takeAs(op: string, x: Tensor, indices: unknown, axis: number): Tensor {
  const a = normalizeAxis(op, axis, x.ndim);
  const size = x.shape[a]!;
  if (isTracedPositions(indices)) {
    if (size === 0) throw new ArgumentError(`${op}: cannot take from axis ${a} of size 0 in ${formatShape(x.shape)}`);
    return bind(takeIndexedPrim, [x, indices], { op, axis: a, negativeWraps: true, blocks: 1 });
  }
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

/** The gather/scatter family's index: a tensor of x's rank, no larger than x except along `axis`. */
function expectIndexShape(op: string, shape: readonly number[], axis: number, index: unknown): Tensor {
  const idx = expectTensor(op, 'index', index);
  if (idx.ndim !== shape.length) {
    throw new ShapeError(`${op}: index must have the rank of x (${shape.length}), got shape ${formatShape(idx.shape)}`);
  }
  idx.shape.forEach((n, d) => {
    if (d !== axis && n > shape[d]!) {
      throw new ShapeError(
        `${op}: index shape ${formatShape(idx.shape)} exceeds x's ${formatShape(shape)} at axis ${d} (only axis ${axis} may differ)`,
      );
    }
  });
  return idx;
}

/**
 * The gather/scatter family at traced positions (a jit variable, a vmap batch), whose values
 * are known only when the kernel runs: with `axis` moved last, each of the R lines of the
 * index (all axes but `axis`) addresses its own line of x, so the lines are the `blocks` of a
 * takeIndexed over the flattened x (the kernel checks each position against the line's length).
 * `lines` is x cut to the index's extent on every other axis, laid out as [R·n]; `positions` the
 * index as [R·k]; `unflatten` turns an [R·k] (or [R·n]) result back into the index's layout.
 */
function indexedLines(x: Tensor, axis: number, index: Tensor) {
  const extent = index.shape.map((k, d) => (d === axis ? x.shape[d]! : k));
  const cut = extent.every((k, d) => k === x.shape[d]) ? x : x.index(...extent.map((k) => ({ stop: k })));
  const others = extent.filter((_, d) => d !== axis);
  const lines = others.reduce((r, k) => r * k, 1);
  const n = x.shape[axis]!;
  const k = index.shape[axis]!;
  const positions = (index.dtype === 'int32' ? index : castTo(index, 'int32')).movedim(axis, -1).reshape([lines * k]);
  const unflatten = (flat: Tensor, along: number) => flat.reshape([...others, along]).movedim(-1, axis);
  return { lines, n, k, flatX: cut.movedim(axis, -1).reshape([lines * n]), positions, unflatten };
}
/**
 * For PyTorch's gather/scatter family: the flat offsets into `shape` that an `index` tensor of
 * the same rank addresses along `axis` (position p reads or writes p with p[axis] replaced by
 * index[p]). Every other dimension of the index may not exceed the input's.
 */
function addressed(op: string, shape: readonly number[], axis: number, index: unknown): { flat: Int32Array; indexShape: number[] } {
  const idx = expectIndexShape(op, shape, axis, index);
  const { flat: along } = readIndices(op, idx, shape[axis]!, axis);
  const strides = contiguousStrides(shape);
  const flat = new Int32Array(along.length);
  const p = new Array<number>(shape.length).fill(0);
  for (let k = 0; k < along.length; k++) {
    let offset = 0;
    for (let d = 0; d < shape.length; d++) offset += (d === axis ? along[k]! : p[d]!) * strides[d]!;
    flat[k] = offset;
    // Advance the row-major odometer over the index's shape.
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++p[d]! < idx.shape[d]!) break;
      p[d] = 0;
    }
  }
  return { flat, indexShape: [...idx.shape] };
}

/**
 * PyTorch's `gather`: `out[p] = x[p with p[axis] = index[p]]`, so `out` has the index's shape
 * (the same rank as `x`; along other axes no larger than `x`). Differentiable in `x`: the
 * gradient scatter-adds back (repeats accumulate).
 *
 * @example
 * gather(tensor([[1, 2], [3, 4]]), 1, tensor([[0, 0], [1, 0]])).toArray() // [[1, 1], [4, 3]]
 */
export function gather(x: Tensor, axis: number, index: Tensor): Tensor {
  expectTensor('gather', 'x', x);
  const a = normalizeAxis('gather', axis, x.ndim);
  if (isTracedPositions(index)) {
    const idx = expectIndexShape('gather', x.shape, a, index);
    const { lines, n, flatX, positions, unflatten } = indexedLines(x, a, idx);
    if (n === 0 && idx.size > 0) throw new ArgumentError(`gather: cannot gather from axis ${a} of size 0 in ${formatShape(x.shape)}`);
    if (idx.size === 0) return full(idx.shape, 0, { dtype: x.dtype });
    const taken = bind(takeIndexedPrim, [flatX, positions], { op: 'gather', axis: 0, negativeWraps: true, blocks: lines });
    return unflatten(taken, idx.shape[a]!);
  }
  const { flat, indexShape } = addressed('gather', x.shape, a, index);
  return bind(takePrim, [x.reshape([-1])], { axis: 0, indices: flat, indicesShape: indexShape });
}

/** `src` as a tensor of the index's shape: a number fills it; a larger tensor gives its leading block, as in PyTorch. */
function sourceFor(op: string, src: unknown, like: Tensor, indexShape: readonly number[]): Tensor {
  if (typeof src === 'number') return full(indexShape, src, { dtype: like.dtype });
  const s = expectTensor(op, 'src', src);
  if (s.ndim !== indexShape.length || s.shape.some((n, d) => n < indexShape[d]!)) {
    throw new ShapeError(
      `${op}: src of shape ${formatShape(s.shape)} must have the index's rank and be at least its shape ${formatShape(indexShape)}`,
    );
  }
  const block = s.shape.every((n, d) => n === indexShape[d]) ? s : s.index(...indexShape.map((n) => ({ stop: n })));
  return castTo(block, promoteTypes(like.dtype, s.dtype));
}

/** The values of `src` scatter-added into zeros of `shape` at flat offsets `flat`. */
function scatterAddInto(shape: readonly number[], flat: Int32Array, src: Tensor): Tensor {
  return bind(untakePrim, [src.reshape([-1])], {
    axis: 0,
    indices: flat,
    indicesShape: [flat.length],
    inputShape: [shapeSize(shape)],
  }).reshape(shape);
}

/**
 * PyTorch's `scatter_add`: a copy of `x` with `src[p]` added at `p with p[axis] = index[p]`;
 * repeated positions accumulate. `src` is a tensor at least the index's shape (its leading
 * block is used) or a number. Differentiable in `x` and `src`.
 *
 * @example
 * scatterAdd(zeros([3]), 0, tensor([0, 2, 0]), tensor([1, 2, 3])).toArray() // [4, 0, 2]
 */
export function scatterAdd(x: Tensor, axis: number, index: Tensor, src: Tensor | number): Tensor {
  expectTensor('scatterAdd', 'x', x);
  const a = normalizeAxis('scatterAdd', axis, x.ndim);
  if (isTracedPositions(index)) {
    const idx = expectIndexShape('scatterAdd', x.shape, a, index);
    const values = sourceFor('scatterAdd', src, x, idx.shape);
    const { lines, n, positions, unflatten } = indexedLines(x, a, idx);
    if (n === 0 && idx.size > 0) throw new ArgumentError(`scatterAdd: cannot scatter into axis ${a} of size 0 in ${formatShape(x.shape)}`);
    if (idx.size === 0) return x.add(full([], 0, { dtype: values.dtype }));
    const spread = bind(untakeIndexedPrim, [values.movedim(a, -1).reshape([positions.size]), positions], {
      op: 'scatterAdd',
      axis: 0,
      negativeWraps: true,
      blocks: lines,
      size: lines * n,
    });
    // The index may cover only a leading block of x along the other axes: zeros beyond it.
    const block = unflatten(spread, n);
    const padding = x.shape
      .map((size, d) => size - block.shape[d]!)
      .reverse()
      .flatMap((p) => [0, p]);
    return x.add(padding.some((p) => p > 0) ? block.pad(padding) : block);
  }
  const { flat, indexShape } = addressed('scatterAdd', x.shape, a, index);
  const values = sourceFor('scatterAdd', src, x, indexShape);
  return x.add(scatterAddInto(x.shape, flat, values));
}

/**
 * PyTorch's `scatter`: a copy of `x` with `src[p]` written at `p with p[axis] = index[p]`.
 * NOTE: where PyTorch leaves repeated positions undefined, this refuses them (use
 * `scatterAdd` to sum them). Differentiable in `x` (zero where written) and `src`.
 *
 * @example
 * scatter(zeros([2, 2]), 1, tensor([[1], [0]]), 5).toArray() // [[0, 5], [5, 0]]
 */
export function scatter(x: Tensor, axis: number, index: Tensor, src: Tensor | number): Tensor {
  expectTensor('scatter', 'x', x);
  const a = normalizeAxis('scatter', axis, x.ndim);
  const { flat, indexShape } = addressed('scatter', x.shape, a, index);
  const seen = new Set<number>();
  for (const offset of flat) {
    if (seen.has(offset))
      throw new ArgumentError(`scatter: index writes flat position ${offset} of x more than once (use scatterAdd to add repeats)`);
    seen.add(offset);
  }
  const values = sourceFor('scatter', src, x, indexShape);
  const written = scatterAddInto(x.shape, flat, full(indexShape, 1, { dtype: values.dtype }));
  return written.where(scatterAddInto(x.shape, flat, values), x);
}

/**
 * PyTorch's `index_select`: the entries of `x` at the positions of the 1-D `index` along `axis`
 * (like `take` with an axis). Differentiable in `x`.
 */
export function indexSelect(x: Tensor, axis: number, index: Tensor | readonly number[]): Tensor {
  expectTensor('indexSelect', 'x', x);
  const rank = index instanceof Tensor ? index.ndim : Array.isArray(index) ? 1 : -1;
  if (rank !== 1) throw new ArgumentError(`indexSelect: index must be a 1-D tensor or array of integers, got ${describe(index)}`);
  return takeAs('indexSelect', x, index, axis);
}

/**
 * PyTorch's `masked_fill`: `value` where the bool `mask` is true, `x` elsewhere (`mask`
 * broadcasts to `x`'s shape); the result keeps `x`'s dtype. Differentiable in `x`, and in
 * `value` when it is a tensor.
 */
export function maskedFill(x: Tensor, mask: Tensor, value: Tensor | number): Tensor {
  expectTensor('maskedFill', 'x', x);
  const m = expectDType('maskedFill', 'the mask', expectTensor('maskedFill', 'mask', mask), ['bool']);
  if (!canBroadcastTo(m.shape, x.shape)) {
    throw new ShapeError(`maskedFill: mask of shape ${formatShape(m.shape)} does not broadcast to x's ${formatShape(x.shape)}`);
  }
  if (typeof value !== 'number') {
    const v = expectTensor('maskedFill', 'value', value);
    if (v.ndim !== 0) throw new ShapeError(`maskedFill: value must be a number or a 0-d tensor, got shape ${formatShape(v.shape)}`);
  }
  const filled = m.where(value, x);
  // As PyTorch, the value takes x's dtype (2.5 fills an int32 tensor with 2).
  return isFloating(x.dtype) ? filled : castTo(filled, x.dtype);
}

/** The flat positions where `values` is non-zero, in row-major order. */
function nonzeroPositions(values: ArrayLike<number>): Int32Array {
  let count = 0;
  for (let i = 0; i < values.length; i++) if (values[i] !== 0) count++;
  const out = new Int32Array(count);
  for (let i = 0, k = 0; i < values.length; i++) if (values[i] !== 0) out[k++] = i;
  return out;
}

/**
 * PyTorch's `masked_select`: the entries of `x` where the bool `mask` is true, as a 1-D tensor
 * in row-major order (`x` and `mask` broadcast together). Differentiable in `x`; the mask's
 * values decide the shape, so it is a constant.
 */
export function maskedSelect(x: Tensor, mask: Tensor): Tensor {
  expectTensor('maskedSelect', 'x', x);
  const m = expectDType('maskedSelect', 'the mask', expectTensor('maskedSelect', 'mask', mask), ['bool']);
  const shape = broadcastShapes('maskedSelect', x.shape, m.shape);
  // NOTE: a tensor's view is its value at every level, so reading it needs no stopGradient.
  const positions = nonzeroPositions(contiguousData(m.broadcastTo(shape)));
  return bind(takePrim, [x.broadcastTo(shape).reshape([-1])], { axis: 0, indices: positions, indicesShape: [positions.length] });
}

/**
 * PyTorch's `nonzero`: the positions of the non-zero (true) entries of `x`, one row of
 * `x.ndim` int32 coordinates each, in row-major order (shape `[count, x.ndim]`). Not differentiable.
 */
export function nonzero(x: Tensor): Tensor {
  expectTensor('nonzero', 'x', x);
  const positions = nonzeroPositions(contiguousData(x));
  const strides = contiguousStrides(x.shape);
  const out = allocate('int32', positions.length * x.ndim);
  positions.forEach((flat, k) => {
    let rest = flat;
    strides.forEach((s, d) => {
      out[k * x.ndim + d] = Math.floor(rest / s);
      rest %= s;
    });
  });
  return fromArray(out, [positions.length, x.ndim], 'int32');
}

/** Positions laid out in `shape`, repeated over the broadcast `target` shape (NumPy broadcasting). */
function broadcastPositions(flat: Int32Array, shape: readonly number[], target: readonly number[]): Int32Array {
  const lead = target.length - shape.length;
  const strides = contiguousStrides(shape);
  const out = new Int32Array(shapeSize(target));
  const p = new Array<number>(target.length).fill(0);
  for (let k = 0; k < out.length; k++) {
    let source = 0;
    for (let d = lead; d < target.length; d++) if (shape[d - lead] !== 1) source += p[d]! * strides[d - lead]!;
    out[k] = flat[source]!;
    for (let d = target.length - 1; d >= 0; d--) {
      if (++p[d]! < target[d]!) break;
      p[d] = 0;
    }
  }
  return out;
}

/**
 * Integer-array indexing of several axes of `x` at once (PyTorch's and NumPy's rules): the index
 * arrays broadcast together to a shape B, and entry b of the result reads x at the positions
 * the arrays give at b. B takes the place of the indexed axes when they are adjacent, and comes
 * first otherwise. `axes` are axes of `x`; `specs` their index arrays.
 */
export function multiTake(op: string, x: Tensor, axes: readonly number[], specs: readonly unknown[]): Tensor {
  const read = axes.map((a, i) => readIndices(op, specs[i], x.shape[a]!, a));
  const target = read.reduce<number[]>((shape, r) => broadcastShapes(op, shape, r.shape), []);
  const sizes = axes.map((a) => x.shape[a]!);
  const strides = contiguousStrides(sizes);
  const combined = new Int32Array(shapeSize(target));
  read.forEach((r, i) => {
    const positions = broadcastPositions(r.flat, r.shape, target);
    for (let k = 0; k < combined.length; k++) combined[k]! += positions[k]! * strides[i]!;
  });
  if (sizes.some((n) => n === 0) && combined.length > 0)
    throw new ArgumentError(`${op}: cannot take from an axis of size 0 in ${formatShape(x.shape)}`);
  const rest = x.shape.map((_, d) => d).filter((d) => !axes.includes(d));
  const front = x.transpose([...axes, ...rest]).reshape([shapeSize(sizes), ...rest.map((d) => x.shape[d]!)]);
  const taken = bind(takePrim, [front], { axis: 0, indices: combined, indicesShape: target });
  const adjacent = axes.every((a, i) => i === 0 || a === axes[i - 1]! + 1);
  if (!adjacent || axes[0] === 0) return taken;
  // Move B's dimensions back to where the indexed axes were.
  const b = target.length;
  const before = axes[0]!;
  const perm = [...Array.from({ length: before }, (_, i) => b + i), ...Array.from({ length: b }, (_, i) => i)];
  for (let d = b + before; d < taken.ndim; d++) perm.push(d);
  return taken.transpose(perm);
}
