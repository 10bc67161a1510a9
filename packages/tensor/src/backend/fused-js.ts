// The fused elementwise kernel in JavaScript: one loop per expression structure, generated with
// `new Function` and cached by key, doing per element what the unfused kernels do per array
// (the same scalar functions, a float32 rounding after every float32 operation).
import type { DType, TypedArray } from '../dtype.js';
import type { FusedExpression, FusedNode, StridedView, UnaryKernel } from './backend.js';
import { BINARY, UNARY } from './js.js';
import { forEachRow } from './odometer.js';

/** Runs one collapsed row: `out[o .. o+n)` from operand `k` at `starts[k]`, stepping `steps[k]`. */
type RowKernel = (out: TypedArray, o: number, n: number, data: readonly TypedArray[], starts: number[], steps: number[]) => void;

// null: the host refused to compile it (a page whose Content-Security-Policy forbids eval).
const kernels = new Map<string, RowKernel | null>();

// Operators written inline (a call through the table per element costs several times more).
const INLINE_BINARY: Partial<Record<string, (a: string, b: string) => string>> = {
  add: (a, b) => `${a} + ${b}`,
  sub: (a, b) => `${a} - ${b}`,
  mul: (a, b) => `${a} * ${b}`,
  div: (a, b) => `${a} / ${b}`,
  greater: (a, b) => `(${a} > ${b} ? 1 : 0)`,
  greaterEqual: (a, b) => `(${a} >= ${b} ? 1 : 0)`,
  less: (a, b) => `(${a} < ${b} ? 1 : 0)`,
  lessEqual: (a, b) => `(${a} <= ${b} ? 1 : 0)`,
  equal: (a, b) => `(${a} === ${b} ? 1 : 0)`,
  notEqual: (a, b) => `(${a} !== ${b} ? 1 : 0)`,
};

/** The expression of node `i` given its arguments' temporaries; functions are `F[i]`. */
function nodeCode(node: FusedNode, i: number, arg: (k: number) => string): string {
  switch (node.kind) {
    case 'operand':
      return `d${node.index}[i${node.index}]`;
    case 'unary':
      return node.kernel === 'neg' ? `-${arg(0)}` : `F[${i}](${arg(0)})`;
    case 'binary': {
      const inline = INLINE_BINARY[node.kernel];
      return inline ? inline(arg(0), arg(1)) : `F[${i}](${arg(0)}, ${arg(1)})`;
    }
    case 'where':
      return `(${arg(0)} !== 0 ? ${arg(1)} : ${arg(2)})`;
    case 'cast':
      // To bool is "not zero" (NaN included), as the cast primitive's notEqual; to a float
      // dtype a copy, whose float32 store rounds (done below).
      return node.dtype === 'bool' ? `(${arg(0)} !== 0 ? 1 : 0)` : arg(0);
  }
}

/** Whether a float32 result must be rounded: every operation but a read or a selection of float32 values. */
const rounds = (node: FusedNode, dtypeOf: (k: number) => DType): boolean =>
  node.dtype === 'float32' &&
  node.kind !== 'operand' &&
  node.kind !== 'where' &&
  !(node.kind === 'cast' && dtypeOf(node.args[0]) === 'float32');

function compile(expr: FusedExpression): RowKernel {
  const { nodes } = expr;
  const operands = Math.max(...nodes.map((n) => (n.kind === 'operand' ? n.index + 1 : 0)));
  const head: string[] = [];
  const step: string[] = [];
  for (let k = 0; k < operands; k++) {
    head.push(`const d${k} = data[${k}]; let i${k} = starts[${k}]; const s${k} = steps[${k}];`);
    step.push(`i${k} += s${k};`);
  }
  const body: string[] = [];
  const dtypeOf = (k: number): DType => nodes[k]!.dtype;
  nodes.forEach((node, i) => {
    const code = nodeCode(node, i, (k) => `t${(node as { args: readonly number[] }).args[k]!}`);
    body.push(`const t${i} = ${rounds(node, dtypeOf) ? `Math.fround(${code})` : code};`);
  });
  const source = `"use strict"; return function fused(out, o, n, data, starts, steps) {
  ${head.join('\n  ')}
  for (let j = o, end = o + n; j < end; j++) {
    ${body.join('\n    ')}
    out[j] = t${nodes.length - 1};
    ${step.join(' ')}
  }
};`;
  const functions = nodes.map((node) =>
    node.kind === 'unary' ? UNARY[node.kernel] : node.kind === 'binary' ? BINARY[node.kernel] : undefined,
  );
  return new Function('F', source)(functions) as RowKernel;
}

/** The kernel of `expr`, compiled at its first use, or null where code cannot be generated here. */
function kernelOf(expr: FusedExpression): RowKernel | null {
  let k = kernels.get(expr.key);
  if (k === undefined) {
    try {
      k = compile(expr);
    } catch (e) {
      if (!(e instanceof EvalError)) throw e;
      k = null;
    }
    kernels.set(expr.key, k);
  }
  return k;
}

/**
 * Runs `expr` over `shape` into `out` with the reference scalar functions; false if a node asks
 * for a backend's native approximation, which this kernel does not compute, or where the host
 * forbids generating code (then the equations run unfused).
 */
export function runFusedJs(expr: FusedExpression, operands: readonly StridedView[], shape: readonly number[], out: TypedArray): boolean {
  // A reduction is never fused here (the backend has no `reduces`): the caller reduces the unfused result.
  if (expr.reduction !== undefined) return false;
  if (expr.nodes.some((n) => n.kind === 'unary' && n.native)) return false;
  const kernel = kernelOf(expr);
  if (kernel === null) return false;
  const data = operands.map((v) => v.data);
  forEachRow(shape, operands, (starts, n, o, steps) => kernel(out, o, n, data, starts, steps));
  return true;
}

/** The JS backend computes every unary kernel as its reference function. */
export function referenceVariant(_kernel: UnaryKernel, _input: DType, _output: DType, _size: number): 'reference' {
  return 'reference';
}

/** How many expression structures have been compiled (tests check the cache is used). */
export function compiledFusedKernels(): number {
  return kernels.size;
}
