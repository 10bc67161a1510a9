// What a primitive is: its kernel call and, per input, its derivative rules. The interpreters
// only ever call `impl`, `jvp[i]` and `vjp[i]`; they never name a primitive.
import type { Tensor } from './tensor.js';

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
 * One primitive operation. `impl` runs on untraced tensors (it calls the backend); the rules
 * are written with differentiable tensor operations, so derivatives of derivatives work.
 */
export interface Primitive<P = unknown> {
  readonly name: string;
  impl(inputs: readonly Tensor[], params: P): Tensor;
  /** One rule per input. */
  readonly vjp: readonly VjpRule<P>[];
  readonly jvp: readonly JvpRule<P>[];
  /** The output is a constant for every input (comparisons): no derivative is ever recorded. */
  readonly nonDifferentiable?: boolean;
}

/** Defines a primitive; a typed identity that keeps `P` attached to the rules. */
export function definePrimitive<P>(prim: Primitive<P>): Primitive<P> {
  return prim;
}
