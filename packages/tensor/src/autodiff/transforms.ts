// The functional transforms, JAX style. vjp and jvp open a fresh interpreter level; grad,
// valueAndGrad are written with vjp; jacfwd, jacrev, jacobian and hessian with vmap of jvp or vjp.
import { ArgumentError, NonScalarOutputError, NotDifferentiableError, ShapeError, TraceError, formatShape } from '../errors.js';
import { closeLevel, frozen, newNode, openLevel } from '../core/trace.js';
import { Tensor, fromArray } from '../core/tensor.js';
import { allocate, isFloating } from '../dtype.js';
import { describe, expectFunction, expectInteger, expectOptions } from '../arguments.js';
import { scalarTensor, toTensor, type TensorLike } from '../ops/operand.js';
import { shapeSize, shapesEqual } from '../shape.js';
import { backprop } from './backprop.js';
import { vmapCall } from './vmap.js';
import { eye } from '../creation.js';
import { concat } from '../ops/layout.js';
import { flattenAs, unflattenAs, type PyTree, type PyTreeLeaf, type TreeDef } from '../tree.js';

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

/**
 * Evaluates `f` at `primals` and returns its value with the pullback v ↦ vᵀJ, which maps a
 * cotangent of the output's shape to one cotangent per primal.
 *
 * @example
 * const [y, pullback] = vjp((x) => x.mul(x), tensor([1, 2]));
 * pullback(tensor([1, 1]))[0].toArray(); // [2, 4]
 */
export function vjp(f: TensorFunction, ...primals: TensorLike[]): [Tensor, (cotangent: TensorLike) => Tensor[]] {
  return vjpAs('vjp', f, primals);
}

/** vjp for the transforms built on it: errors name `op`, the transform the user called. */
function vjpAs(op: string, f: TensorFunction, primals: readonly TensorLike[]): [Tensor, (cotangent: TensorLike) => Tensor[]] {
  expectFunction(op, 'f', f);
  const inputs = primals.map((x, i) => expectDifferentiable(op, asTensor(op, x, i), i));
  const level = openLevel('reverse');
  let out: Tensor;
  const leaves = inputs.map((x) => {
    const p = frozen(x);
    const node = newNode(level, null, undefined, p, [], null);
    return { node, tracer: new Tensor(p._view, { kind: 'reverse', level, primal: p, node }) };
  });
  try {
    out = checkResult(op, f(...leaves.map((l) => l.tracer)));
  } finally {
    closeLevel(level);
  }
  const trace = out._trace !== null && out._trace.level === level && out._trace.kind === 'reverse' ? out._trace : null;
  const value = trace !== null ? trace.primal : out;
  const pullback = (cotangent: TensorLike): Tensor[] => {
    const g = cotangentFor(op, value, cotangent);
    const zerosFor = (p: Tensor) => fromArray(allocate(p.dtype, p.size), p.shape, p.dtype);
    if (trace === null) return inputs.map(zerosFor);
    const cts = backprop(trace.node, g, { recordBackward: false, release: false, caller: op });
    return leaves.map((l, i) => cts.get(l.node) ?? zerosFor(inputs[i]!));
  };
  return [value, pullback];
}

function cotangentFor(op: string, out: Tensor, cotangent: TensorLike): Tensor {
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
 * @example
 * const [y, dy] = jvp((x) => x.sin(), [tensor(0)], [tensor(1)]); // dy = cos 0 = 1
 */
export function jvp(f: TensorFunction, primals: readonly TensorLike[], tangents: readonly TensorLike[]): [Tensor, Tensor] {
  return jvpAs('jvp', f, primals, tangents);
}

function jvpAs(op: string, f: TensorFunction, primals: readonly TensorLike[], tangents: readonly TensorLike[]): [Tensor, Tensor] {
  expectFunction(op, 'f', f);
  const xs = argumentList(op, 'primals', primals).map((x, i) => expectDifferentiable(op, asTensor(op, x, i), i));
  const given = argumentList(op, 'tangents', tangents);
  if (xs.length !== given.length) {
    throw new ArgumentError(`${op}: ${xs.length} primals but ${given.length} tangents (expected one tangent per primal)`);
  }
  const ts = given.map((t, i) => {
    const x = xs[i]!;
    const tangent = typeof t === 'number' ? scalarTensor(t, x.dtype).broadcastTo(x.shape) : toTensor(op, `tangent ${i}`, t, x.dtype);
    if (!shapesEqual(tangent.shape, x.shape)) {
      throw new ShapeError(
        `${op}: tangent ${i} has shape ${formatShape(tangent.shape)}, expected the primal's shape ${formatShape(x.shape)}`,
      );
    }
    return tangent.astype(x.dtype);
  });
  const level = openLevel('forward');
  let out: Tensor;
  try {
    const tracers = xs.map((x, i) => new Tensor(x._view, { kind: 'forward', level, primal: x, tangent: ts[i]! }));
    out = checkResult(op, f(...tracers));
  } finally {
    closeLevel(level);
  }
  const trace = out._trace !== null && out._trace.level === level && out._trace.kind === 'forward' ? out._trace : null;
  if (trace === null) return [out, fromArray(allocate(out.dtype, out.size), out.shape, out.dtype)];
  return [trace.primal, trace.tangent];
}

/** Which arguments `grad` and `valueAndGrad` differentiate with respect to. */
export interface GradOptions {
  /**
   * Differentiate with respect to these arguments (distinct indices; a repeated one throws);
   * the result is then an array in this order.
   */
  argnums?: readonly number[];
}

/** The elements of an array argument, checked to be an array without holes. */
function argumentList(op: string, name: string, list: unknown): unknown[] {
  if (!Array.isArray(list)) throw new ArgumentError(`${op}: expected an array for ${name}, got ${describe(list)}`);
  return Array.from({ length: list.length }, (_, i) => {
    if (!(i in list)) throw new ArgumentError(`${op}: entry ${i} of ${name} is missing`);
    return list[i] as unknown;
  });
}

/**
 * The checked options of grad and valueAndGrad: the function, and `argnums` as a list of
 * distinct non-negative integers (whether each names an argument is known only at the call).
 */
function gradSettings(op: string, f: TensorFunction, opts: GradOptions | undefined): { argnums: number[]; many: boolean } {
  expectFunction(op, 'f', f);
  const given = expectOptions(op, opts).argnums;
  if (given === undefined) return { argnums: [0], many: false };
  const argnums = argumentList(op, 'argnums', given).map((i) => expectInteger(op, 'an argnum', i, 0, Number.MAX_SAFE_INTEGER));
  const repeated = argnums.find((a, k) => argnums.indexOf(a) !== k);
  // NOTE: a repeated argnum would differentiate with respect to two copies of one argument.
  if (repeated !== undefined) throw new ArgumentError(`${op}: argnum ${repeated} is repeated in argnums`);
  return { argnums, many: true };
}

/** vjp with respect to some of the arguments only (the others are constants). */
function valueAndCotangents(op: string, f: TensorFunction, args: readonly TensorLike[], argnums: readonly number[]): [Tensor, Tensor[]] {
  for (const i of argnums) {
    if (i >= args.length) throw new ArgumentError(`${op}: argnum ${i} is out of range for a call with ${args.length} arguments`);
  }
  const fixed = args.map((x, i) => asTensor(op, x, i));
  for (const i of argnums) expectDifferentiable(op, fixed[i]!, i);
  const wrt = (...vars: Tensor[]) => {
    const all = [...fixed];
    argnums.forEach((a, j) => (all[a] = vars[j]!));
    return f(...all);
  };
  const [value, pullback] = vjpAs(
    op,
    wrt,
    argnums.map((a) => fixed[a]!),
  );
  if (value.size !== 1) {
    throw new NonScalarOutputError(
      `${op}: the function must return a tensor with exactly one element, got shape ${formatShape(value.shape)}`,
    );
  }
  return [value, pullback(1)];
}

/**
 * The gradient of a function with one-element output, with respect to argument 0
 * (or to each of `opts.argnums`, as an array). Nest it freely: `grad(grad(f))`.
 *
 * @example
 * grad((x) => x.pow(3).sum())(tensor([2])).toArray(); // [12]
 */
export function grad(f: TensorFunction, opts: GradOptions & { argnums: readonly number[] }): (...args: TensorLike[]) => Tensor[];
export function grad(f: TensorFunction, opts?: GradOptions): (...args: TensorLike[]) => Tensor;
export function grad(f: TensorFunction, opts?: GradOptions): (...args: TensorLike[]) => Tensor | Tensor[] {
  return gradAs('grad', f, opts);
}

function gradAs(op: string, f: TensorFunction, opts?: GradOptions): (...args: TensorLike[]) => Tensor | Tensor[] {
  const { argnums, many } = gradSettings(op, f, opts);
  return (...args) => {
    const [, gs] = valueAndCotangents(op, f, args, argnums);
    return many ? gs : gs[0]!;
  };
}

/** Like `grad`, but returns `[value, gradient]` from one evaluation. */
export function valueAndGrad(
  f: TensorFunction,
  opts: GradOptions & { argnums: readonly number[] },
): (...args: TensorLike[]) => [Tensor, Tensor[]];
export function valueAndGrad(f: TensorFunction, opts?: GradOptions): (...args: TensorLike[]) => [Tensor, Tensor];
export function valueAndGrad(f: TensorFunction, opts?: GradOptions): (...args: TensorLike[]) => [Tensor, Tensor | Tensor[]] {
  const { argnums, many } = gradSettings('valueAndGrad', f, opts);
  return (...args) => {
    const [value, gs] = valueAndCotangents('valueAndGrad', f, args, argnums);
    return [value, many ? gs : gs[0]!];
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
