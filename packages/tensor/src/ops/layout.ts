// Shape and layout operations: reshape, transpose, broadcast, slicing and indexing, concat,
// stack, squeeze, expandDims, casts and stopGradient. Most are views; none needs a rule here.
import { bind, isRecording, withoutDerivatives } from '../core/trace.js';
import { stopGradientPrim } from '../prims/detach.js';
import { Tensor } from '../core/tensor.js';
import type { DType } from '../dtype.js';
import { ArgumentError, AxisError, ShapeError, formatShape } from '../errors.js';
import { broadcastPrim, concatPrim, reshapePrim, slicePrim, transposePrim } from '../prims/layout.js';
import {
  MAX_NDIM,
  canBroadcastTo,
  checkShape,
  inferReshape,
  normalizeAxes,
  normalizeAxis,
  normalizePermutation,
  shapesEqual,
} from '../shape.js';
import { castTo, checkDType, commonDType, expectTensor, expectTensorList } from './operand.js';
import { describe } from '../arguments.js';
import { type Indices, multiTake, nonzero, takeAs } from './indexing.js';
import { readNestedMask } from '../creation.js';

/**
 * The same elements in a new shape (one entry may be -1). A view when the data is contiguous.
 *
 * @example
 * reshape(arange(6), [2, -1]).shape // [2, 3]
 */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  return reshapeAs('reshape', x, shape);
}

/** reshape, for the composites built on it: errors name `op`, the function the user called. */
function reshapeAs(op: string, x: Tensor, shape: readonly number[]): Tensor {
  expectTensor(op, 'x', x);
  const target = inferReshape(op, x.shape, shape);
  return shapesEqual(target, x.shape) ? x : bind(reshapePrim, [x], { shape: target });
}

/** Permutes the axes (NumPy semantics); without `axes` it reverses them. A view. */
export function transpose(x: Tensor, axes?: readonly number[]): Tensor {
  const perm = normalizePermutation('transpose', axes, expectTensor('transpose', 'x', x).ndim);
  if (perm.every((p, i) => p === i)) return x;
  return bind(transposePrim, [x], { perm });
}

/** A view of `x` repeated along new leading axes and along axes of size 1 (NumPy rules). */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  expectTensor('broadcastTo', 'x', x);
  const target = checkShape('broadcastTo', shape);
  if (!canBroadcastTo(x.shape, target)) {
    throw new ShapeError(`broadcastTo: cannot broadcast ${formatShape(x.shape)} to ${formatShape(target)}`);
  }
  return shapesEqual(x.shape, target) ? x : bind(broadcastPrim, [x], { shape: target });
}

/**
 * Removes axes of size 1 (all of them when `axis` is omitted). As in PyTorch, a named axis whose
 * size is not 1 is left in place (no error), and a 0-d tensor accepts axis 0 or -1.
 *
 * @example
 * squeeze(zeros([1, 3, 1]), [0, 1]).shape // [3, 1]: axis 1 has size 3 and stays
 */
export function squeeze(x: Tensor, axis?: number | readonly number[]): Tensor {
  expectTensor('squeeze', 'x', x);
  // NOTE: a 0-d tensor is checked as if it had one axis, so that 0 and -1 are accepted (PyTorch).
  const named = axis === undefined ? null : normalizeAxes('squeeze', axis, Math.max(x.ndim, 1));
  const axes = x.shape.flatMap((d, i) => (d === 1 && (named === null || named.includes(i)) ? [i] : []));
  return reshape(
    x,
    x.shape.filter((_, i) => !axes.includes(i)),
  );
}

/** Inserts an axis of size 1 at `axis` (which may be -1 for the end). Alias: `unsqueeze`. */
export function expandDims(x: Tensor, axis: number): Tensor {
  return expandDimsAs('expandDims', x, axis);
}
/** Inserts an axis of size 1 (PyTorch's name for `expandDims`). */
export function unsqueeze(x: Tensor, axis: number): Tensor {
  return expandDimsAs('unsqueeze', x, axis);
}

function expandDimsAs(op: string, x: Tensor, axis: number): Tensor {
  expectTensor(op, 'x', x);
  const a = normalizeAxis(op, axis, x.ndim + 1);
  const shape = [...x.shape];
  shape.splice(a, 0, 1);
  return reshape(x, shape);
}

/** All elements as one axis. */
export function flatten(x: Tensor): Tensor {
  return reshapeAs('flatten', x, [-1]);
}

/**
 * Elements `start, start+step, ...` before `stop` along one axis, with Python's rules for
 * negative and out-of-range bounds; `step` may be negative. A view.
 *
 * @example
 * slice(tensor([0, 1, 2, 3, 4]), 0, 1, 4).toArray() // [1, 2, 3]
 */
export function slice(x: Tensor, axis: number, start?: number, stop?: number, step = 1): Tensor {
  expectTensor('slice', 'x', x);
  const a = normalizeAxis('slice', axis, x.ndim);
  const specs: IndexSpec[] = x.shape.map(() => null);
  specs[a] = { start: start ?? null, stop: stop ?? null, step };
  return indexAs('slice', x, specs);
}

/** A range along one axis, as Python's `start:stop:step` (omitted or null parts default as in Python). */
export interface SliceSpec {
  /** The first position (negative counts from the end); default the start (the end for a negative step). */
  readonly start?: number | null;
  /** The position to stop before (negative counts from the end); default past the end. */
  readonly stop?: number | null;
  /** A non-zero integer; default 1. */
  readonly step?: number | null;
}

/**
 * One entry per leading axis: a number picks one position (and drops the axis), `null` or
 * `':'` keeps the whole axis, a string `'start:stop:step'` of decimal integers or a
 * `{ start, stop, step }` object takes a range, and an array of integers (or a tensor of
 * integer values) picks those positions in that order (integer-array indexing: several arrays
 * broadcast together, as in PyTorch). An array is never read as a range.
 */
export type IndexSpec = number | null | string | SliceSpec | Indices | BooleanMask;
/** A mask written in JavaScript: nested arrays of booleans. */
export type BooleanMask = readonly (boolean | BooleanMask)[];

/**
 * NumPy-style indexing: basic (a view) and advanced: an int32 tensor or nested arrays of
 * integers select positions along an axis (a differentiable gather whose dimensions take that
 * axis's place; several arrays broadcast together, as in NumPy and PyTorch), and a bool tensor
 * or nested arrays of booleans mask the axes it covers (x.index(mask) is x[mask]).
 *
 * @example
 * x.index(0, '1:3')     // like x[0, 1:3]
 * x.index(null, -1)     // like x[:, -1]
 * x.index([5, 0, 3])    // like x[[5, 0, 3]]: rows 5, 0 and 3
 * x.index('::2', [1, 1]) // like x[::2, [1, 1]]
 * x.index(x.greater(0)) // like x[x > 0]: the positive entries, in row-major order
 */
export function index(x: Tensor, ...specs: IndexSpec[]): Tensor {
  return indexAs('index', x, specs);
}

/** Whether `spec` is nested arrays whose first element is a boolean (a mask written in JavaScript). */
function isBooleanArray(spec: unknown): spec is readonly unknown[] {
  let v: unknown = spec;
  // NOTE: at most MAX_NDIM levels: an array that contains itself must not loop forever.
  for (let depth = 0; depth <= MAX_NDIM && Array.isArray(v) && v.length > 0; depth++) v = v[0];
  return Array.isArray(spec) && typeof v === 'boolean';
}

/**
 * Each bool mask of rank k (a bool tensor or nested arrays of booleans) replaced by the k
 * int32 arrays of its true positions, one per axis it covers (NumPy's rule: x[mask] is
 * x[mask.nonzero()]); its shape must equal those k axes of `x`.
 */
function expandMasks(op: string, x: Tensor, specs: readonly IndexSpec[]): IndexSpec[] {
  const out: IndexSpec[] = [];
  for (const spec of specs) {
    const mask = spec instanceof Tensor && spec.dtype === 'bool' ? spec : isBooleanArray(spec) ? readNestedMask(op, spec) : null;
    if (mask === null) {
      out.push(spec);
      continue;
    }
    const covered = x.shape.slice(out.length, out.length + mask.ndim);
    if (mask.ndim === 0 || !shapesEqual(mask.shape, covered)) {
      throw new ShapeError(
        `${op}: a bool mask of shape ${formatShape(mask.shape)} must match the axes it indexes, ${formatShape(covered)} of ${formatShape(x.shape)} from axis ${out.length}`,
      );
    }
    const positions = nonzero(mask);
    for (let k = 0; k < mask.ndim; k++) out.push(positions.index(null, k));
  }
  return out;
}

function indexAs(op: string, x: Tensor, given: readonly IndexSpec[]): Tensor {
  expectTensor(op, 'x', x);
  const specs = given.some((spec) => (spec instanceof Tensor && spec.dtype === 'bool') || isBooleanArray(spec))
    ? expandMasks(op, x, given)
    : given;
  if (specs.length > x.ndim) {
    throw new AxisError(`${op}: ${specs.length} indices given for a tensor of shape ${formatShape(x.shape)} (rank ${x.ndim})`);
  }
  const arrays = specs.flatMap((spec, d) => (Array.isArray(spec) || spec instanceof Tensor ? [d] : []));
  if (arrays.length > 0) {
    // Basic indexing of every other axis first (integers drop their axes, as in PyTorch); each
    // array axis then sits after the kept axes before it.
    const basic = specs.map((spec, i) => (arrays.includes(i) ? null : spec));
    const positions = arrays.map((d) => specs.slice(0, d).filter((spec) => typeof spec !== 'number').length);
    const view = indexAs(op, x, basic);
    if (arrays.length === 1) return takeAs(op, view, specs[arrays[0]!], positions[0]!);
    return multiTake(
      op,
      view,
      positions,
      arrays.map((d) => specs[d]),
    );
  }
  const starts: number[] = [];
  const steps: number[] = [];
  const shape: number[] = [];
  const dropped: number[] = [];
  x.shape.forEach((size, d) => {
    const spec = d < specs.length ? specs[d]! : null;
    if (typeof spec === 'number') {
      if (!Number.isInteger(spec) || spec < -size || spec >= size) {
        throw new AxisError(`${op}: index ${spec} is out of range for axis ${d} of size ${size} in ${formatShape(x.shape)}`);
      }
      starts.push(spec < 0 ? spec + size : spec);
      steps.push(1);
      shape.push(1);
      dropped.push(d);
      return;
    }
    const [start, stop, step] = parseRange(op, spec, d);
    const [s, n, st] = resolveRange(op, start, stop, step, size, d);
    starts.push(s);
    steps.push(st);
    shape.push(n);
  });
  const unchanged = shape.every((n, d) => n === x.shape[d] && steps[d] === 1 && starts[d] === 0);
  const view = unchanged ? x : bind(slicePrim, [x], { starts, steps, shape });
  return dropped.length === 0
    ? view
    : reshape(
        view,
        shape.filter((_, d) => !dropped.includes(d)),
      );
}

// A bound in 'start:stop:step' is a decimal integer, as in Python: no hex, exponents or fractions.
const DECIMAL_INTEGER = /^[+-]?\d+$/;

function parseRange(op: string, spec: unknown, axis: number): [number | null, number | null, number] {
  if (spec === null || spec === undefined || spec === ':') return [null, null, 1];
  if (typeof spec === 'string') {
    const parts = spec.split(':').map((p) => p.trim());
    if (parts.length < 2 || parts.length > 3)
      throw new ArgumentError(`${op}: cannot parse ${describe(spec)} for axis ${axis} (expected 'start:stop' or 'start:stop:step')`);
    const nums = parts.map((p) => {
      if (p === '') return null;
      if (!DECIMAL_INTEGER.test(p))
        throw new ArgumentError(`${op}: ${describe(p)} in ${describe(spec)} for axis ${axis} is not a decimal integer`);
      return Number(p);
    });
    return [nums[0]!, nums[1]!, nums[2] ?? 1];
  }
  if (typeof spec === 'object' && !Array.isArray(spec)) {
    const bound = (name: 'start' | 'stop' | 'step'): number | null => {
      const v: unknown = Object.hasOwn(spec, name) ? (spec as Record<string, unknown>)[name] : undefined;
      if (v === null || v === undefined) return null;
      if (typeof v !== 'number' || !Number.isSafeInteger(v))
        throw new ArgumentError(`${op}: ${name} ${describe(v)} of the range for axis ${axis} is not an integer`);
      return v;
    };
    return [bound('start'), bound('stop'), bound('step') ?? 1];
  }
  throw new ArgumentError(`${op}: invalid index ${describe(spec)} for axis ${axis}`);
}

/** Python's slice.indices: clamps bounds and returns [first, count, step]. */
function resolveRange(
  op: string,
  start: number | null,
  stop: number | null,
  step: number,
  size: number,
  axis: number,
): [number, number, number] {
  if (step === 0) throw new ArgumentError(`${op}: slice step cannot be zero (axis ${axis})`);
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  let first: number;
  let last: number;
  if (step > 0) {
    first = start === null ? 0 : clamp(start < 0 ? start + size : start, 0, size);
    last = stop === null ? size : clamp(stop < 0 ? stop + size : stop, 0, size);
    const count = Math.max(0, Math.ceil((last - first) / step));
    return [count === 0 ? 0 : first, count, step];
  }
  first = start === null ? size - 1 : clamp(start < 0 ? start + size : start, -1, size - 1);
  last = stop === null ? -1 : clamp(stop < 0 ? stop + size : stop, -1, size - 1);
  const count = Math.max(0, Math.ceil((last - first) / step));
  return [count === 0 ? 0 : first, count, step];
}

/** Joins tensors of equal shape except along `axis` (default 0). */
export function concat(tensors: readonly Tensor[], axis = 0): Tensor {
  return concatAs('concat', expectTensorList('concat', tensors), axis);
}

function concatAs(op: string, tensors: readonly Tensor[], axis: number): Tensor {
  const first = tensors[0]!;
  const a = normalizeAxis(op, axis, first.ndim);
  const dtype: DType = commonDType(...tensors);
  for (let i = 1; i < tensors.length; i++) {
    const t = tensors[i]!;
    if (t.ndim !== first.ndim || t.shape.some((d: number, j: number) => j !== a && d !== first.shape[j])) {
      throw new ShapeError(
        `${op}: tensor ${i} has shape ${formatShape(t.shape)}, incompatible with ${formatShape(first.shape)} along axis ${a}`,
      );
    }
  }
  if (tensors.length === 1) return first;
  const cast = tensors.map((t) => castTo(t, dtype));
  return bind(concatPrim(cast.length), cast, { axis: a });
}

/** Stacks tensors of one shape along a new axis (default 0). */
export function stack(tensors: readonly Tensor[], axis = 0): Tensor {
  const list = expectTensorList('stack', tensors);
  const shape = list[0]!.shape;
  list.forEach((t, i) => {
    if (!shapesEqual(t.shape, shape))
      throw new ShapeError(`stack: tensor ${i} has shape ${formatShape(t.shape)}, expected ${formatShape(shape)}`);
  });
  const a = normalizeAxis('stack', axis, shape.length + 1);
  return concatAs(
    'stack',
    list.map((t) => expandDims(t, a)),
    a,
  );
}

/**
 * The same values in another of the four dtypes: to int32 rounds toward zero (as PyTorch;
 * NaN and values beyond int32 wrap as JavaScript's `| 0` does), to bool gives true for every
 * non-zero value (NaN included), and bool reads as 0 and 1. Differentiable between float32 and
 * float64; an int32 or bool result is a constant.
 */
export function astype(x: Tensor, dtype: DType): Tensor {
  expectTensor('astype', 'x', x);
  return castTo(x, checkDType('astype', dtype));
}

/**
 * The same value with no derivative at any level: every transform treats it as a constant.
 * Shares storage with `x`.
 */
export function stopGradient(x: Tensor): Tensor {
  expectTensor('stopGradient', 'x', x);
  // Inside a jit trace the cut is recorded, so that every replay makes it (see prims/detach.ts).
  if (isRecording()) return bind(stopGradientPrim, [x], undefined);
  if (x._trace === null) return x;
  const value = withoutDerivatives(x);
  if (value._trace !== null) return value;
  // A handle of its own, not the primal a recorded graph keeps (disposing it leaves the graph its values).
  value._owns = false;
  return new Tensor(value._view);
}
