// Making tensors: from JavaScript data, constants, ranges, identity matrices, random numbers.
import { allocate, allocateUnfilled, type DType, type TypedArray } from './dtype.js';
import { ArgumentError, DTypeError, ShapeError, TraceError, formatShape } from './errors.js';
import { isRecording } from './core/trace.js';
import { fromArray, type Tensor } from './core/tensor.js';
import { castTo, checkDType, expectTensor } from './ops/operand.js';
import { describe, expectBoolean, expectNumber, expectOptions } from './arguments.js';
import { MAX_NDIM, checkShape, checkSize, shapeSize } from './shape.js';
import { isRng, rng as makeRng, type Rng } from './random.js';
import { setRequiresGrad } from './autodiff/imperative.js';

/** Nested arrays of numbers, of any depth (what `toArray` returns; a bool reads as 1 or 0). */
export type NestedArray = number | readonly NestedArray[];
/** What `tensor` takes: nested arrays of numbers or booleans (all booleans make a bool tensor). */
export type NestedData = number | boolean | readonly NestedData[];

/** Options of `tensor` and the creation functions. */
export interface TensorOptions {
  /**
   * Element type; default `'float32'`, `'bool'` for data of booleans, or the typed array's own
   * (Int32Array and Uint8Array: `'int32'`).
   */
  dtype?: DType;
  /** Make the tensor a leaf of the imperative graph (`backward()` fills its `.grad`). */
  requiresGrad?: boolean;
  /** The shape, required with a typed array (a flat array is laid out row-major). */
  shape?: readonly number[];
}

/** Options of the random creation functions (`rand`, `randn`). */
export interface RandomOptions {
  /** Element type; default `'float32'` (`'int32'` for `randint`); float32 or float64 for real-valued draws. */
  dtype?: DType;
  /** Make the tensor a leaf of the imperative graph (`backward()` fills its `.grad`). */
  requiresGrad?: boolean;
  /** The generator to draw from (`rng(seed)`); a fixed-seed default is used without it. */
  rng?: Rng;
}

/** The options every creation function takes, checked: a known dtype and a boolean flag. */
export function creationOptions(
  op: string,
  opts: { dtype?: unknown; requiresGrad?: unknown } | undefined,
  fallback: DType = 'float32',
  allowed: readonly DType[] = ['float32', 'float64', 'int32', 'bool'],
) {
  const o = expectOptions(op, opts);
  const dtype = o.dtype === undefined ? fallback : checkDType(op, o.dtype);
  if (!allowed.includes(dtype)) throw new DTypeError(`${op}: dtype ${dtype} is not supported here (expected ${allowed.join(' or ')})`);
  return { dtype, requiresGrad: expectBoolean(op, 'requiresGrad', o.requiresGrad, false) };
}

/**
 * Checks that the numbers of `values` fit `dtype`: an int32 tensor takes finite numbers whose
 * integer part (rounded toward zero, as PyTorch) lies in [−2³¹, 2³¹); the index names the first that does not.
 */
function checkFits(op: string, values: ArrayLike<number>, dtype: DType): void {
  if (dtype !== 'int32') return;
  for (let i = 0; i < values.length; i++) {
    const v = Math.trunc(values[i]!);
    if (!(v >= -(2 ** 31) && v < 2 ** 31)) throw new ArgumentError(`${op}: the value ${values[i]} at flat index ${i} does not fit int32`);
  }
}

/** The dtype a typed array's numbers are read as: its own, int32 for a Uint8Array (bytes are numbers). */
function readAs(source: TypedArray): DType {
  return source instanceof Float64Array ? 'float64' : source instanceof Float32Array ? 'float32' : 'int32';
}

/** A tensor of `dtype` from the elements of `source`, converted as `astype` converts (bool: non-zero is true). */
function converted(op: string, source: TypedArray, shape: readonly number[], dtype: DType): Tensor {
  checkFits(op, source, dtype);
  const from = readAs(source);
  const copy = allocateUnfilled(from, source.length);
  copy.set(source);
  return castTo(fromArray(copy, shape, from), dtype);
}

/** `t`, made a `requiresGrad` leaf when asked. */
export function finish(t: Tensor, requiresGrad: boolean): Tensor {
  if (requiresGrad) setRequiresGrad(t, true);
  return t;
}

/**
 * A tensor from a number, a boolean, nested arrays, or a typed array (Float32Array,
 * Float64Array, Int32Array, Uint8Array) with `opts.shape`. The data is checked before
 * anything is allocated: ragged, sparse (`[1, , 3]`), self-containing, or non-numeric data,
 * and more than 2^31 − 1 elements or 64 axes, throw an error naming the offending index.
 * Numbers become int32 by rounding toward zero (as PyTorch), and must then fit it; bool is
 * true for every non-zero number.
 *
 * @example
 * tensor([[1, 2], [3, 4]], { dtype: 'float64', requiresGrad: true })
 * tensor([3, 1, 2], { dtype: 'int32' }) // indices
 * tensor([true, false])                 // a bool mask
 */
export function tensor(data: NestedData | TypedArray, opts?: TensorOptions): Tensor {
  const o = expectOptions('tensor', opts);
  const shape = o.shape === undefined ? undefined : checkShape('tensor', o.shape);
  if (ArrayBuffer.isView(data)) {
    if (!(data instanceof Float32Array || data instanceof Float64Array || data instanceof Int32Array || data instanceof Uint8Array)) {
      throw new ArgumentError(`tensor: typed arrays must be Float32Array, Float64Array, Int32Array or Uint8Array, got ${describe(data)}`);
    }
    const { dtype, requiresGrad } = creationOptions('tensor', opts, readAs(data));
    const target = shape ?? [data.length];
    if (shapeSize(target) !== data.length) {
      throw new ShapeError(`tensor: shape ${formatShape(target)} needs ${shapeSize(target)} elements, the array has ${data.length}`);
    }
    return finish(converted('tensor', data, target, dtype), requiresGrad);
  }
  const inferred = inferShape('tensor', data);
  // Walk once to check every element, then allocate and walk again to copy.
  let booleans = 0;
  walkNested('tensor', data, inferred, (v) => {
    if (typeof v === 'boolean') booleans++;
  });
  const size = shapeSize(inferred);
  const { dtype, requiresGrad } = creationOptions('tensor', opts, size > 0 && booleans === size ? 'bool' : 'float32');
  if (shape !== undefined && shapeSize(shape) !== size) {
    throw new ShapeError(`tensor: shape ${formatShape(shape)} needs ${shapeSize(shape)} elements, the data has ${size}`);
  }
  // float64 holds every number exactly: the conversion to the dtype is then one cast.
  const values = new Float64Array(size);
  let k = 0;
  walkNested('tensor', data, inferred, (v) => (values[k++] = Number(v)));
  // The values are this function's own array: cast it without another copy.
  checkFits('tensor', values, dtype);
  return finish(castTo(fromArray(values, shape ?? inferred, 'float64'), dtype), requiresGrad);
}

const indexPath = (path: readonly number[]): string => `[${path.join('][')}]`;

/**
 * The shape of nested data, read down its first elements. NOTE: the walk stops at MAX_NDIM
 * levels and at any array met twice, so data that contains itself cannot make it run forever.
 */
function inferShape(op: string, data: unknown): number[] {
  const shape: number[] = [];
  const seen = new Set<unknown>();
  let v = data;
  while (Array.isArray(v)) {
    if (seen.has(v)) throw new ArgumentError(`${op}: the data contains itself at index ${indexPath(shape.map(() => 0))}`);
    if (shape.length === MAX_NDIM) throw new ShapeError(`${op}: the data is nested deeper than the ${MAX_NDIM} axes a tensor may have`);
    seen.add(v);
    shape.push(v.length);
    v = v[0];
  }
  checkSize(op, shape);
  if (v !== undefined && typeof v !== 'number' && typeof v !== 'boolean')
    throw new ArgumentError(`${op}: expected a number at index ${indexPath(shape.map(() => 0))}, got ${describe(v)}`);
  return shape;
}

/** Visits every number (or boolean) of `data` in row-major order, checking that it has exactly `shape`. */
function walkNested(op: string, data: unknown, shape: readonly number[], visit: (v: number | boolean) => void): void {
  const ancestors: unknown[] = [];
  const path: number[] = [];
  const walk = (v: unknown, depth: number): void => {
    if (depth === shape.length) {
      if (typeof v === 'number' || typeof v === 'boolean') {
        visit(v);
        return;
      }
      if (ancestors.includes(v)) throw new ArgumentError(`${op}: the data contains itself at index ${indexPath(path)}`);
      throw new ArgumentError(`${op}: expected a number at index ${indexPath(path)}, got ${describe(v)}`);
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      if (ancestors.includes(v)) throw new ArgumentError(`${op}: the data contains itself at index ${indexPath(path)}`);
      const got = Array.isArray(v) ? `${v.length} elements` : describe(v);
      throw new ShapeError(`${op}: ragged data at index ${indexPath(path)}: expected ${shape[depth]} elements, got ${got}`);
    }
    ancestors.push(v);
    for (let i = 0; i < v.length; i++) {
      path.push(i);
      if (!(i in v)) throw new ArgumentError(`${op}: the array has a hole (a missing element) at index ${indexPath(path)}`);
      walk(v[i], depth + 1);
      path.pop();
    }
    ancestors.pop();
  };
  walk(data, 0);
}

/**
 * The numbers of nested arrays (`[[1, 2], [3, 4]]`) and their shape, checked as `tensor` checks
 * its data (rectangular, no holes, no self-reference, within the size limits); errors name `op`.
 */
export function readNested(op: string, data: unknown): { shape: number[]; values: number[] } {
  const shape = inferShape(op, data);
  walkNested(op, data, shape, (v) => {
    if (typeof v === 'boolean') throw new ArgumentError(`${op}: expected numbers, got the boolean ${v}`);
  });
  const values: number[] = [];
  walkNested(op, data, shape, (v) => values.push(v as number));
  return { shape, values };
}

/** The booleans of nested arrays (a mask written in JavaScript) as a bool tensor, checked as `tensor` checks its data; errors name `op`. */
export function readNestedMask(op: string, data: unknown): Tensor {
  const shape = inferShape(op, data);
  const values: number[] = [];
  walkNested(op, data, shape, (v) => {
    if (typeof v !== 'boolean') throw new ArgumentError(`${op}: a mask written as an array must hold only booleans, got ${describe(v)}`);
    values.push(v ? 1 : 0);
  });
  return fromArray(Uint8Array.from(values), shape, 'bool');
}

function filled(op: string, shape: unknown, value: number, opts: { dtype?: DType; requiresGrad?: boolean } | undefined): Tensor {
  const dims = checkShape(op, shape);
  const { dtype, requiresGrad } = creationOptions(op, opts);
  checkFits(op, [value], dtype);
  const out = allocate(dtype, shapeSize(dims));
  if (value !== 0) out.fill(dtype === 'bool' ? 1 : value);
  return finish(fromArray(out, dims, dtype), requiresGrad);
}

/** A tensor of zeros (any shape of non-negative integers, at most 64 axes and 2^31 − 1 elements). */
export const zeros = (shape: readonly number[], opts?: { dtype?: DType; requiresGrad?: boolean }): Tensor =>
  filled('zeros', shape, 0, opts);
/** A tensor of ones. */
export const ones = (shape: readonly number[], opts?: { dtype?: DType; requiresGrad?: boolean }): Tensor => filled('ones', shape, 1, opts);
/**
 * A tensor with every element equal to `value`; a boolean value makes a bool tensor unless
 * `opts.dtype` says otherwise.
 */
export function full(shape: readonly number[], value: number | boolean, opts?: { dtype?: DType; requiresGrad?: boolean }): Tensor {
  if (typeof value === 'boolean') return filled('full', shape, value ? 1 : 0, { dtype: 'bool', ...expectOptions('full', opts) });
  if (typeof value !== 'number') throw new ArgumentError(`full: expected a number or a boolean for the value, got ${describe(value)}`);
  return filled('full', shape, value, opts);
}

/** Zeros of the shape and dtype of `x`. */
export const zerosLike = (x: Tensor): Tensor => filled('zerosLike', expectTensor('zerosLike', 'x', x).shape, 0, { dtype: x.dtype });
/** Ones of the shape and dtype of `x`. */
export const onesLike = (x: Tensor): Tensor => filled('onesLike', expectTensor('onesLike', 'x', x).shape, 1, { dtype: x.dtype });

/** The n×n identity matrix (n×m with `m`). */
export function eye(n: number, m: number = n, opts?: { dtype?: DType; requiresGrad?: boolean }): Tensor {
  const { dtype, requiresGrad } = creationOptions('eye', opts);
  const t = filled('eye', [n, m], 0, { dtype });
  const data = t._view.data;
  for (let i = 0; i < Math.min(n, m); i++) data[i * m + i] = 1;
  return finish(t, requiresGrad);
}

/**
 * `start, start+step, ...` below `stop`; with one argument, `0 .. stop-1`.
 *
 * @example
 * arange(5).toArray()        // [0, 1, 2, 3, 4]
 * arange(1, 2, 0.25).toArray() // [1, 1.25, 1.5, 1.75]
 */
export function arange(start: number, stop?: number, step = 1, opts?: { dtype?: DType }): Tensor {
  const { dtype } = creationOptions('arange', opts, 'float32', ['float32', 'float64', 'int32']);
  const lo = expectNumber('arange', stop === undefined ? 'stop' : 'start', start);
  const hi = stop === undefined ? lo : expectNumber('arange', 'stop', stop);
  const first = stop === undefined ? 0 : lo;
  if (expectNumber('arange', 'step', step) === 0) throw new ArgumentError('arange: step cannot be zero');
  const n = Math.max(0, Math.ceil((hi - first) / step));
  checkSize('arange', [n]);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = first + i * step;
  checkFits('arange', values, dtype);
  const out = allocate(dtype, n);
  out.set(values);
  return fromArray(out, [n], dtype);
}

let defaultRng: Rng | null = null;

/** A tensor of `shape` whose elements are `draw(r)` in row-major order, `r` from `opts.rng` or the default. */
export function random(
  op: string,
  shape: readonly number[],
  opts: RandomOptions | undefined,
  draw: (r: Rng) => number,
  fallback: DType = 'float32',
  allowed: readonly DType[] = ['float32', 'float64'],
): Tensor {
  const { dtype, requiresGrad } = creationOptions(op, opts, fallback, allowed);
  // NOTE: a traced program would replay the numbers of the trace on every call.
  if (isRecording()) throw new TraceError(`${op}: a jit-traced function cannot draw random numbers; draw them outside and pass them in`);
  const given = expectOptions(op, opts).rng;
  if (given !== undefined && !isRng(given))
    throw new ArgumentError(`${op}: expected a generator such as rng(seed) for opts.rng, got ${describe(given)}`);
  const t = filled(op, shape, 0, { dtype });
  const r = given ?? (defaultRng ??= makeRng(0));
  const data = t._view.data;
  for (let i = 0; i < data.length; i++) data[i] = draw(r);
  return finish(t, requiresGrad);
}

/** Uniform numbers in [0, 1). */
export const rand = (shape: readonly number[], opts?: RandomOptions): Tensor => random('rand', shape, opts, (r) => r.uniform());
/** Standard normal numbers. */
export const randn = (shape: readonly number[], opts?: RandomOptions): Tensor => random('randn', shape, opts, (r) => r.normal());
