// PyTorch-style autodiff on the imperative level: requiresGrad leaves, backward(), .grad.
import { ArgumentError, DTypeError, NonScalarOutputError, NotDifferentiableError, ShapeError, TraceError, formatShape } from '../errors.js';
import { IMPERATIVE_LEVEL, isRecording, newNode, traceAt } from '../core/trace.js';
import { Tensor, contiguousData } from '../core/tensor.js';
import { allocate, isFloating } from '../dtype.js';
import { fromArray } from '../core/tensor.js';
import { shapesEqual } from '../shape.js';
import { backprop } from './backprop.js';
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
    const primal = new Tensor(t._view);
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
  const data = allocate(t.dtype, t.size);
  data.set(contiguousData(value));
  const fresh = fromArray(data, t.shape, t.dtype);
  t._view = fresh._view;
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
  for (const [node, ct] of leaves) node.grad = node.grad === null ? ct : node.grad.add(ct);
}
