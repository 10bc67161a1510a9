// The kernel interface: typed arrays in, typed arrays out. Kernels know nothing of Tensor or
// autodiff; every backend (the portable TypeScript one, a WebAssembly one) implements this.
import type { DType, TypedArray } from '../dtype.js';
import { ArgumentError } from '../errors.js';
import { describe } from '../arguments.js';

/**
 * A read or write window onto a flat array: element `(i0, i1, ...)` of the logical shape
 * (passed beside the view) lives at `offset + i0*strides[0] + i1*strides[1] + ...`.
 * A stride of 0 repeats an element (broadcasting); a permuted stride order is a transpose.
 */
export interface StridedView {
  /** The flat array the window reads or writes. */
  readonly data: TypedArray;
  /** Where element (0, 0, …) is in `data`. */
  readonly offset: number;
  /** Elements to step in `data` per unit of each axis (0 for a broadcast axis; negative for a reversed one). */
  readonly strides: readonly number[];
}

/** The elementwise functions of one operand a backend implements. */
export type UnaryKernel =
  | 'neg'
  | 'exp'
  | 'log'
  | 'sqrt'
  | 'abs'
  | 'sign'
  | 'tanh'
  | 'sigmoid'
  | 'sin'
  | 'cos'
  | 'floor'
  | 'ceil'
  | 'round'
  | 'trunc'
  | 'tan'
  | 'asin'
  | 'acos'
  | 'atan'
  | 'sinh'
  | 'cosh'
  | 'asinh'
  | 'acosh'
  | 'atanh'
  | 'log2'
  | 'log10'
  | 'log1p'
  | 'expm1'
  | 'exp2'
  | 'erf'
  | 'erfc'
  | 'erfinv'
  | 'bitwiseNot';

/**
 * The elementwise functions of two operands a backend implements (comparisons give 1 or 0; the
 * bitwise ones and shifts see int32 or bool operands). With an Int32Array output, `mul` and
 * `pow` wrap modulo 2³², as int32 arithmetic does.
 */
export type BinaryKernel =
  | 'add'
  | 'sub'
  | 'mul'
  | 'div'
  | 'pow'
  | 'maximum'
  | 'greater'
  | 'greaterEqual'
  | 'less'
  | 'lessEqual'
  | 'equal'
  | 'notEqual'
  | 'atan2'
  | 'copysign'
  | 'hypot'
  | 'bitwiseAnd'
  | 'bitwiseOr'
  | 'bitwiseXor'
  | 'leftShift'
  | 'rightShift';

// ---- Fused elementwise kernels (jit's execution plan; internal) ----

/**
 * One operation of a fused elementwise expression, by the kernel the unfused equation would
 * call. `dtype` is the node's result dtype (float32 nodes round to float32 after every
 * operation, as the unfused kernel's store does); `args` index earlier nodes.
 */
export type FusedNode =
  | { readonly kind: 'operand'; readonly index: number; readonly dtype: DType }
  | {
      readonly kind: 'unary';
      readonly kernel: UnaryKernel;
      readonly args: readonly [number];
      readonly dtype: DType;
      readonly native: boolean;
    }
  | { readonly kind: 'binary'; readonly kernel: BinaryKernel; readonly args: readonly [number, number]; readonly dtype: DType }
  | { readonly kind: 'where'; readonly args: readonly [number, number, number]; readonly dtype: DType }
  | { readonly kind: 'cast'; readonly args: readonly [number]; readonly dtype: DType };

/**
 * A reduction that ends a fused expression: `op` over the last `axes` axes of the expression's
 * shape, as `Backend.reduce` computes it over those (trailing) axes of the unfused result.
 */
export interface FusedReduction {
  readonly op: ReduceKernel;
  readonly axes: number;
}

/**
 * A chain of elementwise operations over one output shape, as one kernel: nodes in evaluation
 * order, the last one the result. `key` names its structure (ops, dtypes, operand layouts, the
 * reduction) so a backend compiles one kernel per key. A unary node marked `native` computes the
 * backend's own approximation (the one its unfused kernel uses at that node's size), the others
 * the reference (JS) scalar functions. With `reduction`, the result is the last node reduced
 * over the trailing axes, and the elementwise values are never written out.
 */
export interface FusedExpression {
  readonly key: string;
  readonly nodes: readonly FusedNode[];
  readonly reduction?: FusedReduction;
}

/** How a backend runs fused expressions (optional: without it, jit runs every equation as it is). */
export interface FusedKernels {
  /**
   * Which function this backend's unfused kernel computes for `kernel` from `input` to `output`
   * dtype on `size` elements: `'reference'` (the JS scalar function, bit for bit), `'native'`
   * (its own approximation, which its fused kernels reproduce bit for bit), or `null` (neither:
   * the equation is not fused).
   */
  unaryVariant(kernel: UnaryKernel, input: DType, output: DType, size: number): 'reference' | 'native' | null;
  /**
   * Whether `run` reduces an expression of `dtype` over `shape` by `reduction` exactly as
   * `reduce` would reduce its unfused result (the same kernel, the same order of operations);
   * absent or false: a reduction is never fused, and runs after the expression as traced.
   */
  reduces?(reduction: FusedReduction, dtype: DType, shape: readonly number[]): boolean;
  /**
   * Computes `expr` over `shape` into contiguous `out` (of the reduced shape where the
   * expression has a reduction), its operands read through their views; returns false (having
   * written nothing that matters) where it cannot, and the caller runs the unfused equations
   * instead.
   */
  run(expr: FusedExpression, operands: readonly StridedView[], shape: readonly number[], out: TypedArray): boolean;
  /**
   * Whether `run` computes an expression of these nodes as fast as the unfused kernels would
   * (the WASM backend: in SIMD lanes, not its scalar loop). Eager code defers operations only
   * into such expressions; absent, every expression is. It must be decided node by node: an
   * expression over another one that vectorizes vectorizes exactly when it does with that one
   * as an operand of its dtype (eager code checks each operation so, over its inputs alone).
   */
  vectorizes?(nodes: readonly FusedNode[]): boolean;
}

/**
 * Memory inside a backend (a WebAssembly instance's linear memory) that arrays can live in: the
 * backend's kernels read such arrays where they are and write results into them, with no
 * copies in or out. jit's lowered replay (core/lowered.ts) keeps a program's intermediates
 * here between calls.
 */
export interface ResidentMemory {
  /** Holds `bytes` (zero-filled, 64-byte aligned, with 64 bytes of slack after) until `release`; returns its address. */
  hold(bytes: number): number;
  /** Frees what `hold` returned. */
  release(address: number): void;
  /** An array of `length` elements of `dtype` at byte `address`: valid while `generation` stays the same. */
  view(dtype: DType, address: number, length: number): TypedArray;
  /** Changes whenever the memory grows (which detaches views taken before) or its scratch moves (a new `hold`). */
  readonly generation: number;
  /**
   * Runs the call `method(...args)` (a kernel, or `'fused'` for `fused.run`) on arrays that live
   * here, and returns what it returned and a function that runs it again the same way for
   * arrays at the same places (reading their contents at each run; valid while `generation`
   * stays the same): where the backend could, a form prepared once (no decisions, no staging).
   */
  prepare(method: string, args: readonly unknown[]): { readonly result: unknown; readonly again: () => unknown };
}

/** The reductions a backend implements. */
export type ReduceKernel = 'sum' | 'max';

/** The operations every backend provides. All outputs are contiguous row-major arrays. */
export interface Backend {
  /** The name `setBackend` and `getBackend` use for it. */
  readonly name: string;
  /**
   * `out[i] = op(x[i])` over contiguous arrays of equal length (`out` may be `x`); `x` may be
   * an integer or bool array where `out` is a float one (float functions of integers).
   */
  unary(op: UnaryKernel, x: TypedArray, out: TypedArray): void;
  /** `out = op(a, b)` where `a` and `b` are viewed over `shape` (broadcast by zero strides). */
  binary(op: BinaryKernel, a: StridedView, b: StridedView, shape: readonly number[], out: TypedArray): void;
  /** `out = cond != 0 ? a : b`, all three viewed over `shape`. */
  where(cond: StridedView, a: StridedView, b: StridedView, shape: readonly number[], out: TypedArray): void;
  /** Copies `src` into `dst`, both viewed over `shape` (materialises views, scatters, casts). */
  copy(src: StridedView, dst: StridedView, shape: readonly number[]): void;
  /**
   * Reduces contiguous `x` of `shape` over the sorted, distinct `axes` into `out`, whose
   * row-major layout is `shape` without those axes.
   */
  reduce(op: ReduceKernel, x: TypedArray, shape: readonly number[], axes: readonly number[], out: TypedArray): void;
  /**
   * Batched matrix product: for each index of `batchShape`, `out[b] = a[b] (m×k) · b[b] (k×n)`.
   * `a` has strides `[...batchStrides, rowStride, colStride]` over `[...batchShape, m, k]`, and
   * likewise `b` over `[...batchShape, k, n]`, so transposed and broadcast operands need no copy.
   * `out` is contiguous `[...batchShape, m, n]`.
   */
  matmul(a: StridedView, b: StridedView, batchShape: readonly number[], m: number, k: number, n: number, out: TypedArray): void;
  /**
   * Gathers along the middle axis of contiguous `x` seen as `[outer, n, inner]`:
   * `out[o, j, i] = x[o, indices[j], i]`, with `out` contiguous `[outer, indices.length, inner]`.
   * Every index is in `[0, n)` (callers check).
   */
  gather(x: TypedArray, outer: number, n: number, inner: number, indices: Int32Array, out: TypedArray): void;
  /**
   * The positions the entries of an integer array `indices` stand for along an axis of `blocks`
   * consecutive groups of `size`: entry i, in `[0, size)` (or, where `negativeWraps`, in
   * `[-size, size)`, counting from the end), becomes its non-negative offset plus the start of its
   * group (`floor(i / (indices.length / blocks)) * size`), written to `out` (as long as `indices`).
   * Returns -1, or the first entry out of range (then `out` is written only in part). Run as a
   * kernel, not by the caller, so that positions computed from a jit input are part of the replay.
   */
  indexPositions(indices: TypedArray, size: number, negativeWraps: boolean, blocks: number, out: Int32Array): number;
  /**
   * The transpose of `gather`: `out` (`[outer, n, inner]`) is set to zero, then
   * `out[o, indices[j], i] += g[o, j, i]`; repeated indices accumulate.
   */
  scatterAdd(g: TypedArray, outer: number, n: number, inner: number, indices: Int32Array, out: TypedArray): void;
  /**
   * The running sum of each line of contiguous `x` (of `shape`) along `axis` into `out`, from the
   * first element, or from the last when `reverse`.
   */
  cumsum(x: TypedArray, shape: readonly number[], axis: number, reverse: boolean, out: TypedArray): void;
  /**
   * The positions that sort each line of contiguous `x` along `axis` (stably; NaN as the largest),
   * written as numbers into `out` of `x`'s shape.
   */
  argsort(x: TypedArray, shape: readonly number[], axis: number, descending: boolean, out: TypedArray): void;
  /**
   * `out[o, j, i] = x[o, indices[o, j, i], i]` along `axis`: `indices` and `out` contiguous of
   * `shape`, `x` contiguous of that shape but `size` along `axis`; every index in range.
   */
  takeAlong(x: TypedArray, size: number, indices: TypedArray, shape: readonly number[], axis: number, out: TypedArray): void;
  /**
   * im2col: the windows of `planes` contiguous [height, width] planes of `x` into `out`, laid
   * out [planes, kH·kW, outH·outW]: `out[pl, i·kW + j, p·outW + q] = x[pl, r, c]` with
   * r = p·stride₀ + i·dilation₀ − padding₀ (c likewise), and 0 where (r, c) is outside the plane.
   */
  unfold(x: TypedArray, planes: number, geometry: WindowGeometry, out: TypedArray): void;
  /** col2im, the transpose of `unfold`: `out` (planes × [height, width]) is set to the sum of every window tap that reads it. */
  fold(cols: TypedArray, planes: number, geometry: WindowGeometry, out: TypedArray): void;
  /** @internal Fused elementwise kernels for jit's replay (optional; the interface may change). */
  readonly fused?: FusedKernels;
  /** @internal Memory of the backend's own that jit's lowered replay keeps intermediates in (optional; the interface may change). */
  readonly resident?: ResidentMemory;
  /** Bytes of memory the backend holds outside JavaScript's typed arrays (optional; none where absent). */
  memoryBytes?(): number;
}

/** The geometry of sliding windows over a 2-D plane, with implicit zero padding. */
export interface WindowGeometry {
  /** The input plane's height (without padding). */
  readonly height: number;
  /** The input plane's width (without padding). */
  readonly width: number;
  /** Zeros before the first row and column (the windows start there). */
  readonly padding: readonly [number, number];
  /** Window taps per axis [kH, kW]. */
  readonly kernel: readonly [number, number];
  /** Step between windows per axis. */
  readonly stride: readonly [number, number];
  /** Spacing between taps per axis. */
  readonly dilation: readonly [number, number];
  /** Number of windows per axis. */
  readonly out: readonly [number, number];
}

/** The kernels every backend has: its methods but the name and the optional capabilities. */
export type KernelName = Exclude<keyof Backend, 'name' | 'fused' | 'resident' | 'memoryBytes'>;

// A record, not a list, so that the compiler checks it names every kernel of the interface (a
// new kernel that `expectBackend` did not check would reach a custom backend unchecked).
const KERNEL_NAMES: Record<KernelName, true> = {
  unary: true,
  binary: true,
  where: true,
  copy: true,
  reduce: true,
  matmul: true,
  gather: true,
  indexPositions: true,
  scatterAdd: true,
  cumsum: true,
  argsort: true,
  takeAlong: true,
  unfold: true,
  fold: true,
};
const KERNELS = Object.keys(KERNEL_NAMES) as KernelName[];

/** Checks that `backend` has a non-empty name and every kernel of the Backend interface. */
export function expectBackend(op: string, backend: unknown): Backend {
  if (typeof backend !== 'object' || backend === null)
    throw new ArgumentError(`${op}: expected a backend name or a Backend object, got ${describe(backend)}`);
  const b = backend as Record<string, unknown>;
  if (typeof b.name !== 'string' || b.name === '')
    throw new ArgumentError(`${op}: the backend needs a non-empty string name, got ${describe(b.name)}`);
  const missing = KERNELS.filter((k) => typeof b[k] !== 'function');
  if (missing.length > 0) throw new ArgumentError(`${op}: the backend ${describe(b.name)} lacks the kernels ${missing.join(', ')}`);
  return backend as Backend;
}
