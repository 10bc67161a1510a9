// PyTorch-style autodiff on the imperative level: requiresGrad leaves, backward(), .grad.
import { ArgumentError, DTypeError, NonScalarOutputError, NotDifferentiableError, ShapeError, TraceError, formatShape } from '../errors.js';
import { IMPERATIVE_LEVEL, isRecording, newNode, traceAt } from '../core/trace.js';
import { Tensor, contiguousData, isContiguousView } from '../core/tensor.js';
import { allocate, allocateUnfilled, isFloating, type TypedArray } from '../dtype.js';
import { fromArray } from '../core/tensor.js';
import { keepInScope, noteHeldOutside, outsideScopes } from '../core/scope.js';
import { shapesEqual } from '../shape.js';
import { backprop, backpropMany, releaseFrom } from './backprop.js';
import type { Node } from '../core/tensor.js';
import { type PyTree, type TreeDef, expectSameStructure, flattenNamed, placeIn, unflattenAs } from '../tree.js';
import type { Gradient } from './transforms.js';
import { describe, expectBoolean, expectOptions } from '../arguments.js';
import { expectTensor } from '../ops/operand.js';

/** Options of `tensor.backward()`, as PyTorch's `Tensor.backward`. */
export interface BackwardOptions {
  /** The cotangent ∂L/∂self; required unless the tensor has one element. */
  gradient?: Tensor | number;
  /** Keep the graph so that backward can run through it again. Default: `createGraph`. */
  retainGraph?: boolean;
  /** Record the backward pass itself, so that the `.grad`s can be differentiated again. */
  createGraph?: boolean;
}

/** The imperative trace of `t` if it is an imperative leaf. */
function leafTrace(t: Tensor) {
  const trace = t._trace;
  return trace !== null && trace.kind === 'reverse' && trace.level === IMPERATIVE_LEVEL && trace.node.prim === null ? trace : null;
}

export function isLeaf(t: Tensor): boolean {
  return t._trace === null || leafTrace(t) !== null;
}

export function requiresGrad(t: Tensor): boolean {
  const trace = t._trace;
  return trace !== null && trace.level === IMPERATIVE_LEVEL;
}

/** Makes `t` a leaf of the imperative graph, or stops it being one. Only leaves may change. */
export function setRequiresGrad(t: Tensor, flag: boolean): void {
  expectBoolean('requiresGrad', 'the flag', flag);
  if (flag && !isFloating(t.dtype)) {
    throw new NotDifferentiableError(
      `requiresGrad: a ${t.dtype} tensor cannot require grad; only float32 and float64 tensors can be differentiated`,
    );
  }
  if (!isLeaf(t)) {
    throw new ArgumentError('requiresGrad: only leaf tensors can change requiresGrad; use detach() to get a leaf from a computed tensor');
  }
  const trace = leafTrace(t);
  if (flag && trace === null) {
    // The leaf's own handle on its view lives as long as the leaf, not as a tidy scope.
    const primal = outsideScopes(() => new Tensor(t._view));
    // The primal shares t's array (and the tape will read it).
    t._owns = false;
    const node = newNode(IMPERATIVE_LEVEL, null, undefined, primal, [], null);
    t._trace = { kind: 'reverse', level: IMPERATIVE_LEVEL, primal, node };
  } else if (!flag && trace !== null) {
    t._trace = null;
  }
}

export function getGrad(t: Tensor): Tensor | null {
  return leafTrace(t)?.node.grad ?? null;
}

export function setGrad(t: Tensor, value: Tensor | null): void {
  const trace = leafTrace(t);
  if (trace === null) throw new ArgumentError('grad: only leaf tensors with requiresGrad have a .grad to set');
  if (value !== null) {
    if (!(value instanceof Tensor)) throw new ArgumentError(`grad: expected a Tensor or null, got ${describe(value)}`);
    if (!shapesEqual(value.shape, t.shape))
      throw new ShapeError(`grad: assigned gradient has shape ${formatShape(value.shape)}, expected ${formatShape(t.shape)}`);
    if (value.dtype !== t.dtype) throw new DTypeError(`grad: assigned gradient has dtype ${value.dtype}, expected ${t.dtype}`);
  }
  trace.node.grad = value;
  // A gradient stored on a leaf outlives the tidy scope it was set in.
  if (value !== null) keepInScope(value);
}

/** Replaces the contents of a leaf in place (optimisers use it); recorded graphs keep the old values. */
export function assign(t: Tensor, value: Tensor): void {
  if (isRecording())
    throw new TraceError(
      'assign: a jit-traced function cannot change tensors in place (the change would happen only while tracing); return the new value instead',
    );
  if (!isLeaf(t)) throw new ArgumentError('assign: only leaf tensors can be assigned to');
  expectTensor('assign', 'the value', value);
  if (!shapesEqual(value.shape, t.shape))
    throw new ShapeError(`assign: value has shape ${formatShape(value.shape)}, expected ${formatShape(t.shape)}`);
  // A tensor's array is never written once made (assign replaces a leaf's view, data() copies;
  // only a jit replay's intermediates reuse buffers, and none reaches a tensor it returns), so
  // the leaf can take the value's own array, or the fresh copy of a strided value, as it is: no
  // allocation and no copy. Part of a larger array is copied (the leaf would keep all of it
  // alive), and another dtype converted.
  const view = value._view;
  const contiguous = isContiguousView(view);
  const own = !contiguous || (view.offset === 0 && view.data.length === t.size);
  let data: TypedArray;
  if (own && value.dtype === t.dtype) data = contiguousData(value);
  else {
    data = allocateUnfilled(t.dtype, t.size);
    data.set(contiguousData(value));
  }
  const fresh = outsideScopes(() => fromArray(data, t.shape, t.dtype));
  // The leaf keeps the array past the end of an open tidy scope it was not made in.
  noteHeldOutside(t, data);
  // The leaf may now hold value's own array: neither holds it alone.
  value._owns = false;
  t._owns = false;
  t._view = fresh._view;
  // The tape's handle on the old view must not keep the old array alive until the next read.
  t._handle = undefined;
  const trace = leafTrace(t);
  if (trace !== null) t._trace = { ...trace, primal: fresh };
}

/** Runs the reverse walk from `t` and accumulates into the `.grad` of every leaf it reaches. */
export function backward(t: Tensor, options?: BackwardOptions): void {
  // The .grad updates would happen once, while tracing, and never in a replay.
  if (isRecording())
    throw new TraceError(
      'backward: a jit-traced function cannot accumulate into .grad; differentiate it with valueAndGrad inside jit, or call backward() on the result of the jitted function',
    );
  const opts = expectOptions('backward', options);
  const createGraph = expectBoolean('backward', 'createGraph', opts.createGraph, false);
  const retainGraph = expectBoolean('backward', 'retainGraph', opts.retainGraph, createGraph);
  const trace = traceAt(t, IMPERATIVE_LEVEL);
  if (trace === null || trace.kind !== 'reverse') {
    throw new NotDifferentiableError(
      `backward: the tensor ${formatShape(t.shape)} does not require grad (no input had requiresGrad, or it was computed under noGrad)`,
    );
  }
  let g: Tensor;
  if (opts.gradient === undefined) {
    if (t.size !== 1) {
      throw new NonScalarOutputError(
        `backward: the tensor has shape ${formatShape(t.shape)}; pass { gradient } for a tensor with more than one element`,
      );
    }
    g = fromArray(allocate(t.dtype, 1).fill(1), t.shape, t.dtype);
  } else if (typeof opts.gradient === 'number') {
    if (t.size !== 1) throw new ShapeError(`backward: a number gradient needs a one-element tensor, got ${formatShape(t.shape)}`);
    g = fromArray(allocate(t.dtype, 1).fill(opts.gradient), t.shape, t.dtype);
  } else {
    expectTensor('backward', 'the gradient', opts.gradient);
    if (!shapesEqual(opts.gradient.shape, t.shape)) {
      throw new ShapeError(
        `backward: gradient has shape ${formatShape(opts.gradient.shape)}, expected the tensor's shape ${formatShape(t.shape)}`,
      );
    }
    g = opts.gradient.astype(t.dtype);
  }
  const leaves = backprop(trace.node, g, {
    recordBackward: createGraph,
    release: !retainGraph,
    caller: 'backward',
  });
  // Accumulate only once the whole walk has succeeded: a failed backward changes no .grad.
  for (const [node, ct] of leaves) {
    node.grad = node.grad === null ? ct : node.grad.add(ct);
    keepInScope(node.grad);
  }
}

/** Options of `gradients`, as PyTorch's `torch.autograd.grad`. */
export interface GradientsOptions {
  /**
   * The cotangent of each output (a pytree shaped like `outputs`; a number for a one-element
   * output; `null` for zero). Default: 1 for every output, which must then have one element.
   */
  gradOutputs?: PyTree;
  /** Keep the graph so that it can be walked again. Default: `createGraph`. */
  retainGraph?: boolean;
  /** Record the walk, so that the gradients can be differentiated again (second order). */
  createGraph?: boolean;
  /** An input the outputs do not depend on gets `null` instead of an error. Default false. */
  allowUnused?: boolean;
}

/**
 * The gradients of `outputs` with respect to `inputs` (tensors that require grad, leaves or
 * not), as PyTorch's `torch.autograd.grad`: returned in the structure of `inputs` (a tensor, or
 * a pytree of tensors), with no `.grad` anywhere touched. `createGraph` makes the result
 * differentiable, for second-order terms such as a physics-informed loss.
 *
 * @example
 * const x = tensor([1, 2], { requiresGrad: true });
 * const y = x.pow(3).sum();
 * const [dx] = gradients(y, [x], { createGraph: true }); // 3x², itself differentiable
 * dx.sum().backward(); // x.grad = 6x
 */
export function gradients<T extends PyTree>(outputs: PyTree, inputs: T, options?: GradientsOptions): Gradient<T> {
  const op = 'gradients';
  const opts = expectOptions(op, options);
  const createGraph = expectBoolean(op, 'createGraph', opts.createGraph, false);
  const retainGraph = expectBoolean(op, 'retainGraph', opts.retainGraph, createGraph);
  const allowUnused = expectBoolean(op, 'allowUnused', opts.allowUnused, false);
  const outPaths: string[] = [];
  const [outs, outDef] = flattenNamed(op, outputs, 'outputs', outPaths);
  const roots = outs.map((o, i) => {
    if (!(o instanceof Tensor)) throw new ArgumentError(`${op}: ${placeIn('outputs', outPaths[i]!)} is ${describe(o)}, expected a Tensor`);
    const trace = traceAt(o, IMPERATIVE_LEVEL);
    if (trace === null || trace.kind !== 'reverse') {
      throw new NotDifferentiableError(
        `${op}: ${placeIn('outputs', outPaths[i]!)} does not require grad (no input had requiresGrad, or it was computed under noGrad)`,
      );
    }
    return trace.node;
  });
  const cts = seedsFor(op, outs as Tensor[], outDef, outPaths, opts.gradOutputs);
  const inPaths: string[] = [];
  const [ins, inDef] = flattenNamed(op, inputs, 'inputs', inPaths);
  const wanted = ins.map((x, i) => {
    if (!(x instanceof Tensor)) throw new ArgumentError(`${op}: ${placeIn('inputs', inPaths[i]!)} is ${describe(x)}, expected a Tensor`);
    const trace = traceAt(x, IMPERATIVE_LEVEL);
    if (trace === null || trace.kind !== 'reverse')
      throw new NotDifferentiableError(`${op}: ${placeIn('inputs', inPaths[i]!)} does not require grad`);
    return trace.node;
  });
  const seeds = new Map<Node, Tensor>();
  roots.forEach((node, i) => {
    const g = cts[i];
    if (g === null || g === undefined) return;
    const previous = seeds.get(node);
    seeds.set(node, previous === undefined ? g : previous.add(g));
  });
  // Release only after the check for unused inputs: a failed call leaves the graph as it was.
  const found = backpropMany(seeds, { recordBackward: createGraph, release: false, caller: op }, new Set(wanted));
  const grads = wanted.map((node, i) => {
    const g = found.get(node);
    if (g !== undefined) return g;
    if (allowUnused) return null;
    throw new NotDifferentiableError(
      `${op}: ${placeIn('inputs', inPaths[i]!)} is not used to compute the outputs; pass { allowUnused: true } to get null for it`,
    );
  });
  if (!retainGraph) releaseFrom(seeds.keys());
  return unflattenAs(inDef, grads) as Gradient<T>;
}

/** The cotangent of each output leaf from `gradOutputs` (default: 1 for one-element outputs). */
function seedsFor(
  op: string,
  outs: readonly Tensor[],
  outDef: TreeDef,
  paths: readonly string[],
  given: PyTree | undefined,
): (Tensor | null)[] {
  if (given === undefined) {
    return outs.map((o, i) => {
      if (o.size !== 1) {
        throw new NonScalarOutputError(
          `${op}: ${placeIn('outputs', paths[i]!)} has shape ${formatShape(o.shape)}; pass { gradOutputs } for outputs with more than one element`,
        );
      }
      return fromArray(allocate(o.dtype, 1).fill(1), o.shape, o.dtype);
    });
  }
  const [gs, def] = flattenNamed(op, given, 'gradOutputs');
  expectSameStructure(op, outDef, def, ['outputs', 'gradOutputs']);
  return gs.map((g, i) => {
    const o = outs[i]!;
    const where = placeIn('gradOutputs', paths[i]!);
    if (g === null) return null;
    if (typeof g === 'number') {
      if (o.size !== 1) throw new ShapeError(`${op}: a number at ${where} needs a one-element output, got shape ${formatShape(o.shape)}`);
      return fromArray(allocate(o.dtype, 1).fill(g), o.shape, o.dtype);
    }
    if (!shapesEqual(g.shape, o.shape)) {
      throw new ShapeError(`${op}: ${where} has shape ${formatShape(g.shape)}, expected the output's shape ${formatShape(o.shape)}`);
    }
    return g.astype(o.dtype);
  });
}
