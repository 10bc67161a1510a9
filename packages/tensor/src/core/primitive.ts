// What a primitive is: its kernel call, per input its derivative rules, and its batching rule. The interpreters
// only ever call `impl`, `jvp[i]`, `vjp[i]` and `batch`; they never name a primitive.
import { allocate, allocateUnfilled, type DType, type TypedArray } from '../dtype.js';
import type { BinaryKernel, ReduceKernel, UnaryKernel } from '../backend/backend.js';
import type { Tensor } from './tensor.js';

/** What is known of a tensor before it is computed: its shape and dtype. */
export interface AbstractValue {
  readonly shape: readonly number[];
  readonly dtype: DType;
}

/** What a derivative rule sees: the inputs and output one level down, and the params. */
export interface RuleContext<P> {
  readonly inputs: readonly Tensor[];
  readonly out: Tensor;
  readonly params: P;
}

/** Cotangent of input i from the output cotangent `g` (null: not differentiable in input i). */
export type VjpRule<P> = ((g: Tensor, ctx: RuleContext<P>) => Tensor) | null;
/** Contribution of input i's tangent `dx` to the output tangent (linear in `dx`). */
export type JvpRule<P> = ((dx: Tensor, ctx: RuleContext<P>) => Tensor) | null;

/**
 * How a primitive runs on batched inputs (`vmap`): given the inputs one level down, each with
 * its batch axis (`null`: the input is the same for every example) and the batch size, it
 * computes the batched output with tensor operations one level down and says where the
 * output's batch axis is (`null`: the output does not vary across the batch).
 */
export type BatchRule<P> = (
  inputs: readonly Tensor[],
  axes: readonly (number | null)[],
  params: P,
  size: number,
) => readonly [Tensor, number | null];

/**
 * What an elementwise primitive computes, for jit's fused kernels: the unary or binary kernel it
 * calls on its (already broadcast) operands, a selection, or a cast.
 */
export type ElementwiseRole =
  | { readonly kind: 'unary'; readonly kernel: UnaryKernel }
  | { readonly kind: 'binary'; readonly kernel: BinaryKernel }
  | { readonly kind: 'where' }
  | { readonly kind: 'cast' };

/**
 * What a reduction primitive computes, for fused kernels that end in a reduction: the backend's
 * reduce kernel and the axes it reduces (sorted, distinct), given the primitive's params.
 */
export type ReductionRole<P> = (params: P) => { readonly kernel: ReduceKernel; readonly axes: readonly number[] };

/**
 * Where a kernel call puts its result: fresh memory by default; jit's replay hands a primitive
 * the buffer it planned for that equation (reused across calls, see staging/buffers.ts). An impl
 * asks for its result array once, through one of the two.
 */
export interface OutputTarget {
  /** An array of `size` elements of `dtype` for a kernel that writes every element (its contents are unspecified). */
  array(dtype: DType, size: number): TypedArray;
  /** A zero-filled array, for a kernel that writes only some elements or adds into them. */
  zeros(dtype: DType, size: number): TypedArray;
}

/** Fresh memory for every result (unfilled where the kernel writes every element): what every call outside a jit replay gets. */
export const FRESH_OUTPUT: OutputTarget = { array: allocateUnfilled, zeros: allocate };

/**
 * Fresh memory that notes the array it handed out last, so that a caller can tell whether a
 * primitive's result is over the array made for it, which that result then holds alone (see
 * Tensor.dispose). `reset()` before the call, `madeFor` after it.
 */
export class NotingOutput implements OutputTarget {
  private last: TypedArray | null = null;
  array(dtype: DType, size: number): TypedArray {
    return (this.last = allocateUnfilled(dtype, size));
  }
  zeros(dtype: DType, size: number): TypedArray {
    return (this.last = allocate(dtype, size));
  }
  reset(): void {
    this.last = null;
  }
  /** Whether `out`, a result of `prim`, is over the array made last, and `prim` keeps no reference to it. */
  madeFor<P>(prim: Primitive<P>, out: Tensor): boolean {
    return prim.retainsNothing === true && this.last !== null && out._view.data === this.last;
  }
}

/**
 * One primitive operation. `impl` runs on untraced tensors (it calls the backend); the rules
 * are written with differentiable tensor operations, so derivatives of derivatives work.
 */
export interface Primitive<P = unknown> {
  readonly name: string;
  /**
   * Runs the kernel; `target` (default: fresh memory) supplies the result's array, and `out`,
   * where the caller knows it (a jit replay recorded it), the result's shape and dtype.
   */
  impl(inputs: readonly Tensor[], params: P, target?: OutputTarget, out?: AbstractValue): Tensor;
  /** One rule per input. */
  readonly vjp: readonly VjpRule<P>[];
  readonly jvp: readonly JvpRule<P>[];
  /** Its batching rule: required, so a primitive without one is a compile error. */
  readonly batch: BatchRule<P>;
  /** Set on elementwise primitives: what a fused kernel computes for it (see staging/plan.ts). */
  readonly elementwise?: ElementwiseRole;
  /** Set on reduction primitives: what a fused kernel that ends in it reduces (see staging/plan.ts, core/deferred.ts). */
  readonly reduction?: ReductionRole<P>;
  /**
   * True where `impl` keeps no reference to its inputs or its result once it returns (every
   * primitive of the library; user-defined ones, such as customOp's, may keep either). jit reuses
   * an intermediate's buffer on later calls only if every primitive that read it says so.
   */
  readonly retainsNothing?: boolean;
}

/** The output shape and dtype of a primitive from its inputs' (validated arguments assumed). */
export type ShapeRule<P> = (inputs: readonly AbstractValue[], params: P) => AbstractValue;

/**
 * A primitive as it is written in `prims/`: its shape rule next to its kernel call and its
 * rules. `impl` receives the output's shape and dtype from `shape`, so no kernel recomputes it.
 */
export interface PrimitiveDefinition<P> {
  readonly name: string;
  readonly shape: ShapeRule<P>;
  /** Its result's array comes from `target` (`target.array(out.dtype, size)` or `target.zeros(…)`). */
  impl(inputs: readonly Tensor[], params: P, out: AbstractValue, target: OutputTarget): Tensor;
  readonly vjp: readonly VjpRule<P>[];
  readonly jvp: readonly JvpRule<P>[];
  readonly batch: BatchRule<P>;
  readonly elementwise?: ElementwiseRole;
  readonly reduction?: ReductionRole<P>;
}

/** A primitive of the library: one that knows its output's shape before it runs. */
export interface ShapedPrimitive<P = unknown> extends Primitive<P> {
  readonly shape: ShapeRule<P>;
}

/** Defines a primitive from its shape rule, kernel call and derivative rules. */
export function definePrimitive<P>(def: PrimitiveDefinition<P>): ShapedPrimitive<P> {
  const { shape, impl } = def;
  return {
    ...def,
    impl: (inputs, params, target = FRESH_OUTPUT, out = shape(inputs, params)) => impl(inputs, params, out, target),
    retainsNothing: true,
  };
}
