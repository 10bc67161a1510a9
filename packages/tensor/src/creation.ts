// Making tensors: from JavaScript data, constants, ranges, identity matrices, random numbers.
import { allocate, dtypeOfArray, type DType, type TypedArray } from './dtype.js';
import { ArgumentError, ShapeError, formatShape } from './errors.js';
import { fromArray, type Tensor } from './core/tensor.js';
import { checkDType, describe } from './ops/operand.js';
import { checkShape, shapeSize } from './shape.js';
import { rng as makeRng, type Rng } from './random.js';
import { setRequiresGrad } from './autodiff/imperative.js';

/** Nested arrays of numbers, of any depth. */
export type NestedArray = number | readonly NestedArray[];

export interface TensorOptions {
  /** Element type; default `'float32'` (or the typed array's own type). */
  dtype?: DType;
  /** Make the tensor a leaf of the imperative graph (`backward()` fills its `.grad`). */
  requiresGrad?: boolean;
  /** The shape, required with a typed array (a flat array is laid out row-major). */
  shape?: readonly number[];
}

export interface RandomOptions {
  dtype?: DType;
  requiresGrad?: boolean;
  /** The generator to draw from (`rng(seed)`); a fixed-seed default is used without it. */
  rng?: Rng;
}

function finish(t: Tensor, opts: { requiresGrad?: boolean } | undefined): Tensor {
  if (opts?.requiresGrad) setRequiresGrad(t, true);
  return t;
}

/**
 * A tensor from a number, nested arrays, or a typed array with `opts.shape`.
 *
 * @example
 * tensor([[1, 2], [3, 4]], { dtype: 'float64', requiresGrad: true })
 */
export function tensor(data: NestedArray | TypedArray, opts?: TensorOptions): Tensor {
  if (ArrayBuffer.isView(data)) {
    if (!(data instanceof Float32Array || data instanceof Float64Array)) {
      throw new ArgumentError(`tensor: typed arrays must be Float32Array or Float64Array, got ${(data as { constructor: { name: string } }).constructor.name}`);
    }
    const dtype = opts?.dtype === undefined ? dtypeOfArray(data) : checkDType('tensor', opts.dtype);
    const shape = opts?.shape ?? [data.length];
    checkShape('tensor', shape);
    if (shapeSize(shape) !== data.length) {
      throw new ShapeError(`tensor: shape ${formatShape(shape)} needs ${shapeSize(shape)} elements, the array has ${data.length}`);
    }
    const copy = allocate(dtype, data.length);
    copy.set(data);
    return finish(fromArray(copy, [...shape], dtype), opts);
  }
  const dtype = opts?.dtype === undefined ? 'float32' : checkDType('tensor', opts.dtype);
  const shape = inferShape(data);
  const out = allocate(dtype, shapeSize(shape));
  let k = 0;
  const fill = (v: NestedArray, depth: number, path: number[]): void => {
    if (depth === shape.length) {
      if (typeof v !== 'number') throw new ArgumentError(`tensor: expected a number at index [${path.join('][')}], got ${describe(v)}`);
      out[k++] = v;
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      const got = Array.isArray(v) ? `${v.length} elements` : describe(v);
      throw new ShapeError(`tensor: ragged data at index [${path.join('][')}]: expected ${shape[depth]} elements, got ${got}`);
    }
    v.forEach((item, i) => fill(item as NestedArray, depth + 1, [...path, i]));
  };
  fill(data, 0, []);
  if (opts?.shape !== undefined) {
    checkShape('tensor', opts.shape);
    if (shapeSize(opts.shape) !== out.length) {
      throw new ShapeError(`tensor: shape ${formatShape(opts.shape)} needs ${shapeSize(opts.shape)} elements, the data has ${out.length}`);
    }
    return finish(fromArray(out, [...opts.shape], dtype), opts);
  }
  return finish(fromArray(out, shape, dtype), opts);
}

function inferShape(data: NestedArray): number[] {
  const shape: number[] = [];
  let v: unknown = data;
  while (Array.isArray(v)) {
    shape.push(v.length);
    v = v[0];
  }
  if (v !== undefined && typeof v !== 'number') throw new ArgumentError(`tensor: expected numbers, got ${describe(v)}`);
  return shape;
}

function filled(op: string, shape: readonly number[], value: number, opts: { dtype?: DType; requiresGrad?: boolean } | undefined): Tensor {
  if (!Array.isArray(shape)) throw new ArgumentError(`${op}: expected a shape array, got ${describe(shape)}`);
  checkShape(op, shape);
  const dtype = opts?.dtype === undefined ? 'float32' : checkDType(op, opts.dtype);
  const out = allocate(dtype, shapeSize(shape));
  if (value !== 0) out.fill(value);
  return finish(fromArray(out, [...shape], dtype), opts);
}

/** A tensor of zeros. */
export const zeros = (shape: readonly number[], opts?: { dtype?: DType; requiresGrad?: boolean }): Tensor => filled('zeros', shape, 0, opts);
/** A tensor of ones. */
export const ones = (shape: readonly number[], opts?: { dtype?: DType; requiresGrad?: boolean }): Tensor => filled('ones', shape, 1, opts);
/** A tensor with every element equal to `value`. */
export function full(shape: readonly number[], value: number, opts?: { dtype?: DType; requiresGrad?: boolean }): Tensor {
  if (typeof value !== 'number') throw new ArgumentError(`full: expected a number for the value, got ${describe(value)}`);
  return filled('full', shape, value, opts);
}

/** Zeros of the shape and dtype of `x`. */
export const zerosLike = (x: Tensor): Tensor => zeros(x.shape, { dtype: x.dtype });
/** Ones of the shape and dtype of `x`. */
export const onesLike = (x: Tensor): Tensor => ones(x.shape, { dtype: x.dtype });

/** The n×n identity matrix (n×m with `m`). */
export function eye(n: number, m: number = n, opts?: { dtype?: DType; requiresGrad?: boolean }): Tensor {
  const t = filled('eye', [n, m], 0, { dtype: opts?.dtype ?? 'float32' });
  const data = t._view.data;
  for (let i = 0; i < Math.min(n, m); i++) data[i * m + i] = 1;
  return finish(t, opts);
}

/**
 * `start, start+step, ...` below `stop`; with one argument, `0 .. stop-1`.
 *
 * @example
 * arange(5).toArray()        // [0, 1, 2, 3, 4]
 * arange(1, 2, 0.25).toArray() // [1, 1.25, 1.5, 1.75]
 */
export function arange(start: number, stop?: number, step = 1, opts?: { dtype?: DType }): Tensor {
  const [lo, hi] = stop === undefined ? [0, start] : [start, stop];
  for (const v of [lo, hi, step]) if (!Number.isFinite(v)) throw new ArgumentError(`arange: bounds and step must be finite numbers, got ${v}`);
  if (step === 0) throw new ArgumentError('arange: step cannot be zero');
  const n = Math.max(0, Math.ceil((hi - lo) / step));
  const dtype = opts?.dtype === undefined ? 'float32' : checkDType('arange', opts.dtype);
  const out = allocate(dtype, n);
  for (let i = 0; i < n; i++) out[i] = lo + i * step;
  return fromArray(out, [n], dtype);
}

let defaultRng: Rng | null = null;
function pick(opts: RandomOptions | undefined): Rng {
  return opts?.rng ?? (defaultRng ??= makeRng(0));
}

function random(op: string, shape: readonly number[], opts: RandomOptions | undefined, draw: (r: Rng) => number): Tensor {
  const t = filled(op, shape, 0, { dtype: opts?.dtype ?? 'float32' });
  const r = pick(opts);
  const data = t._view.data;
  for (let i = 0; i < data.length; i++) data[i] = draw(r);
  return finish(t, opts);
}

/** Uniform numbers in [0, 1). */
export const rand = (shape: readonly number[], opts?: RandomOptions): Tensor => random('rand', shape, opts, (r) => r.uniform());
/** Standard normal numbers. */
export const randn = (shape: readonly number[], opts?: RandomOptions): Tensor => random('randn', shape, opts, (r) => r.normal());
