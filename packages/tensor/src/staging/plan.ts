// jit's execution plan: the Program's equations with chains of elementwise ones grouped into
// fused steps, each one kernel over one output shape. The Program itself stays as traced (what
// `lower()` prints, what exporters and the transforms' replay read); only the fast replay runs
// the plan. A group's result equals its equations' bit for bit: a fused kernel performs each
// equation's scalar operation (the one the backend's unfused kernel performs at that size) in
// the same order, and an equation whose kernel no fused kernel reproduces is left out.
import type { DType } from '../dtype.js';
import { shapesEqual } from '../shape.js';
import {
  fusedExpression,
  fusedNodeBuilder,
  trailingReduction,
  type FusedExpression,
  type FusedKernels,
  type FusedNode,
  type FusedReduction,
  type NodeBuilder,
} from '../core/fused.js';
import type { Tensor } from '../core/tensor.js';
import type { Atom, Equation, Program } from './program.js';

/** One step of a replay: an equation as traced, or a fused group of them. */
export type Step = { readonly kind: 'equation'; readonly eq: Equation } | FusedStep;

/**
 * A group of elementwise equations run as one kernel, possibly ending in a reduction of the
 * last one's result; `equations` run instead where the kernel declines.
 */
export interface FusedStep {
  readonly kind: 'fused';
  readonly expr: FusedExpression;
  /** The kernel's operands (program variables or constants), each of the group's shape. */
  readonly operands: readonly Atom[];
  /** The variable the group defines (its last equation's). */
  readonly out: number;
  /** The elementwise equations' shape (the kernel runs over it). */
  readonly shape: readonly number[];
  /** The result's shape: `shape`, or the reduced shape where the group ends in a reduction. */
  readonly outShape: readonly number[];
  readonly dtype: DType;
  readonly equations: readonly Equation[];
}

/** The variable step `s` defines. */
export const stepOutput = (s: Step): number => (s.kind === 'equation' ? s.eq.out : s.out);

/** What a replay runs. */
export interface Plan {
  readonly steps: readonly Step[];
}

const atomDType = (a: Atom, dtypes: ReadonlyMap<number, DType>): DType => ('variable' in a ? dtypes.get(a.variable)! : a.constant.dtype);

/** The node `eq` becomes, given its arguments' nodes, or null where it is not fused. */
function nodeOf(eq: Equation, kernels: FusedKernels, dtypes: ReadonlyMap<number, DType>): NodeBuilder | null {
  const role = eq.prim.elementwise;
  if (role === undefined) return null;
  let size = 1;
  for (const d of eq.shape) size *= d;
  return fusedNodeBuilder(
    role,
    eq.inputs.map((a) => atomDType(a, dtypes)),
    eq.dtype,
    size,
    kernels,
  );
}

/**
 * The plan of `p` for a backend's fused kernels: maximal groups of elementwise equations whose
 * intermediates are read only inside the group and are not outputs (the broadcasts feeding a
 * group stay views, which the kernel reads through their strides), each possibly ended by a
 * reduction over trailing axes that alone reads the group's result and that the kernels
 * reproduce (`FusedKernels.reduces`); nothing takes a reduced group in. Groups of one equation
 * stay equations.
 */
export function planProgram(p: Program, kernels: FusedKernels): Plan {
  const dtypes = new Map<number, DType>();
  for (const i of p.inputs) dtypes.set(i.variable, i.dtype);
  for (const eq of p.equations) dtypes.set(eq.out, eq.dtype);
  const uses = new Map<number, number>();
  for (const eq of p.equations) for (const a of eq.inputs) if ('variable' in a) uses.set(a.variable, (uses.get(a.variable) ?? 0) + 1);
  const outputs = new Set<number>();
  for (const a of p.outputs) if ('variable' in a) outputs.add(a.variable);

  // The group (its equations' indices) whose result each variable is, while it can still grow.
  const groupOf = new Map<number, number[]>();
  const nodes = new Map<number, NodeBuilder>();
  const memberOf = new Map<number, number[]>();
  // The reductions that end groups, by their equation's index.
  const reductions = new Map<number, FusedReduction>();
  p.equations.forEach((eq, index) => {
    const node = nodeOf(eq, kernels, dtypes);
    if (node === null) {
      const input = eq.inputs.length === 1 ? eq.inputs[0]! : null;
      if (input === null || !('variable' in input) || outputs.has(input.variable) || uses.get(input.variable) !== 1) return;
      const inner = groupOf.get(input.variable);
      if (inner === undefined) return;
      const root = p.equations[inner[inner.length - 1]!]!;
      const reduction = trailingReduction(eq.prim, eq.params, root.shape, root.dtype, kernels);
      if (reduction === null || eq.dtype !== root.dtype) return;
      // Closed: the reduced value is not an elementwise one of the group's shape.
      groupOf.delete(input.variable);
      const group = [...inner, index];
      reductions.set(index, reduction);
      for (const i of group) memberOf.set(i, group);
      return;
    }
    nodes.set(index, node);
    const group = [index];
    for (const v of new Set(eq.inputs.flatMap((a) => ('variable' in a ? [a.variable] : [])))) {
      const inner = groupOf.get(v);
      if (inner === undefined || outputs.has(v)) continue;
      const reads = eq.inputs.filter((a) => 'variable' in a && a.variable === v).length;
      if (uses.get(v) !== reads || !shapesEqual(p.equations[inner[inner.length - 1]!]!.shape, eq.shape)) continue;
      group.push(...inner);
      groupOf.delete(v);
    }
    group.sort((x, y) => x - y);
    groupOf.set(eq.out, group);
    for (const i of group) memberOf.set(i, group);
  });

  const steps: Step[] = [];
  p.equations.forEach((eq, index) => {
    const group = memberOf.get(index);
    if (group === undefined || group.length < 2) steps.push({ kind: 'equation', eq });
    else if (group[group.length - 1] === index) steps.push(fusedStep(p, group, nodes, dtypes, reductions.get(index)));
  });
  return { steps };
}

/** The plan of a backend without fused kernels: every equation as it is. */
export function unfusedPlan(p: Program): Plan {
  return { steps: p.equations.map((eq) => ({ kind: 'equation', eq })) };
}

/**
 * The fused step of the equations `group` (indices into p.equations, in order; the last is the
 * root), whose last equation is `reduction`'s where one is given.
 */
function fusedStep(
  p: Program,
  group: readonly number[],
  builders: ReadonlyMap<number, NodeBuilder>,
  dtypes: ReadonlyMap<number, DType>,
  reduction?: FusedReduction,
): FusedStep {
  const nodes: FusedNode[] = [];
  const operands: Atom[] = [];
  const nodeOfVariable = new Map<number, number>();
  const operandNode = new Map<number | Tensor, number>();
  const read = (a: Atom): number => {
    if ('variable' in a) {
      const inner = nodeOfVariable.get(a.variable);
      if (inner !== undefined) return inner;
    }
    const id = 'variable' in a ? a.variable : a.constant;
    let n = operandNode.get(id);
    if (n === undefined) {
      n = nodes.length;
      nodes.push({ kind: 'operand', index: operands.length, dtype: atomDType(a, dtypes) });
      operands.push(a);
      operandNode.set(id, n);
    }
    return n;
  };
  const equations = group.map((i) => p.equations[i]!);
  const elementwise = reduction === undefined ? equations : equations.slice(0, -1);
  for (const [k, eq] of elementwise.entries()) {
    const args = eq.inputs.map(read);
    nodes.push(builders.get(group[k]!)!(args));
    nodeOfVariable.set(eq.out, nodes.length - 1);
  }
  const root = equations[equations.length - 1]!;
  return {
    kind: 'fused',
    expr: fusedExpression(nodes, reduction),
    operands,
    out: root.out,
    shape: elementwise[elementwise.length - 1]!.shape,
    outShape: root.shape,
    dtype: root.dtype,
    equations,
  };
}
