// The functional transforms, JAX style. vjp and jvp open a fresh interpreter level; grad,
// valueAndGrad are written with vjp; jacfwd, jacrev, jacobian and hessian with vmap of jvp or vjp.
import { ArgumentError, NonScalarOutputError, NotDifferentiableError, ShapeError, TraceError, formatShape } from '../errors.js';
import { closeLevel, frozen, newNode, openLevel } from '../core/trace.js';
import { Tensor, fromArray } from '../core/tensor.js';
import { allocate, isFloating } from '../dtype.js';
import { describe, expectBoolean, expectFunction, expectInteger, expectOptions } from '../arguments.js';
import { scalarTensor, toTensor, type TensorLike } from '../ops/operand.js';
import { shapeSize, shapesEqual } from '../shape.js';
import { backpropMany } from './backprop.js';
import type { Node } from '../core/tensor.js';
import { vmapCall } from './vmap.js';
import { eye } from '../creation.js';
import { concat } from '../ops/layout.js';
import { type PyTree, type PyTreeLeaf, type TreeDef, expectSameStructure, flattenAs, flattenNamed, placeIn, unflattenAs } from '../tree.js';

/** A function of tensors that returns a tensor: what every transform takes. */
export type TensorFunction = (...args: Tensor[]) => Tensor;

function asTensor(op: string, x: unknown, i: number): Tensor {
  return toTensor(op, `argument ${i}`, x, 'float32');
}

/**
 * Checks that argument `i` of a transform can carry a derivative: int32 and bool tensors are
 * constants (pass them to the function through a closure, or `argnums` that leave them out).
 */
function expectDifferentiable(op: string, x: Tensor, i: number): Tensor {
  if (isFloating(x.dtype)) return x;
  throw new NotDifferentiableError(
    `${op}: argument ${i} has dtype ${x.dtype}; only float32 and float64 tensors can be differentiated (leave it out of argnums, or astype('float32'))`,
  );
}

function checkResult(op: string, out: unknown): Tensor {
  if (!(out instanceof Tensor)) throw new TraceError(`${op}: the function must return a Tensor, got ${describe(out)}`);
  return out;
}

/** A top-level argument of a transform: where `f` takes a Tensor, a number may be given. */
export type PrimalArg<T> = T extends Tensor ? TensorLike : T;
/** The arguments of a transformed function: `f`'s, with numbers allowed for its tensors. */
export type PrimalArgs<A extends readonly unknown[]> = { [K in keyof A]: PrimalArg<A[K]> };
/**
 * The derivative of a pytree type: a Tensor for each tensor leaf, `null` for each number and
 * `null` leaf (they are not differentiated), in the same arrays and objects.
 */
export type Gradient<T, D extends unknown[] = []> = D['length'] extends 10
  ? PyTree
  : T extends Tensor
    ? Tensor
    : T extends number | null
      ? null
      : { -readonly [K in keyof T]: Gradient<T[K], [...D, 0]> };
/** The gradient of one top-level argument: a number argument is a tensor, so its gradient too. */
export type ArgGradient<T> = T extends number ? Tensor : Gradient<T>;
/**
 * What a transformed function takes: `f`'s arguments (numbers allowed for tensors); when `f`
 * takes only tensors, any list of tensors and numbers, as before pytrees (so that an array of
 * tensors spreads into it: `step(...params)`).
 */
export type CallArgs<A extends readonly unknown[]> = PrimalArgs<A> | (A extends readonly Tensor[] ? TensorLike[] : never);
/** The gradients of a list of top-level arguments. */
export type ArgGradients<A extends readonly unknown[]> = { -readonly [K in keyof A]: ArgGradient<A[K]> };

/**
 * The arguments of a transform as pytrees: the float tensor leaves that get a derivative
 * (`inputs`), in order over all arguments, and how to put values back in their places.
 * Numbers and `null` inside a tree are constants; an int32 or bool tensor leaf is an error
 * (it has no derivative); a top-level number becomes a float32 tensor, as it always has.
 */
interface TreeArguments {
  readonly inputs: Tensor[];
  /** Per argument: its structure, and for each of its leaves the index in `inputs` or -1. */
  readonly args: readonly { readonly def: TreeDef; readonly leaves: readonly PyTreeLeaf[]; readonly slots: readonly number[] }[];
  /** The arguments with `values[k]` in place of input k and the constants as they were. */
  rebuild(values: readonly Tensor[]): PyTree[];
  /** Trees shaped like the arguments, `values[k]` for input k and null at every constant. */
  shaped(values: readonly Tensor[]): PyTree[];
}

/** Prepares `given` (the arguments numbered `labels`, for messages) for differentiation. */
function treeArguments(op: string, given: readonly unknown[], labels: readonly number[]): TreeArguments {
  const inputs: Tensor[] = [];
  const args = given.map((arg, i) => {
    const what = `argument ${labels[i]}`;
    const paths: string[] = [];
    const [leaves, def] = flattenNamed(op, typeof arg === 'number' ? asTensor(op, arg, labels[i]!) : arg, what, paths);
    const slots = leaves.map((leaf, j) => {
      if (!(leaf instanceof Tensor)) return -1;
      if (!isFloating(leaf.dtype)) {
        throw new NotDifferentiableError(
          `${op}: ${placeIn(what, paths[j]!)} has dtype ${leaf.dtype}; only float32 and float64 tensors can be differentiated (leave it out of argnums, or astype('float32'))`,
        );
      }
      inputs.push(leaf);
      return inputs.length - 1;
    });
    return { def, leaves, slots };
  });
  const put = (values: readonly Tensor[], constant: (leaf: PyTreeLeaf) => PyTreeLeaf) =>
    args.map(({ def, leaves, slots }) =>
      unflattenAs(
        def,
        slots.map((k, j) => (k < 0 ? constant(leaves[j]!) : values[k]!)),
      ),
    );
  return { inputs, args, rebuild: (values) => put(values, (leaf) => leaf), shaped: (values) => put(values, () => null) };
}

/** The output of a transformed function as a tree; anything else is a TraceError. */
function outputTree(op: string, out: unknown): [PyTreeLeaf[], TreeDef] {
  try {
    return flattenNamed(op, out, 'the output');
  } catch (e) {
    if (e instanceof ArgumentError) throw new TraceError(`${e.message} (the function must return a Tensor or a pytree of tensors)`);
    throw e;
  }
}

/** Reverse mode on flat inputs: the output tree of `f`, and the pullback of one cotangent per output leaf. */
interface Reverse {
  /** The output leaves as values (each tensor without this level's trace). */
  readonly outLeaves: readonly PyTreeLeaf[];
  readonly outDef: TreeDef;
  /** Input cotangents from output-leaf cotangents (null: zero). */
  pull(cotangents: readonly (Tensor | null)[]): Tensor[];
  /** `x` with every tensor leaf's trace at this level removed (a non-tree `x` as it is). */
  lower(x: unknown): unknown;
}

function reverse(op: string, f: (...vars: Tensor[]) => unknown, inputs: readonly Tensor[]): Reverse {
  const level = openLevel('reverse');
  let out: unknown;
  const leaves = inputs.map((x) => {
    const p = frozen(x);
    const node = newNode(level, null, undefined, p, [], null);
    return { node, tracer: new Tensor(p._view, { kind: 'reverse', level, primal: p, node }) };
  });
  try {
    out = f(...leaves.map((l) => l.tracer));
  } finally {
    closeLevel(level);
  }
  const [outs, outDef] = outputTree(op, out);
  const traces = outs.map((o) => {
    const trace = o instanceof Tensor ? o._trace : null;
    return trace !== null && trace.level === level && trace.kind === 'reverse' ? trace : null;
  });
  const outLeaves = outs.map((o, i) => traces[i]?.primal ?? o);
  const zerosFor = (p: Tensor) => fromArray(allocate(p.dtype, p.size), p.shape, p.dtype);
  const pull = (cotangents: readonly (Tensor | null)[]): Tensor[] => {
    const seeds = new Map<Node, Tensor>();
    cotangents.forEach((g, i) => {
      const trace = traces[i];
      if (g === null || trace === null || trace === undefined) return;
      // The same tensor returned twice gets the sum of its cotangents.
      const previous = seeds.get(trace.node);
      seeds.set(trace.node, previous === undefined ? g : previous.add(g));
    });
    if (seeds.size === 0) return inputs.map(zerosFor);
    const cts = backpropMany(seeds, { recordBackward: false, release: false, caller: op });
    return leaves.map((l, i) => cts.get(l.node) ?? zerosFor(inputs[i]!));
  };
  // A value that came out of `f` by another way (hasAux's aux): its tensors lose this level's trace.
  const lower = (x: unknown): unknown => {
    let flat: [PyTreeLeaf[], TreeDef];
    try {
      flat = flattenAs(op, x);
    } catch (e) {
      // Not a pytree (a string, a Map, ...): it is passed through as it is, as JAX passes aux.
      if (e instanceof ArgumentError) return x;
      throw e;
    }
    const lowered = flat[0].map((l) => {
      const trace = l instanceof Tensor ? l._trace : null;
      return trace !== null && trace.level === level && trace.kind === 'reverse' ? trace.primal : l;
    });
    return unflattenAs(flat[1], lowered);
  };
  return { outLeaves, outDef, pull, lower };
}

/** The cotangent tree of `pullback`, checked against the output and flattened (null: zero). */
function cotangentLeaves(op: string, r: Reverse, cotangent: unknown): (Tensor | null)[] {
  const [cts, def] = flattenNamed(op, cotangent, 'the cotangent');
  expectSameStructure(op, r.outDef, def, ['the output', 'the cotangent']);
  return cts.map((g, i) => {
    const out = r.outLeaves[i]!;
    if (g === null) return null;
    if (out instanceof Tensor) return cotangentFor(op, out, g);
    if (typeof g === 'number') return null;
    throw new ArgumentError(`${op}: leaf ${i} of the output is ${describe(out)}, a constant: its cotangent must be null or a number`);
  });
}

/**
 * Evaluates `f` at `primals` and returns its value with the pullback v ↦ vᵀJ, which maps a
 * cotangent shaped like the output to one cotangent per primal, shaped like it.
 *
 * Primals and the output may be pytrees (nested arrays and plain objects of tensors): the
 * float tensor leaves are differentiated, number and `null` leaves are constants (their
 * cotangent is `null`). A cotangent leaf may be `null` for zero, or a number for a
 * one-element tensor.
 *
 * @example
 * const [y, pullback] = vjp((x) => x.mul(x), tensor([1, 2]));
 * pullback(tensor([1, 1]))[0].toArray(); // [2, 4]
 * const [, pb] = vjp((p) => ({ s: p.w.sum() }), { w: tensor([1, 2]) });
 * pb({ s: 1 })[0].w.toArray(); // [1, 1]
 */
export function vjp(f: TensorFunction, ...primals: TensorLike[]): [Tensor, (cotangent: TensorLike) => Tensor[]];
export function vjp<A extends PyTree[] = Tensor[], R extends PyTree = Tensor>(
  f: (...args: A) => R,
  ...primals: CallArgs<A>
): [R, (cotangent: PyTree) => ArgGradients<A>];
export function vjp(f: (...args: never[]) => unknown, ...primals: unknown[]): unknown {
  expectFunction('vjp', 'f', f);
  const args = treeArguments(
    'vjp',
    primals,
    primals.map((_, i) => i),
  );
  const call = f as (...args: PyTree[]) => unknown;
  const r = reverse('vjp', (...vars) => call(...args.rebuild(vars)), args.inputs);
  const pullback = (cotangent: PyTree) => args.shaped(r.pull(cotangentLeaves('vjp', r, cotangent)));
  return [unflattenAs(r.outDef, r.outLeaves), pullback];
}

/** vjp of a function of tensors to a tensor, for `jacobian`: errors name `op`. */
function vjpAs(op: string, f: TensorFunction, primals: readonly TensorLike[]): [Tensor, (cotangent: TensorLike) => Tensor[]] {
  expectFunction(op, 'f', f);
  const inputs = primals.map((x, i) => expectDifferentiable(op, asTensor(op, x, i), i));
  const r = reverse(op, (...vars) => checkResult(op, f(...vars)), inputs);
  const value = r.outLeaves[0] as Tensor;
  return [value, (cotangent) => r.pull([cotangentFor(op, value, cotangent)])];
}

function cotangentFor(op: string, out: Tensor, cotangent: unknown): Tensor {
  if (!isFloating(out.dtype))
    throw new NotDifferentiableError(`${op}: the function's output has dtype ${out.dtype}, a constant: it has no derivative to pull back`);
  if (typeof cotangent === 'number') {
    if (out.size !== 1)
      throw new ShapeError(`${op}: a number cotangent needs a one-element output, the output has shape ${formatShape(out.shape)}`);
    return scalarTensor(cotangent, out.dtype).reshape(out.shape);
  }
  if (!(cotangent instanceof Tensor))
    throw new ArgumentError(`${op}: the cotangent must be a Tensor or a number, got ${describe(cotangent)}`);
  if (!shapesEqual(cotangent.shape, out.shape)) {
    throw new ShapeError(
      `${op}: the cotangent has shape ${formatShape(cotangent.shape)}, expected the output's shape ${formatShape(out.shape)}`,
    );
  }
  return cotangent.astype(out.dtype);
}

/**
 * Evaluates `f` at `primals` and pushes `tangents` forward in the same pass:
 * returns `[f(x), J·t]` (true forward mode; no reverse sweep).
 *
 * Primals may be pytrees; each tangent must have its primal's structure (a
 * TreeStructureError names the first place where it differs), with a tensor (or a number,
 * broadcast; or `null`, zero) for each tensor leaf and `null` or a number (ignored) for each
 * constant leaf. The output may be a pytree; its tangent has its structure, with `null` at
 * number and `null` leaves.
 *
 * @example
 * const [y, dy] = jvp((x) => x.sin(), [tensor(0)], [tensor(1)]); // dy = cos 0 = 1
 */
export function jvp(f: TensorFunction, primals: readonly TensorLike[], tangents: readonly TensorLike[]): [Tensor, Tensor];
export function jvp<A extends PyTree[] = Tensor[], R extends PyTree = Tensor>(
  f: (...args: A) => R,
  primals: Readonly<CallArgs<A>>,
  tangents: readonly PyTree[],
): [R, Gradient<R>];
export function jvp(f: (...args: never[]) => unknown, primals: readonly unknown[], tangents: readonly unknown[]): [unknown, unknown] {
  return jvpTree('jvp', f as (...args: PyTree[]) => unknown, primals, tangents);
}

function jvpTree(
  op: string,
  f: (...args: PyTree[]) => unknown,
  primals: readonly unknown[],
  tangents: readonly unknown[],
): [PyTree, PyTree] {
  expectFunction(op, 'f', f);
  const ps = argumentList(op, 'primals', primals);
  const given = argumentList(op, 'tangents', tangents);
  if (ps.length !== given.length) {
    throw new ArgumentError(`${op}: ${ps.length} primals but ${given.length} tangents (expected one tangent per primal)`);
  }
  const args = treeArguments(
    op,
    ps,
    ps.map((_, i) => i),
  );
  const ts: Tensor[] = [];
  args.args.forEach(({ def, leaves, slots }, i) => {
    const what = `tangent ${i}`;
    const paths: string[] = [];
    const [tl, tdef] = flattenNamed(op, given[i], what, paths);
    expectSameStructure(op, def, tdef, [`primal ${i}`, what]);
    slots.forEach((k, j) => {
      const t = tl[j]!;
      if (k < 0) {
        if (t !== null && typeof t !== 'number') {
          throw new ArgumentError(
            `${op}: ${placeIn(what, paths[j]!)} must be null or a number: its primal is ${describe(leaves[j])}, a constant`,
          );
        }
        return;
      }
      const x = args.inputs[k]!;
      const tangent =
        t === null
          ? fromArray(allocate(x.dtype, x.size), x.shape, x.dtype)
          : typeof t === 'number'
            ? scalarTensor(t, x.dtype).broadcastTo(x.shape)
            : t;
      if (!shapesEqual(tangent.shape, x.shape)) {
        throw new ShapeError(
          `${op}: ${placeIn(what, paths[j]!)} has shape ${formatShape(tangent.shape)}, expected the primal's shape ${formatShape(x.shape)}`,
        );
      }
      ts[k] = tangent.astype(x.dtype);
    });
  });
  const level = openLevel('forward');
  let out: unknown;
  try {
    const tracers = args.inputs.map((x, k) => new Tensor(x._view, { kind: 'forward', level, primal: x, tangent: ts[k]! }));
    out = f(...args.rebuild(tracers));
  } finally {
    closeLevel(level);
  }
  const [outs, outDef] = outputTree(op, out);
  const values: PyTreeLeaf[] = [];
  const tangentsOut = outs.map((o) => {
    if (!(o instanceof Tensor)) {
      values.push(o);
      return null;
    }
    const trace = o._trace !== null && o._trace.level === level && o._trace.kind === 'forward' ? o._trace : null;
    values.push(trace === null ? o : trace.primal);
    return trace === null ? fromArray(allocate(o.dtype, o.size), o.shape, o.dtype) : trace.tangent;
  });
  return [unflattenAs(outDef, values), unflattenAs(outDef, tangentsOut)];
}

/** jvp of a function of tensors to a tensor, for `jacobian`: errors name `op`. */
function jvpAs(op: string, f: TensorFunction, primals: readonly TensorLike[], tangents: readonly TensorLike[]): [Tensor, Tensor] {
  return jvpTree(op, (...xs) => checkResult(op, f(...(xs as Tensor[]))), primals, tangents) as [Tensor, Tensor];
}

/** Which arguments `grad` and `valueAndGrad` differentiate with respect to, and whether `f` returns an auxiliary value. */
export interface GradOptions {
  /**
   * Differentiate with respect to these arguments (distinct indices; a repeated one throws);
   * the result is then an array in this order.
   */
  argnums?: readonly number[];
  /**
   * `f` returns `[loss, aux]`: differentiate `loss` and return `aux` (any value; the tensors of
   * a pytree aux come back as plain values) beside the gradient, as JAX's `has_aux`. Default false.
   */
  hasAux?: boolean;
}

/** The elements of an array argument, checked to be an array without holes. */
function argumentList(op: string, name: string, list: unknown): unknown[] {
  if (!Array.isArray(list)) throw new ArgumentError(`${op}: expected an array for ${name}, got ${describe(list)}`);
  return Array.from({ length: list.length }, (_, i) => {
    if (!(i in list)) throw new ArgumentError(`${op}: entry ${i} of ${name} is missing`);
    return list[i] as unknown;
  });
}

interface GradSettings {
  readonly argnums: number[];
  readonly many: boolean;
  readonly hasAux: boolean;
}

/**
 * The checked options of grad and valueAndGrad: the function, and `argnums` as a list of
 * distinct non-negative integers (whether each names an argument is known only at the call).
 */
function gradSettings(op: string, f: unknown, opts: GradOptions | undefined): GradSettings {
  expectFunction(op, 'f', f);
  const given = expectOptions(op, opts);
  const hasAux = expectBoolean(op, 'hasAux', given.hasAux, false);
  if (given.argnums === undefined) return { argnums: [0], many: false, hasAux };
  const argnums = argumentList(op, 'argnums', given.argnums).map((i) => expectInteger(op, 'an argnum', i, 0, Number.MAX_SAFE_INTEGER));
  const repeated = argnums.find((a, k) => argnums.indexOf(a) !== k);
  // NOTE: a repeated argnum would differentiate with respect to two copies of one argument.
  if (repeated !== undefined) throw new ArgumentError(`${op}: argnum ${repeated} is repeated in argnums`);
  return { argnums, many: true, hasAux };
}

/**
 * vjp with respect to some of the arguments only (the others are constants, passed as given;
 * a number among them becomes a tensor, as it always has). Returns the value (`[loss, aux]`
 * with hasAux) and one gradient tree per argnum.
 */
function valueAndCotangents(op: string, f: (...args: PyTree[]) => unknown, args: readonly unknown[], s: GradSettings): [unknown, PyTree[]] {
  for (const i of s.argnums) {
    if (i >= args.length) throw new ArgumentError(`${op}: argnum ${i} is out of range for a call with ${args.length} arguments`);
  }
  const all = args.map((x, i) => (typeof x === 'number' ? asTensor(op, x, i) : x)) as PyTree[];
  const picked = treeArguments(
    op,
    s.argnums.map((a) => all[a]),
    s.argnums,
  );
  const wrt = (...vars: Tensor[]) => {
    const full = [...all];
    const rebuilt = picked.rebuild(vars);
    s.argnums.forEach((a, j) => (full[a] = rebuilt[j]!));
    return f(...full);
  };
  // With hasAux only the loss is f's output to the transform; aux (any value) is carried beside it.
  let aux: unknown;
  let shape: unknown;
  const split = (out: unknown) => {
    shape = out;
    if (!s.hasAux) return out;
    // null, not a Tensor: the check below then reports the whole output.
    if (!Array.isArray(out) || out.length !== 2) return null;
    aux = out[1];
    return out[0] as unknown;
  };
  const r = reverse(op, (...vars) => split(wrt(...vars)), picked.inputs);
  const loss = r.outLeaves[0];
  if (!(loss instanceof Tensor) || String(r.outDef) !== '*') {
    throw new TraceError(
      s.hasAux
        ? `${op}: with hasAux the function must return [loss, aux] with a Tensor loss, got ${describe(shape)}`
        : `${op}: the function must return a Tensor, got ${describe(shape)}`,
    );
  }
  if (loss.size !== 1) {
    throw new NonScalarOutputError(
      `${op}: the function must return a tensor with exactly one element, got shape ${formatShape(loss.shape)}`,
    );
  }
  const value = s.hasAux ? [loss, r.lower(aux)] : loss;
  const cts = [cotangentFor(op, loss, 1)];
  return [value, picked.shaped(r.pull(cts))];
}

/**
 * The gradient of a function with one-element output, with respect to argument 0
 * (or to each of `opts.argnums`, as an array). Nest it freely: `grad(grad(f))`.
 *
 * Arguments may be pytrees: the gradient has the argument's structure, a tensor for each
 * float tensor leaf and `null` for each number or `null` leaf. With `hasAux`, `f` returns
 * `[loss, aux]` and the result is `[gradient, aux]`.
 *
 * @example
 * grad((x) => x.pow(3).sum())(tensor([2])).toArray(); // [12]
 * grad((p, x) => p.w.mul(x).add(p.b).sum())({ w: tensor([1, 2]), b: tensor(0) }, tensor([3, 4])); // { b: 2, w: [3, 4] }
 */
export function grad<A extends PyTree[] = Tensor[], X = PyTree>(
  f: (...args: A) => readonly [Tensor, X],
  opts: GradOptions & { argnums: readonly number[]; hasAux: true },
): (...args: CallArgs<A>) => [ArgGradient<A[number]>[], X];
export function grad<A extends PyTree[] = Tensor[], X = PyTree>(
  f: (...args: A) => readonly [Tensor, X],
  opts: GradOptions & { hasAux: true },
): (...args: CallArgs<A>) => [ArgGradient<A[0]>, X];
export function grad(f: TensorFunction, opts: GradOptions & { argnums: readonly number[] }): (...args: TensorLike[]) => Tensor[];
export function grad(f: TensorFunction, opts?: GradOptions): (...args: TensorLike[]) => Tensor;
export function grad<A extends PyTree[] = Tensor[]>(
  f: (...args: A) => Tensor,
  opts: GradOptions & { argnums: readonly number[] },
): (...args: CallArgs<A>) => ArgGradient<A[number]>[];
export function grad<A extends PyTree[] = Tensor[]>(
  f: (...args: A) => Tensor,
  opts?: GradOptions,
): (...args: CallArgs<A>) => ArgGradient<A[0]>;
export function grad(f: (...args: never[]) => unknown, opts?: GradOptions): unknown {
  return gradAs('grad', f, opts);
}

function gradAs(op: string, f: (...args: never[]) => unknown, opts?: GradOptions): (...args: unknown[]) => unknown {
  const s = gradSettings(op, f, opts);
  return (...args) => {
    const [value, gs] = valueAndCotangents(op, f as (...args: PyTree[]) => unknown, args, s);
    const g = s.many ? gs : gs[0]!;
    return s.hasAux ? [g, (value as PyTree[])[1]] : g;
  };
}

/** Like `grad`, but returns `[value, gradient]` from one evaluation (`[[loss, aux], gradient]` with hasAux). */
export function valueAndGrad<A extends PyTree[] = Tensor[], X = PyTree>(
  f: (...args: A) => readonly [Tensor, X],
  opts: GradOptions & { argnums: readonly number[]; hasAux: true },
): (...args: CallArgs<A>) => [[Tensor, X], ArgGradient<A[number]>[]];
export function valueAndGrad<A extends PyTree[] = Tensor[], X = PyTree>(
  f: (...args: A) => readonly [Tensor, X],
  opts: GradOptions & { hasAux: true },
): (...args: CallArgs<A>) => [[Tensor, X], ArgGradient<A[0]>];
export function valueAndGrad(
  f: TensorFunction,
  opts: GradOptions & { argnums: readonly number[] },
): (...args: TensorLike[]) => [Tensor, Tensor[]];
export function valueAndGrad(f: TensorFunction, opts?: GradOptions): (...args: TensorLike[]) => [Tensor, Tensor];
export function valueAndGrad<A extends PyTree[] = Tensor[]>(
  f: (...args: A) => Tensor,
  opts: GradOptions & { argnums: readonly number[] },
): (...args: CallArgs<A>) => [Tensor, ArgGradient<A[number]>[]];
export function valueAndGrad<A extends PyTree[] = Tensor[]>(
  f: (...args: A) => Tensor,
  opts?: GradOptions,
): (...args: CallArgs<A>) => [Tensor, ArgGradient<A[0]>];
export function valueAndGrad(f: (...args: never[]) => unknown, opts?: GradOptions): unknown {
  const s = gradSettings('valueAndGrad', f, opts);
  return (...args: unknown[]) => {
    const [value, gs] = valueAndCotangents('valueAndGrad', f as (...args: PyTree[]) => unknown, args, s);
    return [value, s.many ? gs : gs[0]!];
  };
}

/** How `jacobian` builds the Jacobian. */
export interface JacobianOptions {
  /**
   * `'reverse'` (default): `jacrev`, one batched vjp over the output's basis; `'forward'`:
   * `jacfwd`, one batched jvp over the input's basis.
   */
  mode?: 'forward' | 'reverse';
}

/**
 * The Jacobian of a function of one tensor, of shape `[...out.shape, ...in.shape]`, in one
 * batched pass (`jacrev`, or `jacfwd` with `mode: 'forward'`). It is differentiable, so
 * `jacobian(grad(f))` is a Hessian.
 *
 * @example
 * jacobian((x) => x.matmul(W))(x) // equals Wᵀ for a vector x
 */
export function jacobian(f: (x: Tensor) => Tensor, opts?: JacobianOptions): (x: TensorLike) => Tensor;
export function jacobian(f: (x: never) => PyTree, opts?: JacobianOptions): (x: PyTree) => PyTree;
export function jacobian(f: (x: never) => PyTree, opts?: JacobianOptions): (x: never) => unknown {
  expectFunction('jacobian', 'f', f);
  const mode = expectOptions('jacobian', opts).mode ?? 'reverse';
  if (mode !== 'forward' && mode !== 'reverse')
    throw new ArgumentError(`jacobian: mode must be 'forward' or 'reverse', got ${describe(mode)}`);
  return mode === 'forward' ? jacfwdAs('jacobian', f) : jacrevAs('jacobian', f);
}

/** The standard basis of `n` elements, stacked: the identity. */
function basisOf(n: number, dtype: Tensor['dtype']): Tensor {
  return eye(n, n, { dtype });
}

/** float64 if any of the dtypes is, else float32: the dtype the Jacobian's pass runs in. */
function commonFloat(dtypes: readonly Tensor['dtype'][]): 'float32' | 'float64' {
  return dtypes.includes('float64') ? 'float64' : 'float32';
}

/** What the Jacobians need of a function of a pytree: its float leaves in and out, flattened. */
interface Flattened {
  readonly inLeaves: readonly PyTreeLeaf[];
  readonly inDef: TreeDef;
  /** Positions (in inLeaves) of the float tensors: the inputs differentiated. */
  readonly wrt: readonly number[];
  /** Of each output leaf, its shape and dtype if it is a float tensor (filled by `call`). */
  outMeta: ({ shape: readonly number[]; dtype: Tensor['dtype'] } | null)[];
  outDef: TreeDef | null;
  /** f of the differentiable leaves, its float output leaves flattened and concatenated. */
  call(...ts: Tensor[]): Tensor;
}

function flattened(op: string, f: (x: never) => PyTree, x0: unknown): Flattened {
  // A lone tensor or number is the one input, differentiated (an int32 one is refused).
  const x = x0 instanceof Tensor || typeof x0 === 'number' ? expectDifferentiable(op, asTensor(op, x0, 0), 0) : x0;
  const [inLeaves, inDef] = flattenAs(op, x);
  const wrt = inLeaves.flatMap((l, i) => (l instanceof Tensor && isFloating(l.dtype) ? [i] : []));
  const state: Flattened = {
    inLeaves,
    inDef,
    wrt,
    outMeta: [],
    outDef: null,
    call: (...ts) => {
      const leaves = [...inLeaves];
      wrt.forEach((i, k) => (leaves[i] = ts[k]!));
      const out = (f as (x: PyTree) => unknown)(unflattenAs(inDef, leaves));
      if (out instanceof Tensor && !isFloating(out.dtype))
        throw new NotDifferentiableError(`${op}: the function's output has dtype ${out.dtype}, a constant: it has no Jacobian`);
      const [outLeaves, outDef] = flattenAs(op, out);
      state.outDef = outDef;
      state.outMeta = outLeaves.map((l) => (l instanceof Tensor && isFloating(l.dtype) ? { shape: l.shape, dtype: l.dtype } : null));
      const floats = outLeaves.filter((l): l is Tensor => l instanceof Tensor && isFloating(l.dtype));
      const dtype = commonFloat(floats.map((t) => t.dtype));
      if (floats.length === 0) return fromArray(allocate(dtype, 0), [0], dtype);
      const parts = floats.map((t) => t.reshape([-1]).astype(dtype));
      return parts.length === 1 ? parts[0]! : concat(parts, 0);
    },
  };
  return state;
}

/**
 * The Jacobian as a pytree from `block(i, k)`, the block of float output leaf i (in order)
 * and differentiated input k: the output's structure, each float leaf holding the input's
 * structure with a block per float input leaf (`null` at the other leaves). For one tensor in
 * and one out, that is the block itself.
 */
function assemble(s: Flattened, block: (i: number, k: number) => Tensor): PyTree {
  let i = 0;
  const perOut = s.outMeta.map((m) => {
    if (m === null) return null;
    const row = i++;
    const inner = s.inLeaves.map((_, j) => {
      const k = s.wrt.indexOf(j);
      return k < 0 ? null : block(row, k);
    });
    return unflattenAs(s.inDef, inner);
  });
  return unflattenAs(s.outDef!, perOut);
}

/** Offsets of consecutive pieces of the given sizes. */
function offsets(sizes: readonly number[]): number[] {
  const o = [0];
  for (const n of sizes) o.push(o[o.length - 1]! + n);
  return o;
}

/**
 * The Jacobian by forward mode: `vmap` of `jvp` over the input's basis, one batched pass
 * (the cheaper direction when the input has fewer elements than the output), shape
 * `[...out.shape, ...in.shape]`. Inputs and outputs may be pytrees: the result is then the
 * output's tree of the input's trees of blocks.
 *
 * @example
 * jacfwd((x) => x.sin())(tensor([0, 1])); // diag(cos 0, cos 1)
 */
export function jacfwd(f: (x: Tensor) => Tensor): (x: TensorLike) => Tensor;
export function jacfwd(f: (x: never) => PyTree): (x: PyTree) => PyTree;
export function jacfwd(f: (x: never) => PyTree): (x: never) => unknown {
  expectFunction('jacfwd', 'f', f);
  return jacfwdAs('jacfwd', f);
}

function jacfwdAs(op: string, f: (x: never) => PyTree): (x: PyTree) => PyTree {
  return (x0) => {
    const s = flattened(op, f, x0);
    const primals = s.wrt.map((i) => s.inLeaves[i] as Tensor);
    const sizes = primals.map((p) => p.size);
    const at = offsets(sizes);
    const total = at[at.length - 1]!;
    let columns: Tensor;
    if (total === 0) {
      const y = s.call(...primals);
      columns = fromArray(allocate(y.dtype, 0), [y.size, 0], y.dtype);
    } else {
      // Tangent e (one basis vector of all inputs together) split into one per input.
      const split = (e: Tensor) =>
        primals.map((p, k) =>
          e
            .slice(0, at[k]!, at[k + 1]!)
            .reshape(p.shape)
            .astype(p.dtype),
        );
      const basis = basisOf(total, commonFloat(primals.map((p) => p.dtype)));
      // The batch axis of the tangents goes last: column j of the Jacobian is J·e_j.
      columns = vmapCall(op, (e: Tensor) => jvpAs(op, s.call, primals, split(e))[1], [basis], 0, -1) as Tensor;
    }
    const rows = offsets(s.outMeta.flatMap((m) => (m === null ? [] : [shapeSize(m.shape)])));
    const outShapes = s.outMeta.flatMap((m) => (m === null ? [] : [m.shape]));
    return assemble(s, (i, k) =>
      columns
        .slice(0, rows[i]!, rows[i + 1]!)
        .slice(1, at[k]!, at[k + 1]!)
        .reshape([...outShapes[i]!, ...primals[k]!.shape]),
    );
  };
}

/**
 * The Jacobian by reverse mode: one `vjp`, whose pullback is `vmap`ped over the output's
 * basis (the cheaper direction when the output has fewer elements than the input), shape
 * `[...out.shape, ...in.shape]`. Inputs and outputs may be pytrees, as for `jacfwd`.
 *
 * @example
 * jacrev((x) => x.mul(x).sum())(tensor([1, 2])); // [2, 4]
 */
export function jacrev(f: (x: Tensor) => Tensor): (x: TensorLike) => Tensor;
export function jacrev(f: (x: never) => PyTree): (x: PyTree) => PyTree;
export function jacrev(f: (x: never) => PyTree): (x: never) => unknown {
  expectFunction('jacrev', 'f', f);
  return jacrevAs('jacrev', f);
}

function jacrevAs(op: string, f: (x: never) => PyTree): (x: PyTree) => PyTree {
  return (x0) => {
    const s = flattened(op, f, x0);
    const primals = s.wrt.map((i) => s.inLeaves[i] as Tensor);
    const [y, pullback] = primals.length === 0 ? [s.call(), null] : vjpAs(op, s.call, primals);
    const outShapes = s.outMeta.flatMap((m) => (m === null ? [] : [m.shape]));
    const rows = offsets(outShapes.map(shapeSize));
    const empty = (i: number, k: number) => {
      const shape = [...outShapes[i]!, ...primals[k]!.shape];
      return fromArray(allocate(y.dtype, shapeSize(shape)), shape, y.dtype);
    };
    if (pullback === null || y.size === 0) return assemble(s, empty);
    const cotangents = vmapCall(op, (g: Tensor) => pullback(g), [basisOf(y.size, y.dtype)], 0, 0) as Tensor[];
    return assemble(s, (i, k) =>
      cotangents[k]!.slice(0, rows[i]!, rows[i + 1]!)
        .reshape([...outShapes[i]!, ...primals[k]!.shape])
        .astype(y.dtype),
    );
  };
}

/**
 * The Hessian of a function of one tensor with one-element output, shape
 * `[...in.shape, ...in.shape]`: `jacfwd` of the reverse-mode gradient (forward-over-reverse).
 */
export function hessian(f: (x: Tensor) => Tensor): (x: TensorLike) => Tensor {
  expectFunction('hessian', 'f', f);
  return jacfwdAs('hessian', gradAs('hessian', f) as (x: Tensor) => Tensor) as (x: TensorLike) => Tensor;
}
