// The Tensor handle: a strided view of a typed array plus, inside a transform or with
// requiresGrad, the trace that records how it was computed at one interpreter level.
import type { DType, TypedArray } from '../dtype.js';
import { allocate } from '../dtype.js';
import type { StridedView } from '../backend/backend.js';
import { activeBackend } from '../backend/registry.js';
import { isRowMajor } from '../backend/views.js';
import { contiguousStrides, shapeSize } from '../shape.js';
import { ShapeError, formatShape } from '../errors.js';
import type { Primitive } from './primitive.js';

/** Storage of a tensor: which elements of `data` it shows, in which order. */
export interface View extends StridedView {
  readonly shape: readonly number[];
  readonly dtype: DType;
}

/** A recorded operation at one reverse-mode level (or a leaf, with `prim === null`). */
export interface Node {
  readonly id: number;
  readonly level: number;
  readonly prim: Primitive | null;
  readonly params: unknown;
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** The node of each input at this level (null where the input is a constant here). */
  readonly parents: readonly (Node | null)[];
  /**
   * Inputs as the operation saw them. The rules consume them one level down (`primalsOf`), or
   * as they are when the backward pass is itself recorded.
   */
  inputs: readonly Tensor[] | null;
  /** The output tracer (its trace holds the value one level down). */
  out: Tensor | null;
  /** Accumulated gradient of an imperative leaf (`tensor.grad`). */
  grad: Tensor | null;
  /** Where the operation was created, captured only in anomaly mode. */
  stack: string | null;
  released: boolean;
}

/** How a tensor is seen at one interpreter level. */
export type Trace =
  | { readonly kind: 'forward'; readonly level: number; readonly primal: Tensor; readonly tangent: Tensor }
  | { readonly kind: 'reverse'; readonly level: number; readonly primal: Tensor; readonly node: Node };

export function isContiguousView(view: View): boolean {
  return isRowMajor(view, view.shape);
}

/**
 * An N-d array of float32 or float64 numbers. Tensors are immutable values (only
 * `assign` on a leaf replaces its contents); transposes, reshapes, slices and broadcasts are
 * views that share storage.
 *
 * @example
 * const x = tensor([[1, 2], [3, 4]]);
 * x.shape;          // [2, 2]
 * x.T.toArray();    // [[1, 3], [2, 4]]
 */
export class Tensor {
  /** @internal */
  _view: View;
  /** @internal */
  _trace: Trace | null;

  /** @internal Use `tensor()` and the creation functions instead. */
  constructor(view: View, trace: Trace | null = null) {
    this._view = view;
    this._trace = trace;
  }

  /** The size of each dimension. */
  get shape(): readonly number[] {
    return this._view.shape;
  }
  get dtype(): DType {
    return this._view.dtype;
  }
  /** Number of elements. */
  get size(): number {
    return shapeSize(this._view.shape);
  }
  /** Number of dimensions. */
  get ndim(): number {
    return this._view.shape.length;
  }

  /** A fresh row-major copy of the elements. */
  data(): TypedArray {
    const flat = contiguousData(this);
    return flat.slice();
  }

  /** The value of a one-element tensor as a number. */
  item(): number {
    if (this.size !== 1) {
      throw new ShapeError(`item: tensor of shape ${formatShape(this.shape)} has ${this.size} elements, expected 1`);
    }
    return this._view.data[this._view.offset]!;
  }
}

/** Wraps a fresh contiguous array as a tensor with no trace. */
export function fromArray(data: TypedArray, shape: readonly number[], dtype: DType): Tensor {
  return new Tensor({ data, offset: 0, strides: contiguousStrides(shape), shape, dtype });
}

/**
 * The elements in row-major order, as the tensor's own array when it already is one
 * (callers must not write to the result), otherwise a materialised copy.
 */
export function contiguousData(t: Tensor): TypedArray {
  const view = t._view;
  const size = shapeSize(view.shape);
  if (isContiguousView(view)) {
    return view.offset === 0 && view.data.length === size ? view.data : view.data.subarray(view.offset, view.offset + size);
  }
  const out = allocate(view.dtype, size);
  activeBackend().copy(view, { data: out, offset: 0, strides: contiguousStrides(view.shape) }, view.shape);
  return out;
}
