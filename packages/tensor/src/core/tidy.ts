// `tidy(f)`: the lives of the tensors `f` makes end when it returns, except those it returns or
// keeps, and their arrays serve the next allocations of their kind. Tensors need no freeing (the
// garbage collector takes them), but the collector frees an array only a collection later, so a
// loop writes every result into memory it has not touched for many steps; a loop whose steps
// run in `tidy` writes them into the arrays the step before freed, which are still in the cache.
import { recycleFreed, type TypedArray } from '../dtype.js';
import { ArgumentError } from '../errors.js';
import { describe, expectFunction } from '../arguments.js';
import { enterScope, exitScope, keepInScope, type Scope } from './scope.js';
import { DisposedView, Tensor } from './tensor.js';
import { transformOpen } from './trace.js';

/**
 * Runs `f()` and returns what it returns; then ends the life of every tensor `f` made that is not
 * in its result (a tensor, or arrays and plain objects holding tensors, at any depth) and was not
 * given to {@link keep}, as {@link Tensor.dispose} would: a later use of such a tensor throws an
 * ArgumentError. Their arrays serve later allocations of the same dtype and length, so a training
 * loop whose steps run in `tidy` writes each step's results into memory the step before used,
 * which is still in the processor's cache, instead of fresh memory (the MNIST-size step, W4 in
 * `pnpm bench`, runs faster so; a step of small tensors gains about what the scope costs).
 *
 * Tensors made before `f` runs keep their values, also those `f` changes with `assign` (an
 * optimiser's step) and the `.grad` a `backward()` inside `f` sets. The result of `f` must not be
 * a promise: the scope ends when `f` returns. Inside a transform (`grad`, `vjp`, `jvp`, `vmap`,
 * `jit`'s tracing) or where a returned tensor still records a graph (`requiresGrad`), `tidy`
 * ends no lives: the graph may need every tensor it made. Scopes nest: an inner one's results
 * belong to the outer one. Optional, as `dispose()` is: without it memory is collected as usual.
 *
 * @example
 * const lossAndGrad = valueAndGrad((v: Tensor) => x.matmul(v).tanh().square().mean());
 * for (let step = 0; step < 1000; step++) {
 *   const loss = tidy(() => {
 *     const [value, g] = lossAndGrad(w);
 *     noGrad(() => w.assign(w.sub(g.mul(0.1)))); // w keeps its new values
 *     return value.item(); // everything else the step made is disposed
 *   });
 * }
 */
export function tidy<T>(f: () => T): T {
  expectFunction('tidy', 'f', f);
  if (transformOpen()) return f();
  const scope = enterScope();
  let result: T;
  try {
    result = f();
  } catch (e) {
    // What f made is left to the collector: a tensor it stored before throwing stays usable.
    closeFreeingNothing(scope);
    throw e;
  }
  if (result instanceof Promise) {
    closeFreeingNothing(scope);
    throw new ArgumentError('tidy: f returned a promise; the scope ends when f returns, so f must be synchronous');
  }
  end(scope, result);
  return result;
}

/**
 * Exempts `t` from the end of every open {@link tidy} scope (it lives on as if made outside
 * them), and returns it; outside every scope it does nothing.
 *
 * @example
 * const history: Tensor[] = [];
 * tidy(() => {
 *   const y = x.mul(2).exp();
 *   history.push(keep(y)); // y outlives the scope; the product is disposed
 * });
 */
export function keep<T extends Tensor>(t: T): T {
  if (!(t instanceof Tensor)) throw new ArgumentError(`keep: expected a Tensor, got ${describe(t)}`);
  keepInScope(t);
  return t;
}

/**
 * The tensors in `value`: itself, or those in the data properties of its arrays and plain
 * objects at any depth. Getters are not called: finding the results runs no user code.
 */
function tensorsIn(value: unknown, found: Set<Tensor>, seen: Set<object>): void {
  if (value instanceof Tensor) {
    found.add(value);
    return;
  }
  if (typeof value !== 'object' || value === null || seen.has(value)) return;
  seen.add(value);
  const proto = Object.getPrototypeOf(value) as unknown;
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) return;
  for (const key of Object.keys(value)) {
    const d = Object.getOwnPropertyDescriptor(value, key);
    if (d !== undefined && 'value' in d) tensorsIn(d.value, found, seen);
  }
}

/** Ends `scope` (still the innermost one) after `f` returned `result`. */
function end(scope: Scope, result: unknown): void {
  const results = new Set<Tensor>();
  try {
    tensorsIn(result, results, new Set());
    for (const t of results) {
      if (t._trace !== null) {
        closeFreeingNothing(scope);
        return;
      }
    }
    // A value still pending is computed now, while its operands' arrays are intact, into an
    // array of this scope's.
    for (const t of results) if (!(t._view instanceof DisposedView)) void t._view.data;
    for (const t of scope.kept) if (!(t._view instanceof DisposedView)) void t._view.data;
  } catch (e) {
    // (A kernel that failed computing a pending value.) Nothing is disposed, as when f throws.
    closeFreeingNothing(scope);
    throw e;
  }
  exitScope(scope);
  // What outlives the scope: the results (which the scope around it may still free) and what
  // tensors made outside it hold (a kept tensor counts so), which no scope frees.
  const held = new HeldArrays();
  const outside = new HeldArrays();
  for (const t of results) if (!(t._view instanceof DisposedView)) held.add(t._view.data);
  for (const t of scope.kept) if (!(t._view instanceof DisposedView)) outside.add(t._view.data);
  for (const a of scope.heldOutside) outside.add(a);
  for (const t of scope.tensors) {
    if (t._scope !== scope.serial || results.has(t) || t._view instanceof DisposedView) continue;
    t._view = new DisposedView(t._view.shape, t._view.dtype);
    t._handle = undefined;
    t._owns = false;
  }
  // Survivors' arrays go to the scope around it (as its own, or as held outside); the rest are free.
  const passed: TypedArray[] = [];
  const passedOutside: TypedArray[] = [...scope.heldOutside];
  for (const a of scope.arrays) {
    if (outside.overlaps(a)) {
      passed.push(a);
      passedOutside.push(a);
    } else if (held.overlaps(a)) passed.push(a);
    else recycleFreed(a);
  }
  handOver(scope, results, passed, passedOutside);
}

/**
 * Arrays that outlive a scope, by the bytes they span: an allocation is held where any of them
 * shares a byte with it (a result may be a subarray of an allocation, and small allocations are
 * parts of one shared buffer).
 */
class HeldArrays {
  private readonly spans = new Map<ArrayBufferLike, number[]>();
  add(a: TypedArray): void {
    const list = this.spans.get(a.buffer);
    if (list === undefined) this.spans.set(a.buffer, [a.byteOffset, a.byteOffset + a.byteLength]);
    else list.push(a.byteOffset, a.byteOffset + a.byteLength);
  }
  overlaps(a: TypedArray): boolean {
    const list = this.spans.get(a.buffer);
    if (list === undefined) return false;
    const lo = a.byteOffset;
    const hi = lo + a.byteLength;
    for (let i = 0; i < list.length; i += 2) if (list[i]! < hi && lo < list[i + 1]!) return true;
    return false;
  }
}

/** Closes `scope` and gives all it made to the scope around it: nothing is disposed or freed. */
function closeFreeingNothing(scope: Scope): void {
  exitScope(scope);
  handOver(scope, scope.tensors, scope.arrays, scope.heldOutside);
}

/**
 * Gives `tensors` (those made in `scope`), `arrays`, the arrays `outside` held by tensors made
 * outside it, and its kept tensors to the scope around it, where they are that scope's own; at
 * the top level, the tensors made in `scope` are made in no scope (`dispose()` recycles their
 * arrays itself again).
 */
function handOver(scope: Scope, tensors: Iterable<Tensor>, arrays: readonly TypedArray[], outside: Iterable<TypedArray>): void {
  const outer = scope.outer;
  for (const t of tensors) {
    if (t._scope !== scope.serial) continue;
    t._scope = outer === null ? 0 : outer.serial;
    outer?.tensors.push(t);
  }
  if (outer === null) return;
  for (const a of arrays) outer.arrays.push(a);
  for (const a of outside) outer.heldOutside.add(a);
  for (const t of scope.kept) outer.kept.push(t);
}
