// User-defined operations with their own derivative rules. A custom op becomes a primitive
// like any built-in one, so it works in both modes, under vmap and under any nesting. The user
// writes it over pytrees; the primitive sees only the tensor leaves, and a tree-valued result
// travels as one flat tensor (its leaves concatenated) that is split again outside, so the
// engine's one-output primitives need no special case.
import { ArgumentError, ShapeError, formatShape } from '../errors.js';
import { bind } from '../core/trace.js';
import type { BatchRule, JvpRule, Primitive, RuleContext, VjpRule } from '../core/primitive.js';
import { Tensor } from '../core/tensor.js';
import { describe, expectFunction, expectOptions } from '../arguments.js';
import { shapesEqual, shapeSize } from '../shape.js';
import type { DType } from '../dtype.js';
import { expectSameStructure, flattenNamed, unflattenAs, type MapLeaves, type PyTree, type PyTreeLeaf, type TreeDef } from '../tree.js';
import { grad } from './transforms.js';
import { zeros } from '../creation.js';
import { concat } from '../ops/layout.js';
import { vmapCall } from './vmap.js';

/**
 * A tangent or cotangent of a value of type `T` in a custom op's rules: a tree of `T`'s
 * structure whose leaves are tensors or `null` (zero), or `null` for all of it.
 */
export type CustomTangent<T> = MapLeaves<T, Tensor | null> | null;

/** One {@link CustomTangent} per argument of a custom op. */
export type CustomTangents<A extends readonly PyTree[]> = { readonly [K in keyof A]: CustomTangent<A[K]> };

/**
 * What `customOp` needs: a forward function and its VJP (and optionally its JVP), in tensor
 * ops. The arguments and the result may be pytrees (nested arrays and plain objects) of
 * tensors; numbers and `null` in the arguments are passed through and not differentiated.
 */
export interface CustomOpDefinition<A extends readonly PyTree[] = Tensor[], R extends PyTree = Tensor> {
  /** A name for errors and graph exports. */
  name?: string;
  /**
   * The forward computation on untraced tensors. It returns a tensor, or a pytree whose leaves
   * are tensors of one dtype (or `null`).
   */
  forward: (...inputs: A) => R;
  /**
   * One cotangent per argument, from the output cotangent `g` (a tree of the output's
   * structure): a tensor for a tensor argument, a tree of the argument's structure for a tree
   * argument (`null` leaves are zero), or `null` for an argument without a derivative. Written
   * with tensor operations and linear in `g`. (A plain array type is accepted too; its length
   * is checked when the rule runs.)
   */
  vjp: (g: R, inputs: A, out: R) => CustomTangents<A> | readonly CustomTangent<A[number]>[];
  /**
   * Optional: the output tangent (a tree of the output's structure; `null`, whole or at a
   * leaf, is zero) from the tangents of the arguments (each of its argument's structure, `null`
   * for zero). Linear in the tangents.
   * Without it, forward mode derives J·t from `vjp` by transposing it: J·t is the gradient
   * with respect to u of ⟨vjp(u), t⟩.
   */
  jvp?: (tangents: CustomTangents<A>, inputs: A, out: R) => CustomTangent<R>;
}

/** What one application's forward pass produced, known once it has run: how to split its flat result. */
interface OutputLayout {
  /** null: the forward returned a lone tensor, passed through unpacked. */
  readonly def: TreeDef | null;
  /** Per output leaf: its shape, or null for a `null` leaf. */
  readonly shapes: readonly (readonly number[] | null)[];
  readonly dtype: DType;
}

/**
 * The params of one application: the forward pass writes its layout here and the rules read
 * it, so each application (and each jit replay of it) splits its own result. Its field is
 * not enumerable, so a printed program shows the op without it.
 */
class Application {
  declare layout: OutputLayout | null;
  constructor() {
    Object.defineProperty(this, 'layout', { value: null, writable: true, enumerable: false });
  }
}

/** The definition over the tensor leaves: what the primitive runs. */
interface LeafRules {
  forward(app: Application, ...inputs: Tensor[]): Tensor;
  vjp(app: Application, g: Tensor, inputs: readonly Tensor[], out: Tensor): readonly (Tensor | null)[];
  jvp?(app: Application, tangents: readonly (Tensor | null)[], inputs: readonly Tensor[], out: Tensor): Tensor;
}

/**
 * Defines an operation with its own derivative rules, over tensors or pytrees of tensors.
 *
 * @example
 * const clippedIdentity = customOp({
 *   forward: (x) => x,
 *   vjp: (g) => [g.clamp(-1, 1)],
 * });
 * // Trees in and out: { y, z } from [a, b], with a cotangent per argument.
 * const pair = customOp({
 *   forward: ([a, b]: Tensor[]) => ({ y: a.mul(b), z: a.sin() }),
 *   vjp: (g, [[a, b]]) => [[g.y.mul(b).add(g.z.mul(a.cos())), g.y.mul(a)]],
 * });
 */
export function customOp<A extends readonly PyTree[] = Tensor[], R extends PyTree = Tensor>(
  definition: CustomOpDefinition<A, R>,
): (...inputs: A) => R {
  const given = expectOptions('customOp', definition);
  if (given.name !== undefined && (typeof given.name !== 'string' || given.name === '')) {
    throw new ArgumentError(`customOp: the name must be a non-empty string, got ${describe(given.name)}`);
  }
  const forward = expectFunction('customOp', 'forward', given.forward) as unknown as (...inputs: PyTree[]) => PyTree;
  const vjp = expectFunction('customOp', 'vjp', given.vjp) as unknown as (g: PyTree, inputs: PyTree[], out: PyTree) => unknown;
  const jvp =
    given.jvp === undefined
      ? undefined
      : (expectFunction('customOp', 'jvp', given.jvp) as unknown as (t: (PyTree | null)[], inputs: PyTree[], out: PyTree) => unknown);
  const name = given.name ?? 'customOp';
  // One primitive per argument structure (with its number and null leaves, which are static).
  const prims = new Map<string, Primitive<Application>>();
  return ((...args: PyTree[]) => {
    const perArgument = args.map((a, j) => flattenNamed<PyTreeLeaf>(name, a, `argument ${j}`));
    const leaves = perArgument.flatMap(([l]) => l);
    const tensors = leaves.filter((l): l is Tensor => l instanceof Tensor);
    const key = `${perArgument.map(([, d]) => String(d)).join(',')}|${leaves.map(leafKey).join(';')}`;
    let prim = prims.get(key);
    if (!prim) prims.set(key, (prim = makePrimitive(name, leafRules(name, { forward, vjp, jvp }, perArgument), tensors.length)));
    const app = new Application();
    const flat = bind(prim, tensors, app);
    const layout = app.layout!;
    return (layout.def === null ? flat : unpack(flat, layout)) as R;
  }) as unknown as (...inputs: A) => R;
}

/** A leaf as the primitive cache sees it: tensors are operands, numbers and null are part of the key. */
const leafKey = (l: PyTreeLeaf): string => (l instanceof Tensor ? '*' : l === null ? 'null' : Object.is(l, -0) ? '-0' : String(l));

const shapeText = (x: unknown): string => (x instanceof Tensor ? `shape ${formatShape(x.shape)}` : describe(x));

/** The flat result split into the output tree (each leaf a slice reshaped). */
function unpack(flat: Tensor, layout: OutputLayout): PyTree {
  let at = 0;
  const leaves = layout.shapes.map((shape) => {
    if (shape === null) return null;
    const n = shapeSize(shape);
    const leaf = flat.slice(0, at, at + n).reshape(shape);
    at += n;
    return leaf;
  });
  return unflattenAs(layout.def!, leaves);
}

/** The tree-level definition as rules over the tensor leaves of arguments flattened as `perArgument`. */
function leafRules(
  name: string,
  user: {
    forward: (...inputs: PyTree[]) => PyTree;
    vjp: (g: PyTree, inputs: PyTree[], out: PyTree) => unknown;
    jvp: ((t: (PyTree | null)[], inputs: PyTree[], out: PyTree) => unknown) | undefined;
  },
  perArgument: readonly (readonly [PyTreeLeaf[], TreeDef])[],
): LeafRules {
  // The arguments rebuilt from tensor leaves, numbers and nulls staying where they were (or,
  // for tangents, null: a constant has none).
  const argumentsOf = (tensors: readonly (Tensor | null)[], constants: 'kept' | 'null' = 'kept'): PyTree[] => {
    let k = 0;
    return perArgument.map(([leaves, def]) =>
      unflattenAs(
        def,
        leaves.map((l) => (l instanceof Tensor ? tensors[k++]! : constants === 'kept' ? l : null)),
      ),
    );
  };
  const outputOf = (app: Application, flat: Tensor): PyTree => (app.layout!.def === null ? flat : unpack(flat, app.layout!));
  return {
    forward(app, ...inputs) {
      const out = user.forward(...argumentsOf(inputs));
      if (out instanceof Tensor) {
        app.layout = { def: null, shapes: [out.shape], dtype: out.dtype };
        return out;
      }
      const [leaves, def] = flattenNamed<PyTreeLeaf>(name, out, "forward's result");
      const tensors = leaves.filter((l): l is Tensor => l instanceof Tensor);
      if (tensors.length === 0)
        throw new ArgumentError(`${name}: forward must return a tensor or a pytree holding one, got ${describe(out)}`);
      const dtype = tensors[0]!.dtype;
      leaves.forEach((l, i) => {
        if (l !== null && !(l instanceof Tensor))
          throw new ArgumentError(`${name}: forward's result may hold tensors and null only; leaf ${i} is ${describe(l)}`);
        if (l instanceof Tensor && l.dtype !== dtype)
          throw new ArgumentError(
            `${name}: forward's result leaves must share one dtype; leaf ${i} is ${l.dtype}, an earlier one ${dtype}`,
          );
      });
      app.layout = { def, shapes: leaves.map((l) => (l instanceof Tensor ? l.shape : null)), dtype };
      return concat(
        tensors.map((t) => t.reshape([-1])),
        0,
      );
    },
    vjp(app, g, inputs, out) {
      const cts = user.vjp(outputOf(app, g), argumentsOf(inputs), outputOf(app, out));
      if (!Array.isArray(cts) || cts.length !== perArgument.length)
        throw new ArgumentError(`${name}: vjp must return an array of ${perArgument.length} cotangents, got ${describe(cts)}`);
      return perArgument.flatMap(([leaves, def], j) => {
        const positions = leaves.flatMap((l, i) => (l instanceof Tensor ? [i] : []));
        const ct: unknown = cts[j];
        if (ct === null || ct === undefined) return positions.map(() => null);
        const [got, gotDef] = flattenNamed<PyTreeLeaf>(name, ct, `vjp's cotangent for argument ${j}`);
        expectSameStructure(name, def, gotDef, [`argument ${j}`, `vjp's cotangent for argument ${j}`]);
        return positions.map((i) => {
          const c = got[i];
          if (c === null || c instanceof Tensor) return c;
          throw new ArgumentError(`${name}: vjp's cotangent for argument ${j} must hold a tensor or null at leaf ${i}, got ${describe(c)}`);
        });
      });
    },
    ...(user.jvp === undefined
      ? {}
      : {
          jvp(app: Application, tangents: readonly (Tensor | null)[], inputs: readonly Tensor[], out: Tensor): Tensor {
            const result = user.jvp!(argumentsOf(tangents, 'null'), argumentsOf(inputs), outputOf(app, out));
            return packTangent(name, app.layout!, result);
          },
        }),
  };
}

/** A user's output tangent (a tree of the output's structure, null leaves zero) as one flat tensor. */
function packTangent(name: string, layout: OutputLayout, result: unknown): Tensor {
  const what = "jvp's result";
  if (result === null)
    return zeros([layout.shapes.reduce<number>((n, sh) => n + (sh === null ? 0 : shapeSize(sh)), 0)], { dtype: layout.dtype });
  if (layout.def === null) {
    if (!(result instanceof Tensor) || !shapesEqual(result.shape, layout.shapes[0]!))
      throw new ShapeError(
        `${name}: jvp must return a tensor of the output's shape ${formatShape(layout.shapes[0]!)}, got ${shapeText(result)}`,
      );
    return result.astype(layout.dtype);
  }
  const [leaves, def] = flattenNamed<PyTreeLeaf>(name, result, what);
  expectSameStructure(name, layout.def, def, ["forward's result", what]);
  const parts: Tensor[] = [];
  leaves.forEach((l, i) => {
    const shape = layout.shapes[i]!;
    if (shape === null) return;
    if (l === null) parts.push(zeros([shapeSize(shape)], { dtype: layout.dtype }));
    else if (l instanceof Tensor && shapesEqual(l.shape, shape)) parts.push(l.astype(layout.dtype).reshape([-1]));
    else throw new ShapeError(`${name}: ${what} leaf ${i} must be a tensor of shape ${formatShape(shape)}, got ${shapeText(l)}`);
  });
  return concat(parts, 0);
}

function makePrimitive(name: string, def: LeafRules, arity: number): Primitive<Application> {
  // The backward walk asks for each input's cotangent separately with the same g and context;
  // the user's rule computes all of them at once, so its last answer is reused.
  let last: { g: Tensor; ctx: RuleContext<Application>; cts: readonly (Tensor | null)[] } | null = null;
  const userCotangents = (g: Tensor, ctx: RuleContext<Application>): readonly (Tensor | null)[] => {
    if (last === null || last.g !== g || last.ctx !== ctx) last = { g, ctx, cts: def.vjp(ctx.params, g, ctx.inputs, ctx.out) };
    return last.cts;
  };
  const userVjp = (g: Tensor, ctx: RuleContext<Application>, i: number): Tensor => {
    const ct = userCotangents(g, ctx)[i] ?? zeros(ctx.inputs[i]!.shape, { dtype: ctx.inputs[i]!.dtype });
    if (!shapesEqual(ct.shape, ctx.inputs[i]!.shape)) {
      throw new ShapeError(
        `${name}: vjp returned a cotangent of shape ${formatShape(ct.shape)} for input ${i} of shape ${formatShape(ctx.inputs[i]!.shape)}`,
      );
    }
    return ct.astype(ctx.inputs[i]!.dtype);
  };
  const vjp: VjpRule<Application>[] = Array.from({ length: arity }, (_, i) => (g, ctx) => userVjp(g, ctx, i));
  const jvp: JvpRule<Application>[] = Array.from({ length: arity }, (_, i) => (dx, ctx) => {
    if (def.jvp) {
      const tangents = ctx.inputs.map((_, j) => (j === i ? dx : null));
      return def.jvp(ctx.params, tangents, ctx.inputs, ctx.out);
    }
    // J_i·dx = ∇_u ⟨vjp_i(u), dx⟩ because vjp_i is linear in u; any u works, zeros is cheapest.
    return grad((u: Tensor) => userVjp(u, ctx, i).mul(dx).sum())(zeros(ctx.out.shape, { dtype: ctx.out.dtype }));
  });
  // Batched, a custom op is another custom op of the same arity: its forward function and
  // rules are the user's, vmapped over a leading batch axis of every input.
  let batched: Primitive<Application> | null = null;
  const batch: BatchRule<Application> = (inputs, axes, app, size) => {
    batched ??= makePrimitive(name, batchedRules(def), arity);
    const leading = inputs.map((x, i) => {
      const a = axes[i];
      return a === null || a === undefined ? x.broadcastTo([size, ...x.shape]) : x.movedim(a, 0);
    });
    return [bind(batched, leading, app), 0];
  };
  // A user's forward function has no shape rule: its output is known only once it has run.
  return { name, impl: (inputs, app) => def.forward(app, ...inputs), vjp, jvp, batch };
}

/** The rules applied to every example along axis 0 of all inputs (and of g, out). */
function batchedRules(def: LeafRules): LeafRules {
  const each = (f: (...xs: Tensor[]) => Tensor | readonly Tensor[], xs: readonly Tensor[]) => vmapCall('customOp', f, xs, 0, 0);
  const forward = (app: Application, ...inputs: Tensor[]) => each((...xs) => def.forward(app, ...xs), inputs) as Tensor;
  // A null cotangent (no derivative) is zeros, so that every example returns a tensor.
  const vjp = (app: Application, g: Tensor, inputs: readonly Tensor[], out: Tensor) =>
    each(
      (gi, oi, ...xs) => def.vjp(app, gi!, xs, oi!).map((ct, i) => ct ?? zeros(xs[i]!.shape, { dtype: xs[i]!.dtype })),
      [g, out, ...inputs],
    ) as Tensor[];
  const userJvp = def.jvp;
  if (userJvp === undefined) return { forward, vjp };
  // Which tangents are null is the same for every example; only the others are mapped over.
  const jvp = (app: Application, tangents: readonly (Tensor | null)[], inputs: readonly Tensor[], out: Tensor) => {
    const given = tangents.flatMap((t) => (t === null ? [] : [t]));
    return each(
      (oi, ...rest) => {
        const xs = rest.slice(0, inputs.length);
        let k = inputs.length;
        const ts = tangents.map((t) => (t === null ? null : rest[k++]!));
        return userJvp(app, ts, xs, oi!);
      },
      [out, ...inputs, ...given],
    ) as Tensor;
  };
  return { forward, vjp, jvp };
}
