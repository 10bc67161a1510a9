// Pytrees, as JAX has them: nested arrays and plain objects whose leaves are tensors, numbers or
// null. Transforms flatten their arguments to a list of leaves plus a `TreeDef` that rebuilds
// the same structure, so that a gradient comes back shaped like the parameters it is for.
//
// Choices, after JAX: object keys are visited in sorted order (JAX sorts dict keys), so
// `{ b, a }` and `{ a, b }` have one structure and one leaf order. `null` is a *leaf* (JAX makes
// `None` an empty subtree): a gradient tree can then hold `null` where the parameters hold a
// number, and still have the parameters' structure. Only arrays and plain objects are nodes;
// anything else that is not a leaf (a Map, a class instance, a function, a string) is an error,
// as are cycles. Output objects are built with `Object.defineProperty`, so a key named
// `__proto__` becomes an own property and never a prototype.
import { describe } from './arguments.js';
import { ArgumentError, ShapeError, TreeStructureError, formatShape } from './errors.js';
import { Tensor } from './core/tensor.js';
import { isFloating } from './dtype.js';
import { concat } from './ops/layout.js';
import { zeros } from './creation.js';

/** A leaf of a pytree: a tensor, or a number or `null`, which transforms pass through untouched. */
export type PyTreeLeaf = Tensor | number | null;

/** A pytree: a leaf, or an array or a plain object of pytrees. */
export type PyTree<L = PyTreeLeaf> = L | readonly PyTree<L>[] | { readonly [key: string]: PyTree<L> };

/** The leaf type of a pytree type: `LeafOf<{ w: Tensor; n: number }>` is `Tensor | number`. */
// NOTE: the depth counter D stops the recursion on the recursive PyTree type itself.
export type LeafOf<T, D extends unknown[] = []> = D['length'] extends 10
  ? PyTreeLeaf
  : T extends PyTreeLeaf
    ? T
    : T extends readonly (infer E)[]
      ? LeafOf<E, [...D, 0]>
      : T extends object
        ? { [K in keyof T]: LeafOf<T[K], [...D, 0]> }[keyof T]
        : never;

/** A pytree type with every leaf replaced by `R`: what `treeMap` returns. */
export type MapLeaves<T, R, D extends unknown[] = []> = D['length'] extends 10
  ? PyTree<R>
  : T extends PyTreeLeaf
    ? R
    : { -readonly [K in keyof T]: MapLeaves<T[K], R, [...D, 0]> };

// Deeper trees than this are refused instead of overflowing the stack.
const MAX_DEPTH = 1000;

// A TreeDef's nodes, kept out of its public surface.
const SHAPES = new WeakMap<TreeDef, Shape>();

type Shape = { kind: 'leaf' } | { kind: 'array'; children: TreeDef[] } | { kind: 'object'; keys: string[]; children: TreeDef[] };

/**
 * The structure of a pytree without its leaves: from `treeFlatten`, for `treeUnflatten`.
 * Two structures are equal (`a.equals(b)`) when they have the same nodes, the same object keys
 * and the same number of leaves in the same places; `toString()` prints the structure with `*`
 * for each leaf, e.g. `{a: *, b: [*, *]}`.
 */
export class TreeDef {
  /** How many leaves the structure holds. */
  readonly numLeaves: number;

  /** @internal Built by treeFlatten. */
  constructor(shape: Shape) {
    SHAPES.set(this, shape);
    this.numLeaves = shape.kind === 'leaf' ? 1 : shape.children.reduce((n, c) => n + c.numLeaves, 0);
  }

  /** Whether `other` is the same structure. */
  equals(other: TreeDef): boolean {
    return other instanceof TreeDef && firstDifference(this, other, '') === null;
  }

  /** The structure with `*` for each leaf: `[*, {b: *}]`. */
  toString(): string {
    const s = shapeOf(this);
    if (s.kind === 'leaf') return '*';
    if (s.kind === 'array') return `[${s.children.map(String).join(', ')}]`;
    return `{${s.keys.map((k, i) => `${keyText(k)}: ${s.children[i]!}`).join(', ')}}`;
  }
}

function shapeOf(d: TreeDef): Shape {
  return SHAPES.get(d)!;
}

const LEAF = new TreeDef({ kind: 'leaf' });

function keyText(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? key : JSON.stringify(key);
}

/** How messages name a place in a tree: `the root`, `.w1`, `[0].bias`, `["layers.0"]`. */
export function formatPath(path: string): string {
  return path === '' ? 'the root' : path;
}

function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/** The path of the first place where two structures differ, with what each has there; null if equal. */
function firstDifference(a: TreeDef, b: TreeDef, path: string): { path: string; a: string; b: string } | null {
  const sa = shapeOf(a);
  const sb = shapeOf(b);
  const what = (s: Shape) => (s.kind === 'leaf' ? 'a leaf' : s.kind === 'array' ? `an array of length ${s.children.length}` : 'an object');
  if (sa.kind !== sb.kind) return { path, a: what(sa), b: what(sb) };
  if (sa.kind === 'leaf') return null;
  if (sa.kind === 'array') {
    if (sa.children.length !== (sb as Exclude<Shape, { kind: 'leaf' }>).children.length) return { path, a: what(sa), b: what(sb) };
  } else {
    const keysB = (sb as Extract<Shape, { kind: 'object' }>).keys;
    const missing = sa.keys.find((k) => !keysB.includes(k));
    if (missing !== undefined) return { path: childPath(path, missing), a: 'a subtree', b: 'nothing' };
    const extra = keysB.find((k) => !sa.keys.includes(k));
    if (extra !== undefined) return { path: childPath(path, extra), a: 'nothing', b: 'a subtree' };
  }
  for (let i = 0; i < sa.children.length; i++) {
    const key = sa.kind === 'array' ? i : sa.keys[i]!;
    const d = firstDifference(sa.children[i]!, (sb as Exclude<Shape, { kind: 'leaf' }>).children[i]!, childPath(path, key));
    if (d !== null) return d;
  }
  return null;
}

/**
 * Throws a TreeStructureError naming the first place where `b` differs from `a`.
 * @internal for the transforms: `what` names the two trees, e.g. `['primals', 'tangents']`.
 */
export function expectSameStructure(op: string, a: TreeDef, b: TreeDef, what: readonly [string, string]): void {
  const d = firstDifference(a, b, '');
  if (d === null) return;
  throw new TreeStructureError(
    `${op}: ${what[1]} must have the structure of ${what[0]}; at ${formatPath(d.path)}, ${what[0]}: ${d.a}, ${what[1]}: ${d.b} (${what[0]}: ${a}, ${what[1]}: ${b})`,
  );
}

function isPlainObject(x: object): boolean {
  const proto: unknown = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/** Whether `x` may be a node of a pytree: an array of Array's own prototype, or a plain object. */
function isTreeNode(x: unknown): x is object {
  return typeof x === 'object' && x !== null && (Array.isArray(x) ? Object.getPrototypeOf(x) === Array.prototype : isPlainObject(x));
}

/** What one flattening carries along: the leaves found so far and the nodes above the current one. */
interface FlattenContext {
  readonly op: string;
  /** What messages call the tree: `the tree`, `argument 0`, `the output`. */
  readonly what: string;
  readonly leaves: unknown[];
  /** The path of each leaf, when the caller wants them for its own messages. */
  readonly paths: string[] | undefined;
  readonly ancestors: Set<object>;
  readonly isLeaf: (x: unknown) => boolean;
}

/** How a message names the place `path` of a tree called `what`: `argument 0 at .w[1]`. */
export function placeIn(what: string, path: string): string {
  return path === '' ? what : `${what} at ${path}`;
}

/** Flattens `tree`: pushes its leaves onto `cx.leaves` and returns its structure. */
function flattenInto(cx: FlattenContext, tree: unknown, path: string): TreeDef {
  const { op, ancestors } = cx;
  if (cx.isLeaf(tree)) {
    cx.leaves.push(tree);
    cx.paths?.push(path);
    return LEAF;
  }
  if (!isTreeNode(tree)) {
    throw new ArgumentError(
      `${op}: ${placeIn(cx.what, path)} is ${describe(tree)}; a pytree holds only tensors, numbers and null, in arrays and plain objects`,
    );
  }
  if (ancestors.has(tree)) throw new ArgumentError(`${op}: ${cx.what} contains itself at ${formatPath(path)}`);
  if (ancestors.size >= MAX_DEPTH)
    throw new ArgumentError(`${op}: ${cx.what} is nested deeper than ${MAX_DEPTH} levels at ${formatPath(path)}`);
  ancestors.add(tree);
  try {
    if (Array.isArray(tree)) {
      const children: TreeDef[] = [];
      // NOTE: a for loop over the length, not forEach, so that a hole is seen (and refused).
      for (let i = 0; i < tree.length; i++) {
        if (!Object.hasOwn(tree, i)) throw new ArgumentError(`${op}: ${placeIn(cx.what, childPath(path, i))} is a hole in an array`);
        children.push(flattenInto(cx, dataValue(cx, tree, i, path), childPath(path, i)));
      }
      return new TreeDef({ kind: 'array', children });
    }
    if (Object.getOwnPropertySymbols(tree).length > 0) {
      throw new ArgumentError(`${op}: ${placeIn(cx.what, path)} has symbol keys; a pytree's objects have string keys only`);
    }
    // Sorted keys, as JAX sorts a dict's keys: the leaf order does not depend on insertion order.
    const keys = Object.keys(tree).sort();
    const children = keys.map((k) => flattenInto(cx, dataValue(cx, tree, k, path), childPath(path, k)));
    return new TreeDef({ kind: 'object', keys, children });
  } finally {
    ancestors.delete(tree);
  }
}

/** An own data property's value; a getter is refused, so that flattening never runs user code. */
function dataValue(cx: FlattenContext, node: object, key: string | number, path: string): unknown {
  const d = Object.getOwnPropertyDescriptor(node, key)!;
  if (!('value' in d))
    throw new ArgumentError(`${cx.op}: ${placeIn(cx.what, childPath(path, key))} is a getter; a pytree holds plain data`);
  return d.value as unknown;
}

/**
 * Pushes the leaves of `tree` onto `leaves` if it is a pytree of exactly the structure `def`,
 * as flattening would find it; false (with some leaves perhaps pushed) at the first difference.
 * Checking a tree against a structure already built needs no new TreeDef, and no cycle or depth
 * guard: the walk is as deep as `def`, and a node met where `def` has a leaf is a difference.
 */
function collectLeaves(def: TreeDef, tree: unknown, leaves: unknown[]): boolean {
  const s = shapeOf(def);
  if (s.kind === 'leaf') {
    if (!isTreeLeaf(tree)) return false;
    leaves.push(tree);
    return true;
  }
  if (!isTreeNode(tree) || Array.isArray(tree) !== (s.kind === 'array')) return false;
  const { children } = s;
  if (s.kind === 'array') {
    if ((tree as unknown[]).length !== children.length) return false;
  } else {
    // The same own enumerable string keys (flattening sorts Object.keys; `s.keys` is that) and no symbol keys.
    if (Object.keys(tree).length !== children.length || Object.getOwnPropertySymbols(tree).length > 0) return false;
  }
  for (let i = 0; i < children.length; i++) {
    const key = s.kind === 'array' ? i : s.keys[i]!;
    const d = Object.getOwnPropertyDescriptor(tree, key);
    if (d === undefined || !('value' in d) || (s.kind === 'object' && d.enumerable !== true)) return false;
    if (!collectLeaves(children[i]!, d.value, leaves)) return false;
  }
  return true;
}

/**
 * @internal The leaves of `tree` if it has the structure `def` (what `flattenAs(op, tree)`
 * would return with a structure equal to `def`), else null: for a transform that keeps the
 * structure of an earlier call and so need not build and compare a new one.
 */
export function leavesIn<L = PyTreeLeaf>(def: TreeDef, tree: unknown): L[] | null {
  const leaves: unknown[] = [];
  return collectLeaves(def, tree, leaves) ? (leaves as L[]) : null;
}

const isTreeLeaf = (x: unknown): boolean => x === null || typeof x === 'number' || x instanceof Tensor;

/** @internal treeFlatten for a transform: errors name `op`; `isLeaf` may widen what counts as a leaf. */
export function flattenAs<L = PyTreeLeaf>(op: string, tree: unknown, isLeaf: (x: unknown) => boolean = isTreeLeaf): [L[], TreeDef] {
  return flattenWith(op, tree, isLeaf, 'the tree', undefined);
}

/**
 * @internal treeFlatten for a transform whose messages call the tree `what` (`argument 0`, `the
 * output`); `paths`, when given, receives each leaf's path for the caller's own messages.
 */
export function flattenNamed<L = PyTreeLeaf>(op: string, tree: unknown, what: string, paths?: string[]): [L[], TreeDef] {
  return flattenWith(op, tree, isTreeLeaf, what, paths);
}

function flattenWith<L>(
  op: string,
  tree: unknown,
  isLeaf: (x: unknown) => boolean,
  what: string,
  paths: string[] | undefined,
): [L[], TreeDef] {
  const leaves: unknown[] = [];
  const def = flattenInto({ op, what, leaves, paths, ancestors: new Set(), isLeaf }, tree, '');
  return [leaves as L[], def];
}

/** @internal treeUnflatten without argument checks, for the transforms. */
export function unflattenAs<L>(def: TreeDef, leaves: readonly L[]): PyTree<L> {
  let next = 0;
  const build = (d: TreeDef): PyTree<L> => {
    const s = shapeOf(d);
    if (s.kind === 'leaf') return leaves[next++]!;
    if (s.kind === 'array') return s.children.map(build);
    const out: Record<string, PyTree<L>> = {};
    // NOTE: defineProperty, not assignment: `out['__proto__'] = v` would set the prototype.
    s.keys.forEach((k, i) =>
      Object.defineProperty(out, k, { value: build(s.children[i]!), enumerable: true, writable: true, configurable: true }),
    );
    return out;
  };
  return build(def);
}

/**
 * The leaves of a pytree, in order (arrays by index, objects by sorted key, depth first), and
 * its structure.
 *
 * @example
 * const [leaves, def] = treeFlatten({ b: tensor(2), a: [tensor(1), 3] });
 * // leaves: [tensor(1), 3, tensor(2)]; String(def): '{a: [*, *], b: *}'
 */
export function treeFlatten(tree: PyTree): [PyTreeLeaf[], TreeDef] {
  return flattenAs('treeFlatten', tree);
}

/**
 * Rebuilds a tree of structure `treedef` from `leaves` (any values, one per leaf, in
 * `treeFlatten`'s order). Objects come out as fresh plain objects with their keys sorted.
 *
 * @example
 * const [leaves, def] = treeFlatten({ w: tensor([1, 2]), b: tensor(0) });
 * treeUnflatten(def, leaves.map((t) => (t as Tensor).mul(2))); // { b: tensor(0), w: tensor([2, 4]) }
 */
export function treeUnflatten<L>(treedef: TreeDef, leaves: readonly L[]): PyTree<L> {
  if (!(treedef instanceof TreeDef))
    throw new ArgumentError(`treeUnflatten: expected a TreeDef from treeFlatten, got ${describe(treedef)}`);
  if (!Array.isArray(leaves)) throw new ArgumentError(`treeUnflatten: expected an array of leaves, got ${describe(leaves)}`);
  if (leaves.length !== treedef.numLeaves) {
    throw new ArgumentError(`treeUnflatten: the structure ${treedef} has ${treedef.numLeaves} leaves, got ${leaves.length}`);
  }
  for (let i = 0; i < leaves.length; i++) if (!(i in leaves)) throw new ArgumentError(`treeUnflatten: leaf ${i} is missing`);
  return unflattenAs(treedef, leaves);
}

/**
 * The leaves of a pytree, in `treeFlatten`'s order.
 *
 * @example
 * treeLeaves([tensor(1), { a: null }]); // [tensor(1), null]
 */
export function treeLeaves(tree: PyTree): PyTreeLeaf[] {
  return flattenAs('treeLeaves', tree)[0];
}

/**
 * Applies `fn` to every leaf (`null` and numbers included) and returns a tree of the results
 * with the same structure. With more trees, `fn` gets the leaves at the same place in each;
 * they must all have the first tree's structure (a TreeStructureError names the first place
 * where one differs).
 *
 * @example
 * const params = { w: tensor([1, 2]), b: tensor(1) };
 * const grads = { w: tensor([0.5, 0.5]), b: tensor(1) };
 * treeMap((p, g) => p.sub(g.mul(0.1)), params, grads); // { b: tensor(0.9), w: tensor([0.95, 1.95]) }
 */
export function treeMap<T extends PyTree, U extends PyTree[], R>(
  fn: (leaf: LeafOf<T>, ...others: { [K in keyof U]: LeafOf<U[K]> }) => R,
  tree: T,
  ...rest: U
): MapLeaves<T, R> {
  if (typeof fn !== 'function') throw new ArgumentError(`treeMap: expected a function for fn, got ${describe(fn)}`);
  const [leaves, def] = flattenNamed<LeafOf<T>>('treeMap', tree, 'tree 0');
  const others = rest.map((t, i) => {
    const [ls, d] = flattenNamed('treeMap', t, `tree ${i + 1}`);
    expectSameStructure('treeMap', def, d, ['tree 0', `tree ${i + 1}`]);
    return ls;
  });
  const call = fn as (...leaves: unknown[]) => R;
  const results = leaves.map((leaf, j) => call(leaf, ...others.map((ls) => ls[j])));
  return unflattenAs(def, results) as MapLeaves<T, R>;
}

/**
 * Concatenates the float tensor leaves of a tree, flattened, into one vector, and returns it with
 * `unravel`, which splits such a vector back into a tree of the same structure (each tensor in
 * its own shape and dtype). Both ways are differentiable, so a function of a tree becomes a
 * function of one vector: `hessian((v) => loss(unravel(v)))(flat)`. Number, null, int32 and bool
 * leaves are not in the vector; `unravel` puts the original values back in their places. The
 * vector has the promoted dtype of the leaves (float32 when there are none).
 *
 * @example
 * const [flat, unravel] = ravel({ w: tensor([[1, 2]]), b: tensor(3) });
 * flat.toArray(); // [3, 1, 2]  (keys in sorted order: b, then w)
 * unravel(flat.mul(2)); // { b: tensor(6), w: tensor([[2, 4]]) }
 */
export function ravel<T extends PyTree>(tree: T): [Tensor, (flat: Tensor) => T] {
  const [leaves, def] = flattenAs('ravel', tree);
  const floats = leaves.flatMap((l, i) => (l instanceof Tensor && isFloating(l.dtype) ? [i] : []));
  const parts = floats.map((i) => (leaves[i] as Tensor).reshape([-1]));
  const flat = parts.length === 0 ? zeros([0]) : parts.length === 1 ? parts[0]! : concat(parts, 0);
  const total = flat.shape[0]!;
  const unravel = (v: Tensor): T => {
    if (!(v instanceof Tensor)) throw new ArgumentError(`ravel: unravel expected a Tensor, got ${describe(v)}`);
    if (v.ndim !== 1 || v.shape[0] !== total) {
      throw new ShapeError(
        `ravel: unravel expected a vector of shape ${formatShape([total])} (the raveled tree's size), got ${formatShape(v.shape)}`,
      );
    }
    if (!isFloating(v.dtype)) throw new ArgumentError(`ravel: unravel expected a float32 or float64 vector, got ${v.dtype}`);
    const out: unknown[] = [...leaves];
    let offset = 0;
    for (const i of floats) {
      const leaf = leaves[i] as Tensor;
      out[i] = v
        .slice(0, offset, offset + leaf.size)
        .reshape(leaf.shape)
        .astype(leaf.dtype);
      offset += leaf.size;
    }
    return unflattenAs(def, out) as T;
  };
  return [flat, unravel];
}

/**
 * @internal for vmap's axes: the leaves of `prefix` (a tree whose structure is a prefix of
 * `full`'s: a leaf of it stands for a whole subtree of `full`) repeated over the leaves of
 * `full` that each covers, in `full`'s leaf order. `what` names the two trees in errors.
 */
export function broadcastPrefix<L>(op: string, what: readonly [string, string], prefix: TreeDef, leaves: readonly L[], full: TreeDef): L[] {
  const out: L[] = [];
  let next = 0;
  const walk = (p: TreeDef, f: TreeDef, path: string): void => {
    const sp = shapeOf(p);
    const sf = shapeOf(f);
    if (sp.kind === 'leaf') {
      const v = leaves[next++]!;
      for (let i = 0; i < f.numLeaves; i++) out.push(v);
      return;
    }
    const sameKeys = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((k, i) => k === b[i]);
    if (
      sf.kind !== sp.kind ||
      sp.children.length !== sf.children.length ||
      (sp.kind === 'object' && !sameKeys(sp.keys, (sf as Extract<Shape, { kind: 'object' }>).keys))
    ) {
      throw new TreeStructureError(
        `${op}: ${what[0]} must be a prefix of the structure of ${what[1]}; at ${formatPath(path)}, ${what[0]}: ${p}, ${what[1]}: ${f}`,
      );
    }
    sp.children.forEach((c, i) =>
      walk(c, (sf as Exclude<Shape, { kind: 'leaf' }>).children[i]!, childPath(path, sp.kind === 'array' ? i : sp.keys[i]!)),
    );
  };
  walk(prefix, full, '');
  return out;
}
