// vmap, the batching transform: it opens a batching level, hands `f` tensors that look like
// one example each (their values one level down hold every example along a batch axis), and
// lets each primitive's batching rule compute all examples at once. Because the level sits
// in the interpreter stack like jvp's and grad's, vmap nests with them in every order.
// Arguments and results are pytrees; `inAxes` and `outAxes` are pytrees of axes that are
// prefixes of them, as in JAX.
import { ArgumentError, AxisError, ShapeError, TraceError, formatShape } from '../errors.js';
import { batchTracer, closeLevel, lowerTo, openLevel, traceAt } from '../core/trace.js';
import { Tensor } from '../core/tensor.js';
import { describe, expectFunction, expectInteger, expectOptions } from '../arguments.js';
import { broadcastPrefix, flattenAs, unflattenAs, type PyTree, type TreeDef } from '../tree.js';
import type { TensorLike } from '../ops/operand.js';

/**
 * Batch axes: a number (negative counting from the end) or `null` (not batched) for a whole
 * subtree, or arrays and plain objects of them that follow the tree they describe.
 */
export type BatchAxes = PyTree<number | null>;

/** Where `vmap` finds the examples in its arguments and puts them in its result. */
export interface VmapOptions {
  /**
   * The batch axis of every argument (default 0), or an array with one entry per argument,
   * each a number, `null` (the argument is shared by all examples) or a tree of them that is
   * a prefix of the argument's tree (`{ w: null, b: 0 }`).
   */
  inAxes?: BatchAxes;
  /**
   * Where the batch axis goes in the result (default 0; negative counts from the end of the
   * batched result), as a prefix of the result's tree; `null` for a result that does not vary
   * over the batch.
   */
  outAxes?: BatchAxes;
}

/**
 * Vectorising map: `vmap(f)(xs)` applies `f` to every example of `xs` (its slices along the
 * batch axis) and stacks the results, in one batched pass (each primitive has a batching
 * rule), not a loop. `f` sees tensors of one example's shape. Arguments and results may be
 * pytrees (nested arrays and plain objects of tensors; numbers and `null` pass through).
 * Composes with every transform: `vmap(grad(loss))` gives per-example gradients,
 * `vmap(vmap(f))` maps over two axes.
 *
 * NOTE: code inside `f` that reads a batched tensor's values (`item`, `toArray`, tensor
 * indices, masks) would see example 0 only, so it throws a TraceError.
 *
 * @example
 * vmap((x) => x.dot(w))(xs);                        // one dot product per row of xs
 * vmap((x, y) => x.mul(y), { inAxes: [1, null] })(a, b);
 * vmap((p, x) => model(p, x), { inAxes: [null, 0] })({ w, b }, xs);
 */
export function vmap(f: (...args: Tensor[]) => Tensor, opts?: VmapOptions): (...args: TensorLike[]) => Tensor;
export function vmap<A extends PyTree[], R extends PyTree>(f: (...args: A) => R, opts?: VmapOptions): (...args: A) => R;
export function vmap(f: (...args: never[]) => unknown, opts?: VmapOptions): (...args: never[]) => unknown {
  expectFunction('vmap', 'f', f);
  const given = expectOptions('vmap', opts);
  // NOTE: not `??`: null is a meaningful value (not batched), only undefined takes the default.
  const inAxes = axesTree('inAxes', given.inAxes === undefined ? 0 : given.inAxes);
  const outAxes = axesTree('outAxes', given.outAxes === undefined ? 0 : given.outAxes);
  return (...args: unknown[]) => vmapCall('vmap', f, args, inAxes, outAxes);
}

/** A checked tree of axes: its leaves (integers or null) and its structure. */
interface AxesTree {
  readonly leaves: readonly (number | null)[];
  readonly def: TreeDef;
}

function axesTree(name: string, axes: unknown, op = 'vmap'): AxesTree {
  const [leaves, def] = flattenAs<unknown>(`${op}: ${name}`, axes, (x) => x === null || typeof x === 'number');
  return {
    leaves: leaves.map((a, i) =>
      a === null ? null : expectInteger(op, `${name} (leaf ${i})`, a, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER),
    ),
    def,
  };
}

/** An axis of a tensor of rank `ndim`, negative counting from the end. */
function inRange(op: string, name: string, axis: number, ndim: number, shape: readonly number[]): number {
  if (axis < -ndim || axis >= ndim) throw new AxisError(`${op}: ${name} ${axis} is out of range for shape ${formatShape(shape)}`);
  return axis < 0 ? axis + ndim : axis;
}

/**
 * One batched call of `f` (also what jacfwd, jacrev and custom ops use). `inAxes` and
 * `outAxes` are as in VmapOptions (a checked tree, or a number or null).
 */
export function vmapCall(
  op: string,
  f: (...args: never[]) => unknown,
  args: readonly unknown[],
  inAxes: AxesTree | number | null,
  outAxes: AxesTree | number | null,
): PyTree {
  const [leaves, argsDef] = flattenAs(op, args);
  const prefix = typeof inAxes === 'object' && inAxes !== null ? inAxes : axesTree('inAxes', inAxes, op);
  const axes = broadcastPrefix(op, ['inAxes', 'the arguments'], prefix.def, prefix.leaves, argsDef);
  let size: number | null = null;
  let first = -1;
  const batchAxes = leaves.map((x, i) => {
    const a = axes[i]!;
    if (a === null || !(x instanceof Tensor)) return null;
    const axis = inRange(op, `inAxes for argument leaf ${i}: axis`, a, x.ndim, x.shape);
    const n = x.shape[axis]!;
    if (size === null) [size, first] = [n, i];
    else if (n !== size)
      throw new ShapeError(
        `${op}: inconsistent batch sizes: argument leaf ${first} has ${size} examples, leaf ${i} has ${n} (shape ${formatShape(x.shape)}, axis ${axis})`,
      );
    return axis;
  });
  if (size === null) throw new ArgumentError(`${op}: no argument is batched (inAxes is null for every tensor argument)`);
  const batch: number = size;
  const level = openLevel('batch');
  try {
    const inner = leaves.map((x, i) => (batchAxes[i] === null ? x : batchTracer(level, x as Tensor, batchAxes[i]!)));
    const out = (f as (...a: unknown[]) => unknown)(...(unflattenAs(argsDef, inner) as unknown[]));
    const [results, outDef] = flattenAs(op, out, (x) => x === null || typeof x === 'number' || x instanceof Tensor);
    if (results.length === 0 && !(out instanceof Tensor) && !Array.isArray(out) && (typeof out !== 'object' || out === null))
      throw new TraceError(`${op}: the function must return a Tensor or a pytree of them, got ${describe(out)}`);
    const where = typeof outAxes === 'object' && outAxes !== null ? outAxes : axesTree('outAxes', outAxes, op);
    const outWhere = broadcastPrefix(op, ['outAxes', 'the result'], where.def, where.leaves, outDef);
    const unbatched = results.map((y, j) => (y instanceof Tensor ? unbatch(op, y, level, batch, outWhere[j]!, j) : y));
    return unflattenAs(outDef, unbatched);
  } finally {
    closeLevel(level);
  }
}

/** Result leaf `j` one level down, with its batch axis at `outAxis` (broadcast if it does not vary). */
function unbatch(op: string, y: Tensor, level: number, size: number, outAxis: number | null, j: number): Tensor {
  const trace = traceAt(y, level);
  const batched = trace !== null && trace.kind === 'batch' ? trace : null;
  if (outAxis === null) {
    if (batched !== null) throw new ArgumentError(`${op}: outAxes is null for result leaf ${j}, but it varies over the batch`);
    return lowerTo(y, level);
  }
  const value = batched !== null ? batched.primal : lowerTo(y, level).broadcastTo([size, ...y.shape]);
  const from = batched !== null ? batched.axis : 0;
  const to = inRange(op, `outAxes for result leaf ${j}: axis`, outAxis, value.ndim, value.shape);
  return from === to ? value : value.movedim(from, to);
}
