// User-defined operations with their own derivative rules. A custom op becomes a primitive
// like any built-in one, so it works in both modes, under vmap and under any nesting.
import { ArgumentError, ShapeError, formatShape } from '../errors.js';
import { bind } from '../core/trace.js';
import type { BatchRule, JvpRule, Primitive, RuleContext, VjpRule } from '../core/primitive.js';
import { Tensor } from '../core/tensor.js';
import { describe, expectFunction, expectOptions } from '../arguments.js';
import { shapesEqual } from '../shape.js';
import { grad } from './transforms.js';
import { zeros } from '../creation.js';
import { vmapCall } from './vmap.js';

/** What `customOp` needs: a forward function and its VJP (and optionally its JVP), in tensor ops. */
export interface CustomOpDefinition {
  /** A name for errors and graph exports. */
  name?: string;
  /** The forward computation on untraced tensors. */
  forward: (...inputs: Tensor[]) => Tensor;
  /**
   * Cotangents of the inputs (null for an input that has no derivative) from the output
   * cotangent `g`; written with tensor operations and linear in `g`.
   */
  vjp: (g: Tensor, inputs: readonly Tensor[], out: Tensor) => readonly (Tensor | null)[];
  /**
   * Optional: the output tangent from the input tangents (linear in them; null tangents are
   * zero). Without it, forward mode derives J·t from `vjp` by transposing it: J·t is the gradient
   * with respect to u of ⟨vjp(u), t⟩.
   */
  jvp?: (tangents: readonly (Tensor | null)[], inputs: readonly Tensor[], out: Tensor) => Tensor;
}

/**
 * Defines an operation with its own derivative rules.
 *
 * @example
 * const clippedIdentity = customOp({
 *   forward: (x) => x,
 *   vjp: (g) => [g.clamp(-1, 1)],
 * });
 */
export function customOp(definition: CustomOpDefinition): (...inputs: Tensor[]) => Tensor {
  const given = expectOptions('customOp', definition);
  if (given.name !== undefined && (typeof given.name !== 'string' || given.name === '')) {
    throw new ArgumentError(`customOp: the name must be a non-empty string, got ${describe(given.name)}`);
  }
  const def: CustomOpDefinition = {
    forward: expectFunction('customOp', 'forward', given.forward),
    vjp: expectFunction('customOp', 'vjp', given.vjp),
    ...(given.jvp === undefined ? {} : { jvp: expectFunction('customOp', 'jvp', given.jvp) }),
  };
  const name = given.name ?? 'customOp';
  const arities = new Map<number, ReturnType<typeof makePrimitive>>();
  return (...inputs: Tensor[]) => {
    inputs.forEach((x, i) => {
      if (!(x instanceof Tensor)) throw new ArgumentError(`${name}: expected a Tensor for input ${i}, got ${describe(x)}`);
    });
    let prim = arities.get(inputs.length);
    if (!prim) arities.set(inputs.length, (prim = makePrimitive(name, def, inputs.length)));
    return bind(prim, inputs, undefined);
  };
}

function makePrimitive(name: string, def: CustomOpDefinition, arity: number) {
  // The backward walk asks for each input's cotangent separately with the same g and context;
  // the user's rule computes all of them at once, so its last answer is reused.
  let last: { g: Tensor; ctx: RuleContext<undefined>; cts: readonly (Tensor | null)[] } | null = null;
  const userCotangents = (g: Tensor, ctx: RuleContext<undefined>): readonly (Tensor | null)[] => {
    if (last === null || last.g !== g || last.ctx !== ctx) last = { g, ctx, cts: def.vjp(g, ctx.inputs, ctx.out) };
    return last.cts;
  };
  const userVjp = (g: Tensor, ctx: RuleContext<undefined>, i: number): Tensor => {
    const cts = userCotangents(g, ctx);
    if (!Array.isArray(cts) || cts.length !== arity) {
      throw new ArgumentError(`${name}: vjp must return an array of ${arity} cotangents, got ${describe(cts)}`);
    }
    const ct = cts[i] ?? zeros(ctx.inputs[i]!.shape, { dtype: ctx.inputs[i]!.dtype });
    if (!(ct instanceof Tensor) || !shapesEqual(ct.shape, ctx.inputs[i]!.shape)) {
      throw new ShapeError(
        `${name}: vjp returned a cotangent of shape ${ct instanceof Tensor ? formatShape(ct.shape) : describe(ct)} for input ${i} of shape ${formatShape(ctx.inputs[i]!.shape)}`,
      );
    }
    return ct.astype(ctx.inputs[i]!.dtype);
  };
  const vjp: VjpRule<undefined>[] = Array.from({ length: arity }, (_, i) => (g, ctx) => userVjp(g, ctx, i));
  const jvp: JvpRule<undefined>[] = Array.from({ length: arity }, (_, i) => (dx, ctx) => {
    if (def.jvp) {
      const tangents = ctx.inputs.map((_, j) => (j === i ? dx : null));
      const out = def.jvp(tangents, ctx.inputs, ctx.out);
      if (!(out instanceof Tensor) || !shapesEqual(out.shape, ctx.out.shape)) {
        throw new ShapeError(`${name}: jvp must return a tensor of the output's shape ${formatShape(ctx.out.shape)}`);
      }
      return out.astype(ctx.out.dtype);
    }
    // J_i·dx = ∇_u ⟨vjp_i(u), dx⟩ because vjp_i is linear in u; any u works, zeros is cheapest.
    return grad((u: Tensor) => userVjp(u, ctx, i).mul(dx).sum())(zeros(ctx.out.shape, { dtype: ctx.out.dtype }));
  });
  // Batched, a custom op is another custom op of the same arity: its forward function and
  // rules are the user's, vmapped over a leading batch axis of every input.
  let batched: Primitive<undefined> | null = null;
  const batch: BatchRule<undefined> = (inputs, axes, _params, size) => {
    batched ??= makePrimitive(name, batchedDefinition(def), arity);
    const leading = inputs.map((x, i) => {
      const a = axes[i];
      return a === null || a === undefined ? x.broadcastTo([size, ...x.shape]) : x.movedim(a, 0);
    });
    return [bind(batched, leading, undefined), 0];
  };
  // A user's forward function has no shape rule: its output is known only once it has run.
  const prim: Primitive<undefined> = {
    name,
    impl: (inputs) => {
      const out = def.forward(...inputs);
      if (!(out instanceof Tensor)) throw new ArgumentError(`${name}: forward must return a Tensor, got ${describe(out)}`);
      return out;
    },
    vjp,
    jvp,
    batch,
  };
  return prim;
}

/** The user's definition applied to every example along axis 0 of all inputs (and of g, out). */
function batchedDefinition(def: CustomOpDefinition): CustomOpDefinition {
  const each = (f: (...xs: Tensor[]) => Tensor | readonly Tensor[], xs: readonly Tensor[]) => vmapCall('customOp', f, xs, 0, 0);
  const forward = (...inputs: Tensor[]) => each((...xs) => def.forward(...xs), inputs) as Tensor;
  // A null cotangent (no derivative) is zeros, so that every example returns a tensor.
  const vjp = (g: Tensor, inputs: readonly Tensor[], out: Tensor) =>
    each(
      (gi, oi, ...xs) => def.vjp(gi!, xs, oi!).map((ct, i) => ct ?? zeros(xs[i]!.shape, { dtype: xs[i]!.dtype })),
      [g, out, ...inputs],
    ) as Tensor[];
  const userJvp = def.jvp;
  if (userJvp === undefined) return { forward, vjp };
  // Which tangents are null is the same for every example; only the others are mapped over.
  const jvp = (tangents: readonly (Tensor | null)[], inputs: readonly Tensor[], out: Tensor) => {
    const given = tangents.flatMap((t) => (t === null ? [] : [t]));
    return each(
      (oi, ...rest) => {
        const xs = rest.slice(0, inputs.length);
        let k = inputs.length;
        const ts = tangents.map((t) => (t === null ? null : rest[k++]!));
        return userJvp(ts, xs, oi!);
      },
      [out, ...inputs, ...given],
    ) as Tensor;
  };
  return { forward, vjp, jvp };
}
