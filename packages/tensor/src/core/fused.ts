// The bridge from fused elementwise expressions (jit's plan, staging/plan.ts, and eager
// deferred results, core/deferred.ts) to the active backend's fused kernels: which primitive
// becomes which node, and running an expression. Staging never reaches the backend itself.
import type { DType } from '../dtype.js';
import type { FusedExpression, FusedKernels, FusedNode, FusedReduction } from '../backend/backend.js';
import { activeBackend } from '../backend/registry.js';
import { FRESH_OUTPUT, type ElementwiseRole, type OutputTarget, type Primitive } from './primitive.js';
import { shapeSize } from '../shape.js';
import { fromArray, type Tensor } from './tensor.js';

export type { FusedExpression, FusedKernels, FusedNode, FusedReduction };

let ran = 0;

const FLOAT: ReadonlySet<DType> = new Set(['float32', 'float64']);
// Binary kernels of float operands into a float result: the reference function's float64
// result rounded by the store (int32 outputs wrap instead, so they are never fused).
const FLOAT_BINARY: ReadonlySet<string> = new Set(['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'atan2', 'copysign', 'hypot']);
const COMPARISONS: ReadonlySet<string> = new Set(['greater', 'greaterEqual', 'less', 'lessEqual', 'equal', 'notEqual']);

/** Makes a node from the nodes of its arguments. */
export type NodeBuilder = (args: readonly number[]) => FusedNode;

/**
 * The node an elementwise primitive of `role` becomes, from `inputs` (dtypes) to `dtype` over
 * `size` elements, given its arguments' nodes; null where no fused kernel reproduces it (a
 * unary kernel is the function `kernels`' unfused kernel computes at that size, so a fused
 * result equals the unfused one bit for bit).
 */
export function fusedNodeBuilder(
  role: ElementwiseRole,
  inputs: readonly DType[],
  dtype: DType,
  size: number,
  kernels: FusedKernels,
): NodeBuilder | null {
  switch (role.kind) {
    case 'unary': {
      if (!FLOAT.has(dtype) || role.kernel === 'bitwiseNot') return null;
      const variant = kernels.unaryVariant(role.kernel, inputs[0]!, dtype, size);
      if (variant === null) return null;
      const { kernel } = role;
      return ([x]) => ({ kind: 'unary', kernel, args: [x!], dtype, native: variant === 'native' });
    }
    case 'binary': {
      const floats = FLOAT.has(dtype) && FLOAT_BINARY.has(role.kernel) && inputs.every((d) => d === dtype);
      const comparison = dtype === 'bool' && COMPARISONS.has(role.kernel);
      const { kernel } = role;
      return floats || comparison ? ([x, y]) => ({ kind: 'binary', kernel, args: [x!, y!], dtype }) : null;
    }
    case 'where':
      return FLOAT.has(dtype) && inputs[1] === dtype && inputs[2] === dtype
        ? ([c, x, y]) => ({ kind: 'where', args: [c!, x!, y!], dtype })
        : null;
    case 'cast':
      return FLOAT.has(dtype) || dtype === 'bool' ? ([x]) => ({ kind: 'cast', args: [x!], dtype }) : null;
  }
}

/** The structure of an expression in one string: each node's operation, dtype and arguments. */
export function structureKey(nodes: readonly FusedNode[]): string {
  return nodes
    .map((n) => {
      const what =
        n.kind === 'operand'
          ? `in${n.index}`
          : n.kind === 'unary'
            ? `${n.kernel}${n.native ? '*' : ''}`
            : n.kind === 'binary'
              ? n.kernel
              : n.kind;
      return `${what}:${n.dtype}${n.kind === 'operand' ? '' : `(${n.args.join(',')})`}`;
    })
    .join(' ');
}

/** The expression of `nodes`, ending in `reduction` where one is given, with its structure key. */
export function fusedExpression(nodes: readonly FusedNode[], reduction?: FusedReduction): FusedExpression {
  const key = structureKey(nodes);
  return reduction === undefined ? { key, nodes } : { key: `${key} | ${reduction.op}(${reduction.axes})`, nodes, reduction };
}

/**
 * The reduction a fused kernel of `kernels` may end in for `prim` (with `params`) over a `dtype`
 * value of `shape`: a reduction primitive over a trailing run of axes that the kernels reproduce
 * (`FusedKernels.reduces`); null otherwise.
 */
export function trailingReduction<P>(
  prim: Primitive<P>,
  params: P,
  shape: readonly number[],
  dtype: DType,
  kernels: FusedKernels,
): FusedReduction | null {
  if (prim.reduction === undefined || kernels.reduces === undefined) return null;
  const { kernel, axes } = prim.reduction(params);
  const first = shape.length - axes.length;
  if (axes.length === 0 || !axes.every((axis, i) => axis === first + i)) return null;
  const reduction: FusedReduction = { op: kernel, axes: axes.length };
  return kernels.reduces(reduction, dtype, shape) ? reduction : null;
}

/** The active backend's fused kernels, or undefined where it has none (then nothing is fused). */
export function fusedKernels(): FusedKernels | undefined {
  return activeBackend().fused;
}

/**
 * `expr` over `shape` from `operands` (each of that shape) as a tensor of `outShape` (the reduced
 * shape where `expr` ends in a reduction) on an array from `target`, or null where `kernels`
 * cannot run it.
 */
export function runFused(
  kernels: FusedKernels,
  expr: FusedExpression,
  operands: readonly Tensor[],
  shape: readonly number[],
  dtype: DType,
  target: OutputTarget = FRESH_OUTPUT,
  outShape: readonly number[] = shape,
): Tensor | null {
  const out = target.array(dtype, shapeSize(outShape));
  if (
    !kernels.run(
      expr,
      operands.map((x) => x._view),
      shape,
      out,
    )
  )
    return null;
  ran++;
  return fromArray(out, outShape, dtype);
}

/** How many fused steps have run in this process (tests check that fusion happened). */
export function fusedStepsRun(): number {
  return ran;
}
