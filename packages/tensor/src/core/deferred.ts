// Eager fusion: an elementwise operation on large operands returns a tensor whose view is
// pending, an expression over the views of its operands; an elementwise operation on pending
// tensors extends the expression instead of running. The value is computed at the first read
// of the view's array (a kernel of another op, data(), item(), printing), as one fused kernel
// of the backend that was active when the operations were called. Every node performs the
// scalar operation that operation's unfused kernel performs at that size, in the same order, so
// a deferred result is the eager result bit for bit (core/fused.ts).
//
// Arrays are never written once made (assign swaps a tensor's view), so the views an expression
// captured still hold their values when it runs, however late.
import type { Backend, FusedKernels, FusedNode } from '../backend/backend.js';
import { activeBackend, withStandIn } from '../backend/registry.js';
import { allocateUnfilled, type DType, type TypedArray } from '../dtype.js';
import { contiguousStrides, shapeSize, shapesEqual } from '../shape.js';
import { fusedExpression, fusedNodeBuilder, trailingReduction, type FusedReduction, type NodeBuilder } from './fused.js';
import { NotingOutput, type AbstractValue, type Primitive, type ShapedPrimitive } from './primitive.js';
import { Tensor, type View } from './tensor.js';
import { noteHeldOutside } from './scope.js';

/**
 * Results smaller than this run at once: below it the work of building an expression costs
 * about what running the kernel does, and the per-op overhead of small tensors is what counts.
 */
export const DEFER_MIN_ELEMENTS = 1024;
/** Most nodes of one expression (its kernel is compiled per structure); past it, operands are computed first. */
const MAX_NODES = 32;
/** Most distinct operands of one expression (each is a parameter of its kernel). */
const MAX_OPERANDS = 8;

/** How node k runs on its own, where the fused kernel declines: its primitive (null for an operand). */
interface NodeStep {
  readonly prim: Primitive;
  readonly params: unknown;
}

let computed = 0;
let deferring = true;

/** Turns deferral off (every operation runs at once) or on again. For tests: the results must not change. */
export function setDeferring(on: boolean): void {
  deferring = on;
}

/** How many deferred expressions have been computed in this process (tests check that fusion happened). */
export function deferredComputed(): number {
  return computed;
}

/** Whether `t`'s value is still pending (its view's array not read yet). */
export function isPending(t: Tensor): boolean {
  return t._view instanceof PendingView && t._view.pending;
}

/**
 * A view whose shape and dtype are known and whose array, offset and strides are computed at the
 * first read of any of them. The three are accessors on the prototype, so a view must never be
 * copied by spreading (`{ ...view }` would leave them out): `viewWithData` copies one. A class,
 * not an object literal with its own accessors: with those, a loop of deferred operations ran 89
 * full garbage collections where the same loop unfused ran 2 (`--trace-gc`), and collection took
 * ten times as long.
 */
class PendingView implements View {
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** The expression, until it is computed. */
  expression: DeferredExpression | null;
  private computed: View | null = null;
  /** The tensor made for this view: it takes the computed view, so later reads skip the accessors. */
  owner: Tensor | null = null;
  constructor(expression: DeferredExpression) {
    this.expression = expression;
    this.shape = expression.shape;
    this.dtype = expression.dtype;
  }
  private value(): View {
    if (this.computed === null) {
      const expression = this.expression!;
      this.computed = expression.compute();
      this.expression = null;
      if (this.owner !== null && this.owner._view === this) {
        this.owner._view = this.computed;
        // A value made before the open tidy scope, computed inside it, keeps its array past the scope's end.
        noteHeldOutside(this.owner, this.computed.data);
        // The owner holds the array alone if the kernel made it for this value and nothing came
        // to share it while it was pending (which cleared the flag; see Tensor.dispose).
        if (this.computed.data !== expression.madeArray) this.owner._owns = false;
      }
      this.owner = null;
    }
    return this.computed;
  }
  /** Whether the value is still to be computed (Tensor.dispose drops such a view unread). */
  get pending(): boolean {
    return this.expression !== null;
  }
  get data(): View['data'] {
    return this.value().data;
  }
  get offset(): number {
    return this.value().offset;
  }
  get strides(): readonly number[] {
    return this.value().strides;
  }
}

/** An input of a deferred expression: a pending expression whose nodes it takes in, or a computed view it reads. */
type ExpressionInput = DeferredExpression | View;

/**
 * One deferred operation over its inputs: the expression it roots is flattened into nodes only
 * when computed, so deferring an operation copies nothing (copying a pending input's nodes at
 * each operation made a chain of k operations cost k² node copies).
 */
class DeferredExpression {
  /** How many later expressions took this one's nodes in: a second reader computes it instead (no work is repeated more than once). */
  inlined = 0;
  /** The array the fused kernel wrote (null until then, or where the operations ran one by one). */
  madeArray: TypedArray | null = null;
  constructor(
    readonly shape: readonly number[],
    readonly dtype: DType,
    /** This operation's node, from its arguments' nodes. */
    private readonly node: NodeBuilder,
    /** How it runs on its own, where the fused kernel declines. */
    private readonly step: NodeStep,
    private readonly inputs: readonly ExpressionInput[],
    /** Operations in the flattened expression (this one and every one taken in). */
    readonly ops: number,
    /** The distinct computed views the flattened expression reads, in the order it first reads them. */
    readonly operands: readonly View[],
    readonly backend: Backend,
    readonly kernels: FusedKernels,
  ) {}

  /** Nodes of the flattened expression: its operands and operations. */
  get size(): number {
    return this.ops + this.operands.length;
  }

  /**
   * The expression as nodes in argument order (each taken-in expression's nodes before the node
   * that reads it, every operand at its first use, numbered as in `operands`), with each node's
   * step (null for an operand).
   */
  private flatten(): { nodes: FusedNode[]; steps: (NodeStep | null)[] } {
    const nodes: FusedNode[] = [];
    const steps: (NodeStep | null)[] = [];
    const operandNode = new Map<View, number>();
    // An expression read twice by one operation (x.mul(x)) is one node, read twice.
    const expressionNode = new Map<DeferredExpression, number>();
    const visit = (e: DeferredExpression): number => {
      const args = e.inputs.map((x) => {
        if (x instanceof DeferredExpression) return expressionNode.get(x) ?? visit(x);
        let n = operandNode.get(x);
        if (n === undefined) {
          n = nodes.length;
          nodes.push({ kind: 'operand', index: operandNode.size, dtype: x.dtype });
          steps.push(null);
          operandNode.set(x, n);
        }
        return n;
      });
      nodes.push(e.node(args));
      steps.push(e.step);
      expressionNode.set(e, nodes.length - 1);
      return nodes.length - 1;
    };
    visit(this);
    return { nodes, steps };
  }

  compute(): View {
    computed++;
    // One operation alone runs as its own kernel: a fused kernel of one node saves nothing, and
    // on the WASM backend, which stages it in blocks, it is slower than the operation's own.
    if (this.ops === 1) return withStandIn(this.backend, () => this.unfused(this.flatten()));
    const flat = this.flatten();
    const out = allocateUnfilled(this.dtype, shapeSize(this.shape));
    const view: View = { data: out, offset: 0, strides: contiguousStrides(this.shape), shape: this.shape, dtype: this.dtype };
    if (this.kernels.run(fusedExpression(flat.nodes), this.operands, this.shape, out)) {
      this.madeArray = out;
      return view;
    }
    // The fused kernel declined (say, a float32 approximation with no SIMD kernel for these
    // operands): each node runs as its own primitive, on the backend of the call.
    return withStandIn(this.backend, () => this.unfused(flat));
  }

  /**
   * The expression reduced by `reduction` into a fresh tensor of `shape`, in one fused kernel
   * that never writes the elementwise values out; null where the kernel declines (then the
   * caller computes the expression and reduces it).
   */
  reduced(reduction: FusedReduction, shape: readonly number[]): Tensor | null {
    const flat = this.flatten();
    const out = allocateUnfilled(this.dtype, shapeSize(shape));
    if (!this.kernels.run(fusedExpression(flat.nodes, reduction), this.operands, this.shape, out)) return null;
    computed++;
    const result = new Tensor({ data: out, offset: 0, strides: contiguousStrides(shape), shape, dtype: this.dtype });
    result._owns = true;
    return result;
  }

  private unfused({ nodes, steps }: { nodes: readonly FusedNode[]; steps: readonly (NodeStep | null)[] }): View {
    const values: Tensor[] = [];
    // Notes the last node's result array, as the eval level does (see Tensor.dispose).
    const target = new NotingOutput();
    for (const [k, node] of nodes.entries()) {
      const step = steps[k]!;
      target.reset();
      values.push(
        node.kind === 'operand'
          ? new Tensor(this.operands[node.index]!)
          : step!.prim.impl(
              node.args.map((a) => values[a]!),
              step!.params,
              target,
            ),
      );
    }
    const last = values[values.length - 1]!;
    if (target.madeFor(steps[steps.length - 1]!.prim, last)) this.madeArray = last._view.data;
    return last._view;
  }
}

/**
 * `prim` (elementwise) applied to untraced `inputs` as a pending tensor, or null where it runs
 * at once: no fused kernels on the active backend, inputs not of the result's shape (broadcasts
 * arrive as views of that shape), or an operation no fused kernel reproduces. The caller (the
 * eval level) has already found the result at least DEFER_MIN_ELEMENTS large: that test runs
 * before the call, since for small tensors it is the whole cost of eager fusion.
 */
export function deferElementwise<P>(prim: Primitive<P>, inputs: readonly Tensor[], params: P): Tensor | null {
  if (!deferring) return null;
  const role = prim.elementwise!;
  const backend = activeBackend();
  const kernels = backend.fused;
  if (kernels === undefined || !('shape' in prim)) return null;
  const out: AbstractValue = (prim as ShapedPrimitive<P>).shape(inputs, params);
  const size = shapeSize(out.shape);
  for (const x of inputs) if (!shapesEqual(x.shape, out.shape)) return null;
  const builder = fusedNodeBuilder(
    role,
    inputs.map((x) => x.dtype),
    out.dtype,
    size,
    kernels,
  );
  if (builder === null) return null;
  // Whether the fused kernel covers the expression is decided node by node (see
  // FusedKernels.vectorizes): the expressions taken in were checked when deferred, so this
  // operation is checked over its inputs alone, each an operand of its dtype.
  if (kernels.vectorizes !== undefined) {
    const alone: FusedNode[] = inputs.map((x, index) => ({ kind: 'operand', index, dtype: x.dtype }));
    alone.push(builder(inputs.map((_, k) => k)));
    if (!kernels.vectorizes(alone)) return null;
  }

  // A pending input's nodes are taken in while the kernel stays small; any other input is read now.
  let ops = 1;
  const operands: View[] = [];
  const taken: ExpressionInput[] = [];
  const addOperand = (view: View): void => {
    if (!operands.includes(view)) operands.push(view);
  };
  for (const [k, x] of inputs.entries()) {
    // The same pending tensor twice (x.mul(x), square): taken in once, its node read twice.
    const again = inputs.indexOf(x);
    if (again < k) {
      taken.push(taken[again]!);
      continue;
    }
    const d = x._view instanceof PendingView ? x._view.expression : null;
    if (
      d !== null &&
      d.inlined === 0 &&
      d.kernels === kernels &&
      ops - 1 + operands.length + d.size < MAX_NODES &&
      operands.length + d.operands.length <= MAX_OPERANDS
    ) {
      d.inlined++;
      ops += d.ops;
      for (const view of d.operands) addOperand(view);
      taken.push(d);
      continue;
    }
    if (operands.length >= MAX_OPERANDS) return null;
    // Read now, so the expression holds computed views only (a pending one is computed here).
    void x._view.data;
    // The expression reads x's array when it runs, however late: x no longer holds it alone.
    x._owns = false;
    addOperand(x._view);
    taken.push(x._view);
  }
  const expression = new DeferredExpression(
    out.shape,
    out.dtype,
    builder,
    { prim: prim as Primitive, params },
    taken,
    ops,
    operands,
    backend,
    kernels,
  );
  const view = new PendingView(expression);
  const result = new Tensor(view);
  view.owner = result;
  // Held alone until something shares it; confirmed when computed.
  result._owns = true;
  return result;
}

/**
 * `prim` (a reduction) of the pending tensor `x` as one fused kernel of `x`'s expression ending
 * in the reduction, or null where it runs as usual (on `x`'s computed value): `x` not pending,
 * its expression already taken in by another one, deferred on another backend than the active
 * one, or a reduction its kernels do not reproduce (`FusedKernels.reduces`). `x` stays pending:
 * a later read computes it, and no later expression takes it in (its work is repeated at most
 * once, as for any pending value with two readers).
 */
export function reducePending<P>(prim: Primitive<P>, x: Tensor, params: P): Tensor | null {
  const view = x._view;
  if (!deferring || !(view instanceof PendingView) || !('shape' in prim)) return null;
  const d = view.expression;
  if (d === null || d.inlined !== 0 || d.backend !== activeBackend()) return null;
  const reduction = trailingReduction(prim, params, d.shape, d.dtype, d.kernels);
  if (reduction === null) return null;
  const out = (prim as ShapedPrimitive<P>).shape([x], params);
  if (out.dtype !== d.dtype) return null;
  const result = d.reduced(reduction, out.shape);
  if (result !== null) d.inlined++;
  return result;
}
