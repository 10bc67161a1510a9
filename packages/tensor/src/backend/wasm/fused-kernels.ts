// The fused elementwise kernel in WebAssembly SIMD: one vector loop per expression structure and
// operand layout, each node the same instructions as its unfused SIMD kernel (the tables of
// map-kernels.ts), compiled into its own small module over the backend's memory.
import type { FusedExpression, FusedNode } from '../backend.js';
import { FunctionBuilder, ModuleBuilder, OP, SIMD, T, type ValType } from './emitter.js';
import { COMPARISON_OPS, type SimdComparison } from './mask-kernels.js';
import {
  APPROXIMATION_UNROLL,
  BINARY_OPS,
  EMIT_APPROXIMATE_F32,
  EXACT_UNARY_OPS,
  SIMD_BINARY,
  type ApproximateF32,
  type SimdBinary,
} from './map-kernels.js';

/** How an operand is passed: a pointer to contiguous memory read a vector per step, or one value splatted. */
export type OperandLayout = 'vector' | 'scalar';

const BINARY: ReadonlySet<string> = new Set(SIMD_BINARY);
const EXACT_UNARY: ReadonlySet<string> = new Set(Object.keys(EXACT_UNARY_OPS));

/**
 * The lanes' dtype if `expr` is computable in SIMD: every node of one float dtype except
 * comparisons (of that dtype's operands), which may only be `where` conditions (a lane mask);
 * unary ops exact ones or, in float32, the approximations the unfused kernels use. Else null.
 */
export function simdDType(expr: Pick<FusedExpression, 'nodes'>): 'float32' | 'float64' | null {
  const { nodes } = expr;
  const root = nodes[nodes.length - 1]!;
  const dtype = root.dtype;
  if (dtype !== 'float32' && dtype !== 'float64') return null;
  const isMask = (k: number): boolean => nodes[k]!.kind === 'binary' && nodes[k]!.dtype === 'bool';
  for (const [i, node] of nodes.entries()) {
    const ok =
      node.kind === 'operand'
        ? node.dtype === dtype
        : node.kind === 'unary'
          ? node.dtype === dtype &&
            (EXACT_UNARY.has(node.kernel) || (dtype === 'float32' && node.native && Object.hasOwn(EMIT_APPROXIMATE_F32, node.kernel)))
          : node.kind === 'binary'
            ? node.dtype === 'bool'
              ? Object.hasOwn(COMPARISON_OPS, node.kernel) && node.args.every((a) => nodes[a]!.dtype === dtype)
              : node.dtype === dtype && BINARY.has(node.kernel)
            : node.kind === 'where'
              ? node.dtype === dtype && (isMask(node.args[0]) || nodes[node.args[0]]!.dtype === dtype)
              : false;
    if (!ok) return null;
    // A mask (all bits set or clear per lane) is read only as a condition.
    if (node.kind !== 'operand' && node.args.some((a, j) => isMask(a) && !(node.kind === 'where' && j === 0))) return null;
    if (i === nodes.length - 1 && node.dtype === 'bool') return null;
  }
  return dtype;
}

/**
 * Emits `fused(p0, …, pk, out, nvec)` for `expr` in lanes of `dtype`: operand k at byte address
 * `pk` (a vector per step) or, for a scalar, the value itself (splatted once); vector i of the
 * result at `out + 16i`. An expression with an approximated function (a chain of dependent
 * polynomial steps) runs APPROXIMATION_UNROLL vectors per pass, as its unfused kernel does.
 */
export function emitFused(expr: FusedExpression, dtype: 'float32' | 'float64', layouts: readonly OperandLayout[]): Uint8Array {
  const esize = dtype === 'float32' ? 4 : 8;
  const f = new FunctionBuilder([...layouts.map((l) => (l === 'scalar' ? (esize === 4 ? T.f32 : T.f64) : T.i32)), T.i32, T.i32], []);
  const scalarAt = (k: number): void => {
    f.get(k);
  };
  emitFusedBody(f, expr, dtype, layouts, { operand: (k) => k, scalar: scalarAt, out: layouts.length, nvec: layouts.length + 1 });
  const mod = new ModuleBuilder(0, undefined, true);
  mod.add('fused', f);
  return mod.bytes();
}

/** Bytes per operand slot of a {@link emitFusedUnit} argument block: an address or a scalar, 8-byte aligned. */
export const FUSED_ARG_BYTES = 8;

/**
 * The same loop as {@link emitFused}, as a thread pool's job unit over a shared memory of at most
 * `sharedMaxPages`: `unit(args, first, nvec)` (and four unused i32s: a job record's seven) reads
 * operand k's address or scalar value at `args + 8k` and the result's address after them, and
 * computes vectors `first .. first + nvec` of the result. Every unit computes its vectors with
 * the same instructions as the single call would, so a split result has the same bits.
 */
export function emitFusedUnit(
  expr: FusedExpression,
  dtype: 'float32' | 'float64',
  layouts: readonly OperandLayout[],
  sharedMaxPages: number,
): Uint8Array {
  const f = new FunctionBuilder(Array<ValType>(7).fill(T.i32), []);
  const [args, first, nvec] = [0, 1, 2];
  // Each vector operand's address and the result's, moved on to the unit's first vector.
  const pointers = [...layouts.keys(), layouts.length].map((k) => {
    if (k < layouts.length && layouts[k] === 'scalar') return -1;
    const local = f.local(T.i32);
    f.get(args)
      .mem(OP.i32Load, k * FUSED_ARG_BYTES)
      .get(first)
      .i32(4)
      .op(OP.i32Shl, OP.i32Add)
      .set(local);
    return local;
  });
  const scalarAt = (k: number): void => {
    f.get(args).mem(dtype === 'float32' ? OP.f32Load : OP.f64Load, k * FUSED_ARG_BYTES, dtype === 'float32' ? 2 : 3);
  };
  emitFusedBody(f, expr, dtype, layouts, { operand: (k) => pointers[k]!, scalar: scalarAt, out: pointers[layouts.length]!, nvec });
  const mod = new ModuleBuilder(0, sharedMaxPages);
  mod.add('unit', f);
  return mod.bytes();
}

/** Where the body reads its inputs: the local holding vector operand k's address, how to push scalar k, and the locals of the result's address and the vector count. */
interface FusedParams {
  readonly operand: (k: number) => number;
  readonly scalar: (k: number) => void;
  readonly out: number;
  readonly nvec: number;
}

function emitFusedBody(
  f: FunctionBuilder,
  expr: FusedExpression,
  dtype: 'float32' | 'float64',
  layouts: readonly OperandLayout[],
  params: FusedParams,
): void {
  const idx = dtype === 'float32' ? 0 : 1;
  const esize = dtype === 'float32' ? 4 : 8;
  const i = f.local(T.i32);
  const unroll = expr.nodes.some((n) => n.kind === 'unary' && n.native) ? APPROXIMATION_UNROLL : 1;
  // One set of value locals per vector of a pass; a splatted scalar operand's local is shared.
  const first = expr.nodes.map(() => f.local(T.v128));
  const copies = [
    first,
    ...Array.from({ length: unroll - 1 }, () => expr.nodes.map((n, k) => (isScalarOperand(n, layouts) ? first[k]! : f.local(T.v128)))),
  ];
  const addr = (local: number): void => {
    f.get(local).get(i).i32(4).op(OP.i32Shl, OP.i32Add);
  };
  for (const [k, n] of expr.nodes.entries()) {
    if (n.kind !== 'operand' || layouts[n.index] !== 'scalar') continue;
    params.scalar(n.index);
    f.simd(esize === 4 ? SIMD.f32x4Splat : SIMD.f64x2Splat).set(first[k]!);
  }
  // Every operand of the pass loaded first, then each vector's nodes and store.
  f.forRangeUnrolled(i, params.nvec, unroll, (count) => {
    for (let u = 0; u < count; u++) {
      for (const [k, n] of expr.nodes.entries()) {
        if (n.kind !== 'operand' || isScalarOperand(n, layouts)) continue;
        addr(params.operand(n.index));
        f.vmem(SIMD.load, u * 16, 0).set(copies[u]![k]!);
      }
    }
    for (let u = 0; u < count; u++) {
      for (let k = 0; k < expr.nodes.length; k++) if (expr.nodes[k]!.kind !== 'operand') emitNode(f, expr.nodes, k, copies[u]!, idx);
      addr(params.out);
      f.get(copies[u]![expr.nodes.length - 1]!);
      f.vmem(SIMD.store, u * 16, 0);
    }
  });
}

const isScalarOperand = (n: FusedNode, layouts: readonly OperandLayout[]): boolean => n.kind === 'operand' && layouts[n.index] === 'scalar';

/** Sets `values[k]` to node k (not an operand), from its arguments' locals. */
function emitNode(f: FunctionBuilder, nodes: readonly FusedNode[], k: number, values: readonly number[], idx: 0 | 1): void {
  const node = nodes[k]!;
  const v = (a: number): number => values[a]!;
  switch (node.kind) {
    case 'operand':
      throw new Error('unreachable: operands are loaded by the loop');
    case 'unary':
      if (node.native) EMIT_APPROXIMATE_F32[node.kernel as ApproximateF32](f, v(node.args[0]));
      else f.get(v(node.args[0])).simd(EXACT_UNARY_OPS[node.kernel as keyof typeof EXACT_UNARY_OPS][idx]);
      break;
    case 'binary':
      f.get(v(node.args[0])).get(v(node.args[1]));
      f.simd(node.dtype === 'bool' ? COMPARISON_OPS[node.kernel as SimdComparison][idx] : BINARY_OPS[node.kernel as SimdBinary][idx]);
      break;
    case 'where':
      // bitselect(x, y, mask); a float condition is "not zero" (NaN true, −0 false), as the where kernel.
      f.get(v(node.args[1])).get(v(node.args[2])).get(v(node.args[0]));
      if (nodes[node.args[0]]!.dtype !== 'bool') f.v128Splat(0, idx === 0 ? 4 : 2).simd(idx === 0 ? SIMD.f32x4Ne : SIMD.f64x2Ne);
      f.simd(SIMD.bitselect);
      break;
    case 'cast':
      throw new Error('unreachable: casts are not emitted');
  }
  f.set(values[k]!);
}
