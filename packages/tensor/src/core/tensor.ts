// The Tensor handle: a strided view of a typed array plus, inside a transform or with
// requiresGrad, the trace that records how it was computed at one interpreter level; and every
// operation as a method with the free function's argument order (x.op(...rest) is op(x, ...rest)).
import type { DType, TypedArray } from '../dtype.js';
import { allocateUnfilled, recycle } from '../dtype.js';
import type { StridedView } from '../backend/backend.js';
import { activeBackend } from '../backend/registry.js';
import { isRowMajor } from '../backend/views.js';
import { contiguousStrides, shapeSize } from '../shape.js';
import { ArgumentError, ShapeError, TraceError, formatShape } from '../errors.js';
import { describe } from '../arguments.js';
import { variesOverBatch } from './trace.js';
import { openScope } from './scope.js';
import type { Primitive } from './primitive.js';
// NOTE: the methods below call the op modules, which in turn construct Tensors: an import
// cycle, safe because neither side touches the other while its module is being evaluated
// (only inside function bodies). Declaring the methods in the class body, rather than
// installing them on the prototype from a side-effect import, is what keeps them in every
// bundle: a bundler cannot drop a class's own methods.
import * as arithmetic from '../ops/arithmetic.js';
import * as layout from '../ops/layout.js';
import * as indexing from '../ops/indexing.js';
import type { Indices } from '../ops/indexing.js';
import * as math from '../ops/math.js';
import * as predicates from '../ops/predicates.js';
import * as bitwise from '../ops/bitwise.js';
import * as reduce from '../ops/reduce.js';
import * as scan from '../ops/scan.js';
import * as sorting from '../ops/sort.js';
import * as statistics from '../ops/statistics.js';
import * as shapeOps from '../ops/shape-ops.js';
import type { PadOptions } from '../ops/shape-ops.js';
import { matmul } from '../ops/matmul.js';
import type { TensorLike } from '../ops/operand.js';
import type { Axes } from '../ops/reduce.js';
import type { VarianceOptions } from '../ops/statistics.js';
import type { SortOptions, TopkOptions } from '../ops/sort.js';
import type { IndexSpec } from '../ops/layout.js';
import type { NestedArray } from '../creation.js';
import { formatTensor, toArray } from '../format.js';
import * as imperative from '../autodiff/imperative.js';
import type { BackwardOptions } from '../autodiff/imperative.js';

/** Storage of a tensor: which elements of `data` it shows, in which order. */
export interface View extends StridedView {
  readonly shape: readonly number[];
  readonly dtype: DType;
}

/**
 * `v`'s layout over another array. Views are copied field by field, never by spreading: a pending
 * view (core/deferred.ts) has its array, offset and strides as accessors on its prototype, which
 * `{ ...v }` leaves out.
 */
export function viewWithData<V extends StridedView>(v: V, data: TypedArray): V {
  const { shape, dtype } = v as Partial<View>;
  const layout = { data, offset: v.offset, strides: v.strides };
  return (shape === undefined ? layout : { ...layout, shape, dtype }) as unknown as V;
}

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
  /** The last graph walk that reached this node (autodiff/backprop.ts `reachable`). */
  walk: number;
}

/**
 * A `jit` trace in progress (staging/record.ts): it is told every primitive applied at its
 * level and names each result with a variable; `open` until the trace ends.
 */
export interface Recording {
  readonly open: boolean;
  /** Records `prim` applied to `inputs` (their variables, null for constants) with result `out`; returns out's variable. */
  equation(prim: Primitive, params: unknown, inputs: readonly Tensor[], variables: readonly (number | null)[], out: Tensor): number;
}

/** How a tensor is seen at one interpreter level. */
export type Trace =
  | { readonly kind: 'forward'; readonly level: number; readonly primal: Tensor; readonly tangent: Tensor }
  | { readonly kind: 'reverse'; readonly level: number; readonly primal: Tensor; readonly node: Node }
  /** A batched value (vmap): `primal` holds every example, stacked along `axis`. */
  | { readonly kind: 'batch'; readonly level: number; readonly primal: Tensor; readonly axis: number }
  | { readonly kind: 'record'; readonly level: number; readonly primal: Tensor; readonly variable: number; readonly recording: Recording };

/** `t`, or an ArgumentError naming `op` (and which of its tensors `t` is) where `t` was disposed. */
export function expectLive(t: Tensor, op: string, name?: string): Tensor {
  // Every op calls this on every operand: the message is built out of line, so that V8 inlines the test.
  if (t._view instanceof DisposedView) throwDisposed(t, op, name ?? 'this tensor');
  return t;
}

function throwDisposed(t: Tensor, op: string, name: string): never {
  throw new ArgumentError(`${op}: ${name} (shape ${formatShape(t.shape)}, ${t.dtype}) was disposed`);
}

/** The view of a disposed tensor: its shape and dtype stay readable; reading its elements throws. */
export class DisposedView implements View {
  constructor(
    readonly shape: readonly number[],
    readonly dtype: DType,
  ) {}
  private used(): never {
    throw new ArgumentError(`a disposed tensor (shape ${formatShape(this.shape)}, ${this.dtype}) was used; dispose() ended its life`);
  }
  get data(): TypedArray {
    return this.used();
  }
  get offset(): number {
    return this.used();
  }
  get strides(): readonly number[] {
    return this.used();
  }
}

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
  /**
   * @internal Whether this tensor alone holds its array, made for it: then dispose() may hand the
   * array to a later allocation. Set only where that is known (an evaluated primitive's fresh
   * result, a fused expression's); cleared wherever another tensor, view, tape or expression may
   * come to share the array.
   */
  _owns: boolean;
  /**
   * @internal The handle core/trace.ts `frozen` last made of this tensor for a recorded node,
   * reused while it still has this tensor's view and trace, so that a constant read by many
   * recorded operations gets one handle, not one each. `assign` and `dispose` drop it: it must
   * not keep a replaced array alive (a parameter's last values, between training steps).
   */
  _handle: Tensor | undefined;
  /** @internal The serial of the `tidy` scope open when this tensor was made (core/scope.ts; 0: none). */
  _scope: number;

  /** @internal Use `tensor()` and the creation functions instead. */
  constructor(view: View, trace: Trace | null = null) {
    this._view = view;
    this._trace = trace;
    this._owns = false;
    this._handle = undefined;
    const scope = openScope();
    this._scope = scope === null ? 0 : scope.serial;
    if (scope !== null) scope.tensors.push(this);
    // A tracer shares its primal's view.
    if (trace !== null) trace.primal._owns = false;
  }

  /**
   * Ends this tensor's life, for code that manages memory itself (as TensorFlow.js code does with
   * `dispose()`): a later use of it throws an ArgumentError, while its shape and dtype stay
   * readable. Where this tensor alone held a large array (an operation's result that no view,
   * gradient tape or other tensor shares), the array is reused by a later allocation of the same
   * dtype and length, which saves the cost of fresh memory; otherwise it is left to the garbage
   * collector. Views, recorded graphs and tensors that share the array keep their values.
   * Optional: tensors nobody references are collected anyway. A second call does nothing.
   *
   * @example
   * const y = a.mul(b).add(c).tanh();
   * const total = y.sum().item();
   * y.dispose(); // y's array goes to the next result of its size
   */
  dispose(): void {
    const view = this._view;
    if (view instanceof DisposedView) return;
    this._view = new DisposedView(view.shape, view.dtype);
    this._handle = undefined;
    // A pending value (core/deferred.ts) is dropped without being computed: nothing to recycle.
    // The array of a tensor made in an open tidy scope is the scope's to hand back, at its end.
    if (this._owns && this._trace === null && this._scope === 0 && (view as { readonly pending?: boolean }).pending !== true)
      recycle(view.data);
    this._owns = false;
  }

  /**
   * {@link Tensor.dispose}, for `using` declarations: `using y = a.mul(b);` disposes `y` when the
   * block ends.
   */
  [Symbol.dispose](): void {
    this.dispose();
  }

  /** Whether {@link Tensor.dispose} has been called on this tensor. */
  get isDisposed(): boolean {
    return this._view instanceof DisposedView;
  }

  /** The size of each dimension. */
  get shape(): readonly number[] {
    return this._view.shape;
  }
  /** The element type: `'float32'` or `'float64'`. */
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

  /**
   * Computes the value now if it is still pending, and returns this tensor. Eager elementwise
   * operations on large tensors wait until their value is read, so that a chain of them runs as
   * one fused kernel; reading the value (`data`, `item`, `toArray`, another operation's kernel)
   * computes it anyway, so `realize` is only needed to decide *when* the work happens (say,
   * inside a timed region). The values are the same either way.
   *
   * @example
   * const y = a.mul(b).add(c).tanh(); // pending: nothing computed yet
   * y.realize();                      // one fused kernel runs here
   */
  realize(): this {
    expectLive(this, 'realize');
    // A pending view computes its value at the first read of its array.
    void this._view.data;
    return this;
  }

  /** A fresh row-major copy of the elements. */
  data(): TypedArray {
    expectLive(this, 'data');
    const flat = contiguousData(this);
    return flat.slice();
  }

  /** The value of a one-element tensor as a number. */
  item(): number {
    expectLive(this, 'item');
    if (this.size !== 1) {
      throw new ShapeError(`item: tensor of shape ${formatShape(this.shape)} has ${this.size} elements, expected 1`);
    }
    if (this._trace !== null) {
      expectConcrete(this);
      expectOneValue(this);
    }
    return this._view.data[this._view.offset]!;
  }

  /** The elements as nested arrays (a number for a 0-d tensor); see {@link toArray}. */
  toArray(): NestedArray {
    expectLive(this, 'toArray');
    return toArray(this);
  }
  /**
   * NumPy's printed form, e.g. `tensor([1., 2.])`, summarised with `...` above 1000 elements;
   * see {@link formatTensor} for the options.
   */
  toString(): string {
    return this.isDisposed ? `tensor(disposed, shape ${formatShape(this.shape)}, ${this.dtype})` : formatTensor(this);
  }
  /** What Node's `console.log` and `util.inspect` print: the same text as `toString()`. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  // Arithmetic (elementwise, broadcasting; numbers take this tensor's dtype).
  /** x + y; see {@link add}. */
  add(y: TensorLike): Tensor {
    return arithmetic.add(this, y);
  }
  /** x − y; see {@link sub}. */
  sub(y: TensorLike): Tensor {
    return arithmetic.sub(this, y);
  }
  /** x · y, elementwise; see {@link mul}. */
  mul(y: TensorLike): Tensor {
    return arithmetic.mul(this, y);
  }
  /** x / y; see {@link div}. */
  div(y: TensorLike): Tensor {
    return arithmetic.div(this, y);
  }
  /** x raised to `exponent`; see {@link pow}. */
  pow(exponent: TensorLike): Tensor {
    return arithmetic.pow(this, exponent);
  }
  /** The elementwise larger of x and y; see {@link maximum}. */
  maximum(y: TensorLike): Tensor {
    return arithmetic.maximum(this, y);
  }
  /** The elementwise smaller of x and y; see {@link minimum}. */
  minimum(y: TensorLike): Tensor {
    return arithmetic.minimum(this, y);
  }
  /** x limited to [min, max] (either may be omitted); see {@link clamp}. */
  clamp(min?: TensorLike, max?: TensorLike): Tensor {
    return arithmetic.clamp(this, min, max);
  }
  /** −x; see {@link neg}. */
  neg(): Tensor {
    return arithmetic.neg(this);
  }
  /** eˣ; see {@link exp}. */
  exp(): Tensor {
    return arithmetic.exp(this);
  }
  /** The natural logarithm; see {@link log}. */
  log(): Tensor {
    return arithmetic.log(this);
  }
  /** √x; see {@link sqrt}. */
  sqrt(): Tensor {
    return arithmetic.sqrt(this);
  }
  /** |x|; see {@link abs}. */
  abs(): Tensor {
    return arithmetic.abs(this);
  }
  /** −1, 0 or 1 by the sign of x; see {@link sign}. */
  sign(): Tensor {
    return arithmetic.sign(this);
  }
  /** The hyperbolic tangent; see {@link tanh}. */
  tanh(): Tensor {
    return arithmetic.tanh(this);
  }
  /** The logistic function 1/(1+e⁻ˣ); see {@link sigmoid}. */
  sigmoid(): Tensor {
    return arithmetic.sigmoid(this);
  }
  /** max(x, 0); see {@link relu}. */
  relu(): Tensor {
    return arithmetic.relu(this);
  }
  /** The sine; see {@link sin}. */
  sin(): Tensor {
    return arithmetic.sin(this);
  }
  /** The cosine; see {@link cos}. */
  cos(): Tensor {
    return arithmetic.cos(this);
  }
  /** 1/x; see {@link reciprocal}. */
  reciprocal(): Tensor {
    return arithmetic.reciprocal(this);
  }
  /** x²; see {@link square}. */
  square(): Tensor {
    return arithmetic.square(this);
  }
  /** ⌊x⌋ (gradient 0); see {@link floor}. */
  floor(): Tensor {
    return math.floor(this);
  }
  /** ⌈x⌉ (gradient 0); see {@link ceil}. */
  ceil(): Tensor {
    return math.ceil(this);
  }
  /** x rounded to the nearest integer, ties to even (gradient 0); see {@link round}. */
  round(): Tensor {
    return math.round(this);
  }
  /** x rounded toward zero (gradient 0); see {@link trunc}. */
  trunc(): Tensor {
    return math.trunc(this);
  }
  /** The fractional part x − trunc(x); see {@link frac}. */
  frac(): Tensor {
    return math.frac(this);
  }
  /** The tangent; see {@link tan}. */
  tan(): Tensor {
    return math.tan(this);
  }
  /** The arcsine; see {@link asin}. */
  asin(): Tensor {
    return math.asin(this);
  }
  /** The arccosine; see {@link acos}. */
  acos(): Tensor {
    return math.acos(this);
  }
  /** The arctangent; see {@link atan}. */
  atan(): Tensor {
    return math.atan(this);
  }
  /** The angle of the point (x, y), this tensor being y; see {@link atan2}. */
  atan2(x: TensorLike): Tensor {
    return math.atan2(this, x);
  }
  /** The hyperbolic sine; see {@link sinh}. */
  sinh(): Tensor {
    return math.sinh(this);
  }
  /** The hyperbolic cosine; see {@link cosh}. */
  cosh(): Tensor {
    return math.cosh(this);
  }
  /** The inverse hyperbolic sine; see {@link asinh}. */
  asinh(): Tensor {
    return math.asinh(this);
  }
  /** The inverse hyperbolic cosine; see {@link acosh}. */
  acosh(): Tensor {
    return math.acosh(this);
  }
  /** The inverse hyperbolic tangent; see {@link atanh}. */
  atanh(): Tensor {
    return math.atanh(this);
  }
  /** The base-2 logarithm; see {@link log2}. */
  log2(): Tensor {
    return math.log2(this);
  }
  /** The base-10 logarithm; see {@link log10}. */
  log10(): Tensor {
    return math.log10(this);
  }
  /** log(1 + x), accurate near 0; see {@link log1p}. */
  log1p(): Tensor {
    return math.log1p(this);
  }
  /** eˣ − 1, accurate near 0; see {@link expm1}. */
  expm1(): Tensor {
    return math.expm1(this);
  }
  /** 2ˣ; see {@link exp2}. */
  exp2(): Tensor {
    return math.exp2(this);
  }
  /** log(1 + e^(βx))/β, linear above `threshold`; see {@link softplus}. */
  softplus(beta?: number, threshold?: number): Tensor {
    return math.softplus(this, beta, threshold);
  }
  /** x·σ(x); see {@link silu}. */
  silu(): Tensor {
    return math.silu(this);
  }
  /** log σ(x), without overflow; see {@link logSigmoid}. */
  logSigmoid(): Tensor {
    return math.logSigmoid(this);
  }
  /** ELU: x for x > 0, else α(eˣ − 1); see {@link elu}. */
  elu(alpha?: number): Tensor {
    return math.elu(this, alpha);
  }
  /** SELU: λ·elu(x, α); see {@link selu}. */
  selu(): Tensor {
    return math.selu(this);
  }
  /** CELU: x for x > 0, else α(e^(x/α) − 1); see {@link celu}. */
  celu(alpha?: number): Tensor {
    return math.celu(this, alpha);
  }
  /** relu6(x + 3)/6; see {@link hardSigmoid}. */
  hardSigmoid(): Tensor {
    return math.hardSigmoid(this);
  }
  /** x·relu6(x + 3)/6; see {@link hardSwish}. */
  hardSwish(): Tensor {
    return math.hardSwish(this);
  }
  /** x·tanh(softplus(x)); see {@link mish}. */
  mish(): Tensor {
    return math.mish(this);
  }
  /** x/(1 + |x|); see {@link softsign}. */
  softsign(): Tensor {
    return math.softsign(this);
  }
  /** min(max(x, 0), 6); see {@link relu6}. */
  relu6(): Tensor {
    return math.relu6(this);
  }
  /** x limited to [min, max] (default [−1, 1]); see {@link hardTanh}. */
  hardTanh(min?: number, max?: number): Tensor {
    return math.hardTanh(this, min, max);
  }
  /** The error function; see {@link erf}. */
  erf(): Tensor {
    return math.erf(this);
  }
  /** 1 − erf x, accurate in the tail; see {@link erfc}. */
  erfc(): Tensor {
    return math.erfc(this);
  }
  /** The inverse error function; see {@link erfinv}. */
  erfinv(): Tensor {
    return math.erfinv(this);
  }
  /** GELU, x·Φ(x) (or its tanh approximation); see {@link gelu}. */
  gelu(options?: math.GeluOptions): Tensor {
    return math.gelu(this, options);
  }
  /** log(eˣ + eʸ) without overflow; see {@link logAddExp}. */
  logAddExp(y: TensorLike): Tensor {
    return math.logAddExp(this, y);
  }
  /** this + weight·(end − this); see {@link lerp}. */
  lerp(end: TensorLike, weight: TensorLike): Tensor {
    return math.lerp(this, end, weight);
  }
  /** |x| with the sign of y; see {@link copysign}. */
  copysign(y: TensorLike): Tensor {
    return math.copysign(this, y);
  }
  /** √(x² + y²) without overflow; see {@link hypot}. */
  hypot(y: TensorLike): Tensor {
    return math.hypot(this, y);
  }
  /** x − y·floor(x/y), the remainder with the sign of y; see {@link remainder}. */
  remainder(y: TensorLike): Tensor {
    return math.remainder(this, y);
  }
  /** x − y·trunc(x/y), the remainder with the sign of x; see {@link fmod}. */
  fmod(y: TensorLike): Tensor {
    return math.fmod(this, y);
  }
  /** floor(x/y); see {@link floorDivide}. */
  floorDivide(y: TensorLike): Tensor {
    return math.floorDivide(this, y);
  }
  /** True where NaN; see {@link isnan}. */
  isnan(): Tensor {
    return predicates.isnan(this);
  }
  /** True where ±∞; see {@link isinf}. */
  isinf(): Tensor {
    return predicates.isinf(this);
  }
  /** True where finite; see {@link isfinite}. */
  isfinite(): Tensor {
    return predicates.isfinite(this);
  }
  /** True where both are non-zero; see {@link logicalAnd}. */
  logicalAnd(y: TensorLike): Tensor {
    return predicates.logicalAnd(this, y);
  }
  /** True where either is non-zero; see {@link logicalOr}. */
  logicalOr(y: TensorLike): Tensor {
    return predicates.logicalOr(this, y);
  }
  /** True where exactly one is non-zero; see {@link logicalXor}. */
  logicalXor(y: TensorLike): Tensor {
    return predicates.logicalXor(this, y);
  }
  /** True where zero; see {@link logicalNot}. */
  logicalNot(): Tensor {
    return predicates.logicalNot(this);
  }
  /** x & y (int32 or bool); see {@link bitwiseAnd}. */
  bitwiseAnd(y: TensorLike): Tensor {
    return bitwise.bitwiseAnd(this, y);
  }
  /** x | y (int32 or bool); see {@link bitwiseOr}. */
  bitwiseOr(y: TensorLike): Tensor {
    return bitwise.bitwiseOr(this, y);
  }
  /** x ^ y (int32 or bool); see {@link bitwiseXor}. */
  bitwiseXor(y: TensorLike): Tensor {
    return bitwise.bitwiseXor(this, y);
  }
  /** ~x (int32), or logical not (bool); see {@link bitwiseNot}. */
  bitwiseNot(): Tensor {
    return bitwise.bitwiseNot(this);
  }
  /** x << y (int32); see {@link leftShift}. */
  leftShift(y: TensorLike): Tensor {
    return bitwise.leftShift(this, y);
  }
  /** x >> y, arithmetic (int32); see {@link rightShift}. */
  rightShift(y: TensorLike): Tensor {
    return bitwise.rightShift(this, y);
  }

  // Comparisons (bool results, not differentiable) and selection.
  /** True where x > y; see {@link greater}. */
  greater(y: TensorLike): Tensor {
    return arithmetic.greater(this, y);
  }
  /** True where x ≥ y; see {@link greaterEqual}. */
  greaterEqual(y: TensorLike): Tensor {
    return arithmetic.greaterEqual(this, y);
  }
  /** True where x < y; see {@link less}. */
  less(y: TensorLike): Tensor {
    return arithmetic.less(this, y);
  }
  /** True where x ≤ y; see {@link lessEqual}. */
  lessEqual(y: TensorLike): Tensor {
    return arithmetic.lessEqual(this, y);
  }
  /** True where x = y; see {@link equal}. */
  equal(y: TensorLike): Tensor {
    return arithmetic.equal(this, y);
  }
  /** True where x ≠ y; see {@link notEqual}. */
  notEqual(y: TensorLike): Tensor {
    return arithmetic.notEqual(this, y);
  }
  /** `where(this, x, y)`: this tensor is the condition; see {@link where}. */
  where(x: TensorLike, y: TensorLike): Tensor {
    return arithmetic.where(this, x, y);
  }

  /** The matrix product with NumPy's rules; see {@link matmul}. */
  matmul(y: Tensor): Tensor {
    return matmul(this, y);
  }

  // Layout (views where possible).
  /** The axes permuted by `axes` (reversed when omitted); see {@link transpose}. */
  transpose(axes?: readonly number[]): Tensor {
    return layout.transpose(this, axes);
  }
  /** All axes reversed (the matrix transpose for 2-D). */
  get T(): Tensor {
    return layout.transpose(this);
  }
  /** The same elements in a new shape (one entry may be -1); see {@link reshape}. */
  reshape(shape: readonly number[]): Tensor {
    return layout.reshape(this, shape);
  }
  /** A broadcast view of this tensor in `shape`; see {@link broadcastTo}. */
  broadcastTo(shape: readonly number[]): Tensor {
    return layout.broadcastTo(this, shape);
  }
  /** Axes of size 1 removed (all of them when `axis` is omitted); see {@link squeeze}. */
  squeeze(axis?: number | readonly number[]): Tensor {
    return layout.squeeze(this, axis);
  }
  /** An axis of size 1 inserted at `axis`; see {@link expandDims}. */
  expandDims(axis: number): Tensor {
    return layout.expandDims(this, axis);
  }
  /** An axis of size 1 inserted at `axis` (PyTorch's name for `expandDims`). */
  unsqueeze(axis: number): Tensor {
    return layout.unsqueeze(this, axis);
  }
  /** All elements as one axis; see {@link flatten}. */
  flatten(): Tensor {
    return layout.flatten(this);
  }
  /** Elements `start, start+step, …` before `stop` along `axis`; see {@link slice}. */
  slice(axis: number, start?: number, stop?: number, step?: number): Tensor {
    return layout.slice(this, axis, start, stop, step);
  }
  /** NumPy-style indexing: `x.index(0, '1:3')` is `x[0, 1:3]`; see {@link index}. */
  index(...specs: IndexSpec[]): Tensor {
    return layout.index(this, ...specs);
  }
  /** The elements at `indices` along `axis` (flattened without one), differentiably; see {@link take}. */
  take(indices: Indices, axis?: number): Tensor {
    return indexing.take(this, indices, axis);
  }
  /** PyTorch's gather: `out[p] = x[p with p[axis] = index[p]]`; see {@link gather}. */
  gather(axis: number, index: Tensor): Tensor {
    return indexing.gather(this, axis, index);
  }
  /** A copy with `src` written at the positions `index` addresses along `axis`; see {@link scatter}. */
  scatter(axis: number, index: Tensor, src: Tensor | number): Tensor {
    return indexing.scatter(this, axis, index, src);
  }
  /** A copy with `src` added at the positions `index` addresses (repeats accumulate); see {@link scatterAdd}. */
  scatterAdd(axis: number, index: Tensor, src: Tensor | number): Tensor {
    return indexing.scatterAdd(this, axis, index, src);
  }
  /** The entries at the positions of a 1-D `index` along `axis`; see {@link indexSelect}. */
  indexSelect(axis: number, index: Tensor | readonly number[]): Tensor {
    return indexing.indexSelect(this, axis, index);
  }
  /** `value` where `mask` is non-zero, this tensor elsewhere; see {@link maskedFill}. */
  maskedFill(mask: Tensor, value: Tensor | number): Tensor {
    return indexing.maskedFill(this, mask, value);
  }
  /** The entries where `mask` is non-zero, as a 1-D tensor; see {@link maskedSelect}. */
  maskedSelect(mask: Tensor): Tensor {
    return indexing.maskedSelect(this, mask);
  }
  /** The coordinates of the non-zero entries, shape `[count, ndim]`; see {@link nonzero}. */
  nonzero(): Tensor {
    return indexing.nonzero(this);
  }
  /** The same values in another dtype (differentiable); see {@link astype}. */
  astype(dtype: DType): Tensor {
    return layout.astype(this, dtype);
  }
  /** The same value cut off from every graph; see {@link stopGradient}. */
  detach(): Tensor {
    return layout.stopGradient(this);
  }
  /** The elements reversed along `axes` (all when omitted); see {@link flip}. */
  flip(axes?: number | readonly number[]): Tensor {
    return shapeOps.flip(this, axes);
  }
  /** The elements rotated by `shifts` along `axes`; see {@link roll}. */
  roll(shifts: number | readonly number[], axes?: number | readonly number[]): Tensor {
    return shapeOps.roll(this, shifts, axes);
  }
  /** The axes `source` moved to `destination`; see {@link movedim}. */
  movedim(source: number | readonly number[], destination: number | readonly number[]): Tensor {
    return shapeOps.movedim(this, source, destination);
  }
  /** Axes `axis1` and `axis2` exchanged; see {@link swapaxes}. */
  swapaxes(axis1: number, axis2: number): Tensor {
    return shapeOps.swapaxes(this, axis1, axis2);
  }
  /** Consecutive pieces along `axis` of one size or the listed sizes; see {@link split}. */
  split(sizeOrSizes: number | readonly number[], axis?: number): Tensor[] {
    return shapeOps.split(this, sizeOrSizes, axis);
  }
  /** At most `n` equal pieces along `axis`; see {@link chunk}. */
  chunk(n: number, axis?: number): Tensor[] {
    return shapeOps.chunk(this, n, axis);
  }
  /** This tensor repeated `reps[i]` times along each axis; see {@link tile}. */
  tile(reps: readonly number[]): Tensor {
    return shapeOps.tile(this, reps);
  }
  /** Each element repeated `repeats` times along `axis`; see {@link repeatInterleave}. */
  repeatInterleave(repeats: number | readonly number[] | Tensor, axis?: number): Tensor {
    return shapeOps.repeatInterleave(this, repeats, axis);
  }
  /** The lower triangle (j − i ≤ k) of the last two axes; see {@link tril}. */
  tril(k?: number): Tensor {
    return shapeOps.tril(this, k);
  }
  /** The upper triangle (j − i ≥ k) of the last two axes; see {@link triu}. */
  triu(k?: number): Tensor {
    return shapeOps.triu(this, k);
  }
  /** A 1-D tensor as a diagonal matrix, or a matrix's diagonal `k`; see {@link diag}. */
  diag(k?: number): Tensor {
    return shapeOps.diag(this, k);
  }
  /** The diagonal `offset` of the matrices on `axis1`, `axis2`; see {@link diagonal}. */
  diagonal(offset?: number, axis1?: number, axis2?: number): Tensor {
    return shapeOps.diagonal(this, offset, axis1, axis2);
  }
  /** The sum of a matrix's main diagonal; see {@link trace}. */
  trace(): Tensor {
    return shapeOps.trace(this);
  }
  /** Padded by last-axis-first `pads` in a mode; see {@link pad}. */
  pad(pads: readonly number[], opts?: PadOptions): Tensor {
    return shapeOps.pad(this, pads, opts);
  }

  // Reductions.
  /** The sum over `axis` (all axes when omitted); see {@link sum}. */
  sum(axis?: Axes, keepdims?: boolean): Tensor {
    return reduce.sum(this, axis, keepdims);
  }
  /** The mean over `axis` (all axes when omitted); see {@link mean}. */
  mean(axis?: Axes, keepdims?: boolean): Tensor {
    return reduce.mean(this, axis, keepdims);
  }
  /** The maximum over `axis` (all axes when omitted); see {@link max}. */
  max(axis?: Axes, keepdims?: boolean): Tensor {
    return reduce.max(this, axis, keepdims);
  }
  /** The minimum over `axis` (all axes when omitted); see {@link min}. */
  min(axis?: Axes, keepdims?: boolean): Tensor {
    return reduce.min(this, axis, keepdims);
  }
  /** log Σ exp(x) over `axis` (default: the last), stably; see {@link logSumExp}. */
  logSumExp(axis?: Axes, keepdims?: boolean): Tensor {
    return reduce.logSumExp(this, axis, keepdims);
  }
  /** exp(x) / Σ exp(x) along `axis` (default: the last); see {@link softmax}. */
  softmax(axis?: number): Tensor {
    return reduce.softmax(this, axis);
  }
  /** x − logSumExp(x) along `axis` (default: the last); see {@link logSoftmax}. */
  logSoftmax(axis?: number): Tensor {
    return reduce.logSoftmax(this, axis);
  }
  /** The index of the first maximum along `axis` (default: the last); see {@link argmax}. */
  argmax(axis?: number, keepdims?: boolean): Tensor {
    return reduce.argmax(this, axis, keepdims);
  }
  /** The product over `axis` (all axes when omitted), exact gradients at zeros; see {@link prod}. */
  prod(axis?: Axes, keepdims?: boolean): Tensor {
    return statistics.prod(this, axis, keepdims);
  }
  /** The variance over `axis` with `{ correction = 1, keepdims }`; see {@link variance}. */
  variance(axis?: Axes, options?: VarianceOptions): Tensor {
    return statistics.variance(this, axis, options);
  }
  /** The variance (PyTorch's name, `var`); see {@link variance}. */
  var(axis?: Axes, options?: VarianceOptions): Tensor {
    return statistics.varianceAs('var', this, axis, options);
  }
  /** The standard deviation over `axis` with `{ correction = 1, keepdims }`; see {@link std}. */
  std(axis?: Axes, options?: VarianceOptions): Tensor {
    return statistics.std(this, axis, options);
  }
  /** The vector p-norm over `axis` (all elements when omitted); see {@link norm}. */
  norm(p?: number, axis?: Axes, keepdims?: boolean): Tensor {
    return statistics.norm(this, p, axis, keepdims);
  }
  /** The index of the first minimum along `axis` (default: the last); see {@link argmin}. */
  argmin(axis?: number, keepdims?: boolean): Tensor {
    return statistics.argmin(this, axis, keepdims);
  }
  /** True where some element over `axis` is non-zero; see {@link any}. */
  any(axis?: Axes, keepdims?: boolean): Tensor {
    return statistics.any(this, axis, keepdims);
  }
  /** True where every element over `axis` is non-zero; see {@link all}. */
  all(axis?: Axes, keepdims?: boolean): Tensor {
    return statistics.all(this, axis, keepdims);
  }
  /** The cumulative sum along `axis`; see {@link cumsum}. */
  cumsum(axis: number): Tensor {
    return scan.cumsum(this, axis);
  }
  /** The cumulative product along `axis`, exact gradients at zeros; see {@link cumprod}. */
  cumprod(axis: number): Tensor {
    return scan.cumprod(this, axis);
  }
  /** log Σⱼ≤ᵢ exp(xⱼ) along `axis`, stably; see {@link logCumSumExp}. */
  logCumSumExp(axis: number): Tensor {
    return scan.logCumSumExp(this, axis);
  }
  /** The running maximum along `axis` and its indices, `[values, indices]`; see {@link cummax}. */
  cummax(axis: number): [Tensor, Tensor] {
    return scan.cummax(this, axis);
  }
  /** The running minimum along `axis` and its indices, `[values, indices]`; see {@link cummin}. */
  cummin(axis: number): [Tensor, Tensor] {
    return scan.cummin(this, axis);
  }
  /** The sorted values along `axis` and their indices, `[values, indices]`; see {@link sort}. */
  sort(axis?: number, options?: SortOptions): [Tensor, Tensor] {
    return sorting.sort(this, axis, options);
  }
  /** The indices that sort this tensor along `axis`; see {@link argsort}. */
  argsort(axis?: number, options?: SortOptions): Tensor {
    return sorting.argsort(this, axis, options);
  }
  /** The `k` largest (or smallest) values along `axis` and their indices; see {@link topk}. */
  topk(k: number, axis?: number, options?: TopkOptions): [Tensor, Tensor] {
    return sorting.topk(this, k, axis, options);
  }

  // Imperative autodiff (PyTorch style).
  /** Reverse mode from this tensor into the `.grad` of every `requiresGrad` leaf it depends on. */
  backward(options?: BackwardOptions): void {
    imperative.backward(this, options);
  }
  /** Replaces a leaf's contents in place (the shape must match); recorded graphs keep the old values. */
  assign(value: Tensor): void {
    imperative.assign(this, value);
  }
  /** The accumulated gradient of a `requiresGrad` leaf (null until a backward pass reaches it); assign `null` to clear it. */
  get grad(): Tensor | null {
    return imperative.getGrad(this);
  }
  /** Sets (a tensor of this shape and dtype) or clears (`null`) the gradient of a `requiresGrad` leaf. */
  set grad(value: Tensor | null) {
    imperative.setGrad(this, value);
  }
  /** Whether this tensor is part of the imperative graph; settable on leaves. */
  get requiresGrad(): boolean {
    return imperative.requiresGrad(this);
  }
  /** Makes a leaf part of the imperative graph (`true`) or not (`false`); only leaves may change. */
  set requiresGrad(flag: boolean) {
    imperative.setRequiresGrad(this, flag);
  }
  /** True for tensors not computed from a `requiresGrad` tensor, and for the leaves themselves. */
  get isLeaf(): boolean {
    return imperative.isLeaf(this);
  }
}

/** Wraps a fresh contiguous array as a tensor with no trace. */
export function fromArray(data: TypedArray, shape: readonly number[], dtype: DType): Tensor {
  return new Tensor({ data, offset: 0, strides: contiguousStrides(shape), shape, dtype });
}

/**
 * Refuses to read a tensor that differs between the examples of an active vmap: its view
 * holds example 0 only, and code that depends on values (positions, masks, printing) would
 * silently use it for every example.
 */
function expectOneValue(t: Tensor): void {
  if (variesOverBatch(t))
    throw new TraceError(
      `cannot read the values of a tensor of shape ${formatShape(t.shape)} that varies over a vmap batch (a value-dependent operation inside vmap); pass it unbatched (inAxes null) or loop`,
    );
}

/**
 * The elements in row-major order, as the tensor's own array when it already is one
 * (callers must not write to the result), otherwise a materialised copy.
 */
export function contiguousData(t: Tensor): TypedArray {
  if (t._trace !== null) {
    expectConcrete(t);
    expectOneValue(t);
  }
  const view = t._view;
  const size = shapeSize(view.shape);
  if (isContiguousView(view)) {
    return view.offset === 0 && view.data.length === size ? view.data : view.data.subarray(view.offset, view.offset + size);
  }
  const out = allocateUnfilled(view.dtype, size);
  activeBackend().copy(view, { data: out, offset: 0, strides: contiguousStrides(view.shape) }, view.shape);
  return out;
}

/**
 * Throws where `t` is a variable of a `jit` trace in progress: a trace stands for every value of
 * its shape, so a program that reads one (item, toArray, an op whose result depends on values)
 * cannot be traced.
 */
function expectConcrete(t: Tensor): void {
  if (isStaged(t))
    throw new TraceError(
      `jit: the traced function reads the values of a traced tensor of shape ${formatShape(t.shape)} (item, toArray, data, or an op whose result depends on values such as nonzero, maskedSelect or scatter); jit records shapes, not values: compute it outside jit or pass it as an argument`,
    );
}

/**
 * Whether the values of `t` can be read here: false inside `jit` for a tensor computed from the
 * traced arguments (it stands for every value of its shape) and inside `vmap` for one that
 * differs between the examples. Code that needs values (validation, building an index) can
 * check it and choose operations that work on traced values instead, as `gather` does.
 *
 * @example
 * isConcrete(tensor([1, 2]));                                      // true
 * jit((x: Tensor) => x.mul(isConcrete(x) ? 1 : 2))(tensor([1])).item(); // 2: traced
 */
export function isConcrete(t: Tensor): boolean {
  if (!(t instanceof Tensor)) throw new ArgumentError(`isConcrete: expected a Tensor, got ${describe(t)}`);
  return t._trace === null || (!isStaged(t) && !variesOverBatch(t));
}

/** Whether `t` is (or is computed from) a variable of a `jit` trace in progress: it stands for any value of its shape. */
export function isStaged(t: Tensor): boolean {
  for (let trace = t._trace; trace !== null; trace = trace.primal._trace) if (trace.kind === 'record' && trace.recording.open) return true;
  return false;
}
