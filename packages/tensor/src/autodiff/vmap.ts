// vmap, the batching transform: it opens a batching level, hands `f` tensors that look like
// one example each (their values one level down hold every example along a batch axis), and
// lets each primitive's batching rule compute all examples at once. Because the level sits
// in the interpreter stack like jvp's and grad's, vmap nests with them in every order.
import { ArgumentError, AxisError, ShapeError, TraceError, formatShape } from '../errors.js';
import { batchTracer, closeLevel, lowerTo, openLevel, traceAt } from '../core/trace.js';
import { Tensor } from '../core/tensor.js';
import { describe, expectFunction, expectInteger, expectOptions } from '../arguments.js';
import { toTensor, type TensorLike } from '../ops/operand.js';

/** The batch axis of each argument (or output): one for all, or one per entry; `null`: not batched. */
export type BatchAxes = number | null | readonly (number | null)[];

/** Where `vmap` finds the examples in its arguments and puts them in its result. */
export interface VmapOptions {
  /**
   * The batch axis of every argument (a number, negative counting from the end), or one per
   * argument; `null` for an argument shared by all examples. Default 0.
   */
  inAxes?: BatchAxes;
  /**
   * Where the batch axis goes in the result (or in each result when `f` returns an array);
   * negative counts from the end of the batched result; `null` for a result that does not vary
   * over the batch. Default 0.
   */
  outAxes?: BatchAxes;
}

/** A function of tensors returning one tensor or an array of them, as `vmap` takes. */
export type BatchableFunction = (...args: Tensor[]) => Tensor | readonly Tensor[];

/**
 * Vectorising map: `vmap(f)(xs)` applies `f` to every example of `xs` (its slices along the
 * batch axis) and stacks the results, in one batched pass (each primitive has a batching
 * rule), not a loop. `f` sees tensors of one example's shape. Composes with every transform:
 * `vmap(grad(loss))` gives per-example gradients, `vmap(vmap(f))` maps over two axes.
 *
 * NOTE: code inside `f` that reads a tensor's values (`toArray`, tensor indices, masks)
 * sees example 0 of a batched tensor; the library's own such reads throw a TraceError.
 *
 * @example
 * vmap((x) => x.dot(w))(xs);                        // one dot product per row of xs
 * vmap((x, y) => x.mul(y), { inAxes: [1, null] })(a, b);
 */
export function vmap(f: (...args: Tensor[]) => Tensor, opts?: VmapOptions): (...args: TensorLike[]) => Tensor;
export function vmap(f: (...args: Tensor[]) => readonly Tensor[], opts?: VmapOptions): (...args: TensorLike[]) => Tensor[];
export function vmap(f: BatchableFunction, opts?: VmapOptions): (...args: TensorLike[]) => Tensor | Tensor[] {
  expectFunction('vmap', 'f', f);
  const given = expectOptions('vmap', opts);
  // NOTE: not `??`: null is a meaningful value (not batched), only undefined takes the default.
  const inAxes = checkAxes('inAxes', given.inAxes === undefined ? 0 : given.inAxes);
  const outAxes = checkAxes('outAxes', given.outAxes === undefined ? 0 : given.outAxes);
  return (...args) => vmapCall('vmap', f, args, inAxes, outAxes);
}

/** A number or null (checked now); an array is checked entry by entry at the call, against the arguments. */
function checkAxes(name: string, axes: unknown): BatchAxes {
  if (Array.isArray(axes)) return axes as readonly (number | null)[];
  if (axes !== null && typeof axes !== 'number')
    throw new ArgumentError(`vmap: ${name} must be a number, null or an array of them, got ${describe(axes)}`);
  return oneAxis('vmap', name, axes);
}

function oneAxis(op: string, name: string, a: unknown): number | null {
  return a === null ? null : expectInteger(op, name, a, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
}

/** The axis of each of `count` entries. */
function perEntry(op: string, name: string, axes: BatchAxes, count: number, what: string): (number | null)[] {
  if (!Array.isArray(axes)) return Array.from({ length: count }, () => axes as number | null);
  // NOTE: the length first: a huge or sparse array is refused before any walk over it.
  if (axes.length !== count) throw new ArgumentError(`${op}: ${name} has ${axes.length} entries for ${count} ${what}`);
  return Array.from({ length: count }, (_, i) => {
    if (!(i in axes)) throw new ArgumentError(`${op}: entry ${i} of ${name} is missing`);
    return oneAxis(op, `${name} entry ${i}`, axes[i]);
  });
}

/** An axis of a tensor of rank `ndim`, negative counting from the end. */
function inRange(op: string, name: string, axis: number, ndim: number, shape: readonly number[]): number {
  if (axis < -ndim || axis >= ndim) throw new AxisError(`${op}: ${name} ${axis} is out of range for shape ${formatShape(shape)}`);
  return axis < 0 ? axis + ndim : axis;
}

/** One batched call of `f` (also what jacfwd, jacrev and custom ops use). */
export function vmapCall(
  op: string,
  f: BatchableFunction,
  args: readonly TensorLike[],
  inAxes: BatchAxes,
  outAxes: BatchAxes,
): Tensor | Tensor[] {
  const xs = args.map((x, i) => toTensor(op, `argument ${i}`, x, 'float32'));
  const axes = perEntry(op, 'inAxes', inAxes, xs.length, 'arguments');
  let size: number | null = null;
  let first = -1;
  const batchAxes = axes.map((a, i) => {
    if (a === null) return null;
    const x = xs[i]!;
    const axis = inRange(op, `inAxes for argument ${i}: axis`, a, x.ndim, x.shape);
    const n = x.shape[axis]!;
    if (size === null) [size, first] = [n, i];
    else if (n !== size)
      throw new ShapeError(
        `${op}: inconsistent batch sizes: argument ${first} has ${size} examples, argument ${i} has ${n} (shape ${formatShape(x.shape)}, axis ${axis})`,
      );
    return axis;
  });
  if (size === null) throw new ArgumentError(`${op}: no argument is batched (inAxes is null for every argument)`);
  const batch: number = size;
  const level = openLevel('batch');
  try {
    const out = f(...xs.map((x, i) => (batchAxes[i] === null ? x : batchTracer(level, x, batchAxes[i]!))));
    const many = Array.isArray(out);
    const outs = (many ? out : [out]) as unknown[];
    const where = perEntry(op, 'outAxes', outAxes, outs.length, 'results');
    const results = outs.map((y, j) => {
      if (!(y instanceof Tensor))
        throw new TraceError(`${op}: the function must return a Tensor or an array of Tensors, got ${describe(y)}`);
      return unbatch(op, y, level, batch, where[j]!, j);
    });
    return many ? results : results[0]!;
  } finally {
    closeLevel(level);
  }
}

/** Result `j` one level down, with its batch axis at `outAxis` (broadcast if it does not vary). */
function unbatch(op: string, y: Tensor, level: number, size: number, outAxis: number | null, j: number): Tensor {
  const trace = traceAt(y, level);
  const batched = trace !== null && trace.kind === 'batch' ? trace : null;
  if (outAxis === null) {
    if (batched !== null) throw new ArgumentError(`${op}: outAxes is null for result ${j}, but it varies over the batch`);
    return lowerTo(y, level);
  }
  const value = batched !== null ? batched.primal : lowerTo(y, level).broadcastTo([size, ...y.shape]);
  const from = batched !== null ? batched.axis : 0;
  const to = inRange(op, `outAxes for result ${j}: axis`, outAxis, value.ndim, value.shape);
  return from === to ? value : value.movedim(from, to);
}
